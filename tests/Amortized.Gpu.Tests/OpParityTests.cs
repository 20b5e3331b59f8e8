using Amortized.Kernels.Cpu;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Xunit;

namespace Amortized.Gpu.Tests;

/// <summary>
/// Every tensor op through the public Tensor API on the GPU backend against the CPU backend: values and the
/// gradients of every input of a weighted sum of the output. This checks the backend's glue (shape alignment,
/// offsets, accumulate flags, the overwrite-first gradients of the tape) on top of the kernel tests.
/// </summary>
public sealed class OpParityTests(GpuBackendFixture fixture) : IClassFixture<GpuBackendFixture>
{
    private readonly GpuBackend _gpu = fixture.Backend;

    // Float32 with different summation orders on each side: a few ulps per accumulation, k <= 10 here.
    private const float RelativeTolerance = 2e-5f, AbsoluteTolerance = 2e-6f;

    public static TheoryData<string> Cases => new(CaseTable.Keys.Order());

    private static readonly Dictionary<string, (Func<Tensor[], Tensor> F, int[][] Shapes, bool Positive)> CaseTable = new()
    {
        ["linear-silu"] = (t => Tensor.Linear(t[0], t[1], t[2], Activation.Silu), [[5, 7], [7, 9], [9]], false),
        ["linear-tanh-nobias"] = (t => Tensor.Linear(t[0], t[1], null, Activation.Tanh), [[3, 4, 6], [6, 5]], false),
        ["linear-softplus"] = (t => Tensor.Linear(t[0], t[1], t[2], Activation.Softplus), [[6, 3], [3, 2], [2]], false),
        ["matmul-batched"] = (t => t[0].MatMul(t[1]), [[3, 4, 5], [3, 5, 6]], false),
        ["matmul-transposed"] = (t => t[0].MatMul(t[1], transposeThis: true, transposeOther: true), [[2, 5, 4], [2, 3, 5]], false),
        ["matmul-sharedB"] = (t => t[0].MatMul(t[1]), [[2, 4, 5], [5, 3]], false),
        ["add-broadcast"] = (t => t[0] + t[1], [[4, 1, 3], [5, 1]], false),
        ["sub-mul-broadcast"] = (t => (t[0] - t[1]) * t[1], [[2, 3, 4], [4]], false),
        ["div-broadcast"] = (t => t[0] / t[1], [[3, 4], [3, 1]], true),
        ["pow-tensor"] = (t => t[0].Pow(t[1]), [[3, 4], [4]], true),
        ["unary-chain"] = (t => ((t[0].Exp() + t[0].Abs()).Sqrt() * 2f - 0.5f).Asinh().Clamp(-0.8f, 1.5f), [[4, 5]], false),
        ["log-square-pow"] = (t => t[0].Log() + t[0].Square() + t[0].Pow(3f) / 3f - (1f - t[0]), [[7, 3]], true),
        ["sum-mean"] = (t => t[0].Sum(1) + t[0].Mean(1), [[3, 5, 2]], false),
        ["sum-all"] = (t => t[0].Sum().Reshape(1) * t[0].Mean(0, keepDims: true).Reshape(-1), [[4, 3]], false),
        ["max-axis"] = (t => t[0].Max(2), [[2, 3, 5]], false),
        ["logsumexp"] = (t => t[0].LogSumExp(1) + t[0].LogSumExp(0).Sum(), [[4, 6]], false),
        ["softmax"] = (t => t[0].Softmax(1), [[3, 4, 2]], false),
        ["permute-transpose"] = (t => t[0].Permute(2, 0, 1) + t[1].Transpose(), [[2, 3, 4], [4, 3, 2]], false),
        ["slice-concat"] = (t => Tensor.Concat(t[0].Slice(1, 1, 2), t[1], 1), [[3, 4, 2], [3, 5, 2]], false),
        ["index-select"] = (t => t[0].IndexSelect(1, [2, 0, 2, 3]), [[3, 4, 2]], false),
        ["broadcast-reshape"] = (t => t[0].BroadcastTo(new Shape(3, 4, 5)).Reshape(12, 5), [[4, 1]], false),
        ["where"] = (t => Tensor.Where((t[0] - t[1]).Relu(), t[0] * 2f, t[1].Exp()), [[4, 5], [4, 5]], false),
        ["layernorm"] = (t => t[0].LayerNorm(t[1], t[2]), [[5, 8], [8], [8]], false),
        ["layernorm-plain"] = (t => t[0].LayerNorm(null, null), [[3, 2, 6]], false),
        ["sigmoid-relu"] = (t => t[0].Sigmoid() * t[0].Relu() + t[0].Activate(Activation.Gelu) + t[0].Activate(Activation.Mish), [[6, 7]], false),
        ["affine-coupling-tanh"] = (t => Coupling(t, AffineScaleKind.TanhExp, inverse: false), [[5, 3], [5, 6]], false),
        ["affine-coupling-tanh-inverse"] = (t => Coupling(t, AffineScaleKind.TanhExp, inverse: true), [[5, 3], [5, 6]], false),
        ["affine-coupling-softplus"] = (t => Coupling(t, AffineScaleKind.SoftplusAsinh, inverse: false), [[4, 2], [4, 4]], false),
        ["affine-coupling-softplus-inverse"] = (t => Coupling(t, AffineScaleKind.SoftplusAsinh, inverse: true), [[4, 2], [4, 4]], false),
        // x also feeds a later op, so the coupling's backward accumulates into an existing gradient.
        ["affine-coupling-logdet-shared"] = (t => Tensor.AffineCoupling(t[0], t[1], AffineScaleKind.SoftplusAsinh, inverse: true).LogDet * t[0].Sum(1), [[3, 2], [3, 4]], false),
        // Bound 1.5 on normal draws: about one element in seven takes the identity tail.
        ["spline-coupling"] = (t => Spline(t, inverse: false), [[5, 3], [5, 3 * 11]], false),
        ["spline-coupling-inverse"] = (t => Spline(t, inverse: true), [[5, 3], [5, 3 * 11]], false),
        ["spline-coupling-logdet-shared"] = (t => Tensor.SplineCoupling(t[0], t[1], SplineOptions, inverse: true).LogDet * t[0].Sum(1), [[3, 2], [3, 2 * 11]], false),
    };

    private static readonly SplineCouplingOptions SplineOptions = new(Bins: 4, Bound: 1.5f, MinBinWidth: 1e-3f, MinBinHeight: 1e-3f, MinDerivative: 1e-3f);

    /// <summary>Both outputs of the fused spline coupling side by side: (B, D + 1).</summary>
    private static Tensor Spline(Tensor[] t, bool inverse)
    {
        var (y, logDet) = Tensor.SplineCoupling(t[0], t[1], SplineOptions, inverse);
        return Tensor.Concat(y, logDet.Reshape(-1, 1), 1);
    }

    /// <summary>Both outputs of the fused affine coupling side by side: (B, D + 1).</summary>
    private static Tensor Coupling(Tensor[] t, AffineScaleKind kind, bool inverse)
    {
        var (y, logDet) = Tensor.AffineCoupling(t[0], t[1], kind, inverse);
        return Tensor.Concat(y, logDet.Reshape(-1, 1), 1);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndGradients_MatchCpu(string name)
    {
        var (f, shapes, positive) = CaseTable[name];
        var rng = new Rng(17);
        var values = shapes.Select(s => Draw(rng, new Shape(s).Size, positive)).ToArray();
        var (cpuOut, cpuGrads) = Run(f, shapes, values, backend: null);
        var (gpuOut, gpuGrads) = Run(f, shapes, values, _gpu);
        AssertClose(cpuOut, gpuOut, $"{name}: output");
        for (int i = 0; i < shapes.Length; i++) AssertClose(cpuGrads[i], gpuGrads[i], $"{name}: gradient of input {i}");
    }

    private static float[] Draw(Rng rng, int n, bool positive)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = positive ? rng.Uniform(0.5f, 2f) : rng.Normal();
        return v;
    }

    private static (float[] Output, float[][] Gradients) Run(Func<Tensor[], Tensor> f, int[][] shapes, float[][] values, GpuBackend? backend)
    {
        var inputs = new Tensor[shapes.Length];
        for (int i = 0; i < shapes.Length; i++)
        {
            var t = Tensor.FromArray(values[i], shapes[i]);
            if (backend is not null) t = t.To(backend);
            t.RequiresGrad = true;
            inputs[i] = t;
        }
        var tape = new Tape();
        float[] output;
        using (tape.Record())
        {
            var y = f(inputs);
            // Distinct weights per output element, so each gradient element is checked, not just their sum.
            var weights = new float[y.Size];
            for (int i = 0; i < weights.Length; i++) weights[i] = 1f + 0.37f * (i % 7) - 0.11f * (i % 3);
            var w = Tensor.FromArray(weights, y.Shape);
            if (backend is not null) w = w.To(backend);
            var loss = (y * w).Sum();
            tape.Backward(loss);
            output = y.ToArray();
            Assert.Equal(backend is null, y.IsOnHost);
        }
        return (output, inputs.Select(t => t.Grad!.ToArray()).ToArray());
    }

    internal static void AssertClose(float[] expected, float[] actual, string what, float rtol = RelativeTolerance, float atol = AbsoluteTolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            if (float.IsNaN(e) && float.IsNaN(a)) continue;
            Assert.True(MathF.Abs(e - a) <= atol + rtol * MathF.Abs(e),
                $"{what}: element {i} is {a} on the GPU backend, {e} on the CPU (|diff| {MathF.Abs(e - a):G3}).");
        }
    }
}
