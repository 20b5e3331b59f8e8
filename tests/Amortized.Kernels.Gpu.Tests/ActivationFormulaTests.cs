using Amortized.Kernels.Cpu;

namespace Amortized.Kernels.Gpu.Tests;

/// <summary>
/// Ties the device activation structs (GpuOps.cs) to the CPU's scalar activations on many inputs, evaluated on the
/// host: both call Amortized.Kernels.Cpu's ActivationFormulas, and only exp, log1p, max, min and the sign of tanh are
/// each side's own (ActivationFormulas states why). Piecewise-linear parts (identity, ReLU, HardSiLU and the
/// derivatives of ReLU and HardSiLU) involve no library function, so they must agree bitwise; the others may differ
/// by the exp/log1p libraries' few ulp: 2e-6 relative, plus 1e-6 absolute where a derivative is a sum of O(1) terms
/// that cancel (SiLU, GELU, Mish), as in ElementwiseTests.
/// </summary>
public sealed class ActivationFormulaTests
{
    private const double Rtol = 2e-6, Atol = 1e-6;

    /// <summary>[-30, 30] in steps of 0.001, both signs of tiny magnitudes (1e-30 .. 1e-2), kinks, specials.</summary>
    private static float[] Inputs()
    {
        var xs = new List<float>();
        for (int i = 0; i <= 60000; i++) xs.Add(-30f + i * 0.001f);
        for (int e = -30; e <= -2; e++)
        {
            foreach (float m in new[] { 1f, 2.5f, 7f })
            {
                xs.Add(m * MathF.Pow(10f, e));
                xs.Add(-m * MathF.Pow(10f, e));
            }
        }
        xs.AddRange([0f, -0f, 3f, -3f, 0.4f, -0.4f, 20f, -20f, 100f, -100f, float.MaxValue, float.MinValue,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.Epsilon, -float.Epsilon]);
        return xs.ToArray();
    }

    private static (Func<float, float> Apply, Func<float, float> Derivative) Device(Activation kind) => kind switch
    {
        Activation.Identity => (default(IdentityAct).Apply, default(IdentityAct).Derivative),
        Activation.Relu => (default(ReluAct).Apply, default(ReluAct).Derivative),
        Activation.Silu => (default(SiluAct).Apply, default(SiluAct).Derivative),
        Activation.HardSilu => (default(HardSiluAct).Apply, default(HardSiluAct).Derivative),
        Activation.Softplus => (default(SoftplusAct).Apply, default(SoftplusAct).Derivative),
        Activation.Tanh => (default(TanhAct).Apply, default(TanhAct).Derivative),
        Activation.Sigmoid => (default(SigmoidAct).Apply, default(SigmoidAct).Derivative),
        Activation.Gelu => (default(GeluAct).Apply, default(GeluAct).Derivative),
        Activation.Mish => (default(MishAct).Apply, default(MishAct).Derivative),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static TheoryData<Activation> Kinds() => new(Enum.GetValues<Activation>());

    [Theory]
    [MemberData(nameof(Kinds))]
    public void DeviceFormulasMatchTheCpuScalarOnes(Activation kind)
    {
        float[] x = Inputs();
        var (apply, derivative) = Device(kind);
        float[] cpuY = x.Select(v => Activations.Apply(kind, v)).ToArray();
        float[] cpuD = x.Select(v => Activations.Derivative(kind, v)).ToArray();
        float[] gpuY = x.Select(apply).ToArray();
        float[] gpuD = x.Select(derivative).ToArray();
        // The GEMM epilogue's run-time dispatch must pick the same struct.
        Check.Bitwise(gpuY, x.Select(v => GpuMath.Activate((int)kind, v)).ToArray(), $"{kind} epilogue");
        bool piecewise = kind is Activation.Identity or Activation.Relu or Activation.HardSilu;
        if (piecewise)
        {
            Check.Bitwise(cpuY, gpuY, $"{kind} f");
            Check.Bitwise(cpuD, gpuD, $"{kind} f'");
            return;
        }
        Check.Close(cpuY, gpuY, Rtol, Check.U * 4, $"{kind} f");
        Check.Close(cpuD, gpuD, Rtol, Atol, $"{kind} f'");
    }
}
