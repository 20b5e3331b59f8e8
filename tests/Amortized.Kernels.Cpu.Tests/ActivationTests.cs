using Xunit.Sdk;

namespace Amortized.Kernels.Cpu.Tests;

/// <summary>
/// Activations and their derivatives on every SIMD path against double oracles, over lengths 0..257 (crossing
/// every vector boundary), in place, and at extreme inputs.
/// </summary>
public sealed class ActivationTests
{
    /// <summary>Float results may differ from the double oracle by a few ulp (exp/log rounding).</summary>
    private const double RelativeTolerance = 2e-6;

    /// <summary>Below this the comparison is absolute: denormal results carry no relative accuracy.</summary>
    private const double AbsoluteTolerance = 1e-36;

    /// <summary>
    /// Allowed backward error: a float kernel evaluates its formula on intermediate values (such as
    /// z = x (A + B x^2) in GELU) that are each rounded, so it is only exact for an input perturbed by a few
    /// ulp. The forward-error allowance is therefore this many ulp of x times |slope| at x (the condition).
    /// </summary>
    private const double InputUlps = 4 * 5.96e-8;

    private static readonly Activation[] s_all = Enum.GetValues<Activation>();

    public static TheoryData<KernelPath, Activation> PathsAndActivations()
    {
        var data = new TheoryData<KernelPath, Activation>();
        foreach (KernelPath path in Enum.GetValues<KernelPath>())
        {
            foreach (Activation act in s_all)
                data.Add(path, act);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(PathsAndActivations))]
    public void Forward_Lengths0To257_MatchesDoubleOracle(KernelPath kernelPath, Activation act)
    {
        SimdPath path = kernelPath.ToSimd();
        for (int n = 0; n <= 257; n++)
        {
            float[] x = Inputs(n, seed: n);
            float[] y = new float[n + 1];
            y[n] = 12345f; // sentinel: nothing past the end is written
            Activations.Forward(act, x, y.AsSpan(0, n), path);
            for (int i = 0; i < n; i++)
                AssertClose(Reference.Apply(act, x[i]), y[i], $"{act} forward x={x[i]:R} n={n} path={path}",
                    slack: InputUlps * Math.Abs(x[i] * Reference.Derivative(act, x[i])));
            Assert.Equal(12345f, y[n]);
        }
    }

    [Theory]
    [MemberData(nameof(PathsAndActivations))]
    public void Backward_Lengths0To257_MatchesAnalyticDerivativeTimesDy(KernelPath kernelPath, Activation act)
    {
        SimdPath path = kernelPath.ToSimd();
        for (int n = 0; n <= 257; n++)
        {
            float[] x = Inputs(n, seed: 1000 + n), dy = Inputs(n, seed: 2000 + n);
            float[] dx = new float[n];
            Activations.Backward(act, x, dy, dx, path);
            for (int i = 0; i < n; i++)
            {
                double expected = dy[i] * Reference.Derivative(act, x[i]);
                AssertClose(expected, dx[i], $"{act} backward x={x[i]:R} dy={dy[i]:R} n={n} path={path}",
                    slack: InputUlps * Math.Abs(x[i] * dy[i] * SecondDerivative(act, x[i])));
            }
        }
    }

    [Theory]
    [MemberData(nameof(PathsAndActivations))]
    public void Derivative_MatchesCentralFiniteDifferenceInDouble(KernelPath kernelPath, Activation act)
    {
        SimdPath path = kernelPath.ToSimd();
        // x on a grid over [-12, 12]; kinks (0 for ReLU, +-3 for hard SiLU) are stepped over, not straddled.
        float[] x = new float[481];
        for (int i = 0; i < x.Length; i++)
            x[i] = -12f + i * 0.05f + 0.0125f;
        float[] ones = new float[x.Length], dx = new float[x.Length];
        Array.Fill(ones, 1f);
        Activations.Backward(act, x, ones, dx, path);
        for (int i = 0; i < x.Length; i++)
        {
            double h = 1e-5 * Math.Max(1, Math.Abs(x[i]));
            double fd = Reference.FiniteDifference(act, x[i], h);
            // FD error ~ h^2 |f'''| + eps / h ~ 1e-10; the float derivative dominates.
            if (!(Math.Abs(dx[i] - fd) <= 3e-6 * Math.Abs(fd) + 1e-7))
                throw new XunitException($"{act}' at x={x[i]:R}: {dx[i]:R} vs finite difference {fd:R} ({path})");
        }
    }

    [Theory]
    [MemberData(nameof(PathsAndActivations))]
    public void ForwardAndBackward_InPlace_MatchOutOfPlace(KernelPath kernelPath, Activation act)
    {
        SimdPath path = kernelPath.ToSimd();
        foreach (int n in new[] { 1, 7, 8, 9, 15, 16, 17, 31, 33, 100, 257 })
        {
            float[] x = Inputs(n, seed: 3000 + n), dy = Inputs(n, seed: 4000 + n);
            float[] y = new float[n], dx = new float[n];
            Activations.Forward(act, x, y, path);
            Activations.Backward(act, x, dy, dx, path);

            float[] inPlace = (float[])x.Clone();
            Activations.Forward(act, inPlace, inPlace, path);
            Assert.Equal(y, inPlace);

            float[] dyInPlace = (float[])dy.Clone();
            Activations.Backward(act, x, dyInPlace, dyInPlace, path);
            Assert.Equal(dx, dyInPlace);

            float[] xInPlace = (float[])x.Clone();
            Activations.Backward(act, xInPlace, dy, xInPlace, path);
            Assert.Equal(dx, xInPlace);
        }
    }

    [Theory]
    [MemberData(nameof(PathsAndActivations))]
    public void ForwardAndBackward_ExtremeInputs_FiniteAndCorrect(KernelPath kernelPath, Activation act)
    {
        SimdPath path = kernelPath.ToSimd();
        float[] x = [-1e30f, -1e4f, -100f, -89f, -88f, -50f, -20f, -1e-30f, -0f, 0f, 1e-30f, 1e-7f, 20f, 50f, 88f,
            89f, 100f, 1e4f, 1e30f, 3f, -3f];
        float[] y = new float[x.Length], dx = new float[x.Length], ones = new float[x.Length];
        Array.Fill(ones, 1f);
        Activations.Forward(act, x, y, path);
        Activations.Backward(act, x, ones, dx, path);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(float.IsFinite(y[i]), $"{act}({x[i]}) = {y[i]} on {path}");
            Assert.True(float.IsFinite(dx[i]), $"{act}'({x[i]}) = {dx[i]} on {path}");
            if (Math.Abs(x[i]) <= 1e4f)
            {
                AssertClose(Reference.Apply(act, x[i]), y[i], $"{act}({x[i]:R}) on {path}", absolute: 1e-30,
                    slack: InputUlps * Math.Abs(x[i] * Reference.Derivative(act, x[i])));
                AssertClose(Reference.Derivative(act, x[i]), dx[i], $"{act}'({x[i]:R}) on {path}", absolute: 1e-30,
                    slack: InputUlps * Math.Abs(x[i] * SecondDerivative(act, x[i])));
            }
        }
    }

    [Theory]
    [MemberData(nameof(PathsAndActivations))]
    public void ScalarApplyAndDerivative_AgreeWithSpanKernels(KernelPath kernelPath, Activation act)
    {
        SimdPath path = kernelPath.ToSimd();
        float[] x = Inputs(203, seed: 77);
        float[] y = new float[x.Length], dx = new float[x.Length], ones = new float[x.Length];
        Array.Fill(ones, 1f);
        Activations.Forward(act, x, y, path);
        Activations.Backward(act, x, ones, dx, path);
        for (int i = 0; i < x.Length; i++)
        {
            AssertClose(Activations.Apply(act, x[i]), y[i], $"{act} Apply vs span at {x[i]:R}", relative: 1e-6);
            AssertClose(Activations.Derivative(act, x[i]), dx[i], $"{act} Derivative vs span at {x[i]:R}",
                relative: 1e-6);
        }
    }

    [Fact]
    public void ForwardAndBackward_MismatchedOrPartiallyOverlappingSpans_Throw()
    {
        float[] buffer = new float[20];
        Assert.Throws<ArgumentException>(() =>
            Activations.Forward(Activation.Relu, buffer.AsSpan(0, 10), buffer.AsSpan(0, 9)));
        Assert.Throws<ArgumentException>(() =>
            Activations.Forward(Activation.Tanh, buffer.AsSpan(0, 10), buffer.AsSpan(1, 10)));
        Assert.Throws<ArgumentException>(() =>
            Activations.Backward(Activation.Silu, buffer.AsSpan(0, 8), buffer.AsSpan(0, 8), buffer.AsSpan(2, 8)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Activations.Apply((Activation)99, 1f));
    }

    /// <summary>Mostly N(0, 3)-ish values, with some large ones and exact zeros mixed in.</summary>
    private static float[] Inputs(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = rng.Next(10) switch
            {
                0 => (float)(rng.NextDouble() * 60 - 30),
                1 => 0f,
                _ => (float)(rng.NextDouble() * 12 - 6),
            };
        }
        return x;
    }

    /// <summary>f''(x) by central difference of the double f' (only used to size tolerances).</summary>
    private static double SecondDerivative(Activation act, double x)
    {
        double h = 1e-6 * Math.Max(1, Math.Abs(x));
        return (Reference.Derivative(act, x + h) - Reference.Derivative(act, x - h)) / (2 * h);
    }

    private static void AssertClose(double expected, float actual, string what, double relative = RelativeTolerance,
        double absolute = AbsoluteTolerance, double slack = 0)
    {
        if (!(Math.Abs(actual - expected) <= relative * Math.Abs(expected) + absolute + slack))
            throw new XunitException($"{what}: {actual:R}, expected {expected:R}");
    }
}
