using Amortized.Kernels.Cpu;
using Amortized.Testing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace Amortized.Tensors.Tests.Ops;

/// <summary>
/// Elementwise unary ops, activations, where and clamp: gradient checks over random shapes (rank 0..4) and
/// forward oracles.
/// </summary>
[Properties(MaxTest = 20, Replay = TestSeeds.FsCheckReplay)]
public class UnaryOpsTests
{
    private const float ClampLow = -0.8f, ClampHigh = 1.2f;

    /// <summary>Distance of inputs from a kink: well over the largest finite-difference step (0.01 * max(1, |x|)).</summary>
    private const float KinkMargin = 0.1f;

    private static Property GradientProperty(string label, Func<Rng, int[], Tensor> input, Func<Tensor, Tensor> f) =>
        Prop.ForAll(Cases.Shapes(0, 4), c => GradCheck.Assert($"{label} {c}", t => f(t[0]), input(c.Rng(), c.Dims)));

    private static Tensor Smooth(Rng rng, int[] dims) => TestTensors.Uniform(rng, -3f, 3f, dims);

    private static Tensor Positive(Rng rng, int[] dims) => TestTensors.Uniform(rng, 0.5f, 3f, dims);

    private static Tensor AwayFromZero(Rng rng, int[] dims) => TestTensors.SignedUniform(rng, KinkMargin, 2f, dims);

    [Property]
    public Property Neg_RandomShapes_GradientMatchesFiniteDifferences() => GradientProperty("neg", Smooth, x => -x);

    [Property]
    public Property Exp_RandomShapes_GradientMatchesFiniteDifferences() =>
        GradientProperty("exp", (r, d) => TestTensors.Uniform(r, -2f, 2f, d), x => x.Exp());

    [Property]
    public Property Log_PositiveInputs_GradientMatchesFiniteDifferences() => GradientProperty("log", Positive, x => x.Log());

    [Property]
    public Property Sqrt_PositiveInputs_GradientMatchesFiniteDifferences() => GradientProperty("sqrt", Positive, x => x.Sqrt());

    [Property]
    public Property Asinh_RandomShapes_GradientMatchesFiniteDifferences() => GradientProperty("asinh", Smooth, x => x.Asinh());

    [Property]
    public Property Abs_AwayFromZero_GradientMatchesFiniteDifferences() => GradientProperty("abs", AwayFromZero, x => x.Abs());

    [Property]
    public Property PowScalar_PositiveBase_GradientMatchesFiniteDifferences() =>
        Prop.ForAll(Cases.Shapes(0, 4), c =>
        {
            foreach (float p in new[] { 2f, 3f, 0.5f, -1.5f, 1.7f })
                GradCheck.Assert($"pow {p} {c}", t => t[0].Pow(p), TestTensors.Uniform(c.Rng(), 0.5f, 2f, c.Dims));
        });

    [Property]
    public Property PowScalar_IntegerExponentSignedBase_GradientMatchesFiniteDifferences() =>
        Prop.ForAll(Cases.Shapes(0, 4), c =>
        {
            GradCheck.Assert($"square {c}", t => t[0].Square(), Smooth(c.Rng(), c.Dims));
            GradCheck.Assert($"pow 3 {c}", t => t[0].Pow(3f), TestTensors.Uniform(c.Rng(), -2f, 2f, c.Dims));
        });

    [Property]
    public Property ScalarArithmetic_RandomShapes_GradientsMatchFiniteDifferences() =>
        Prop.ForAll(Cases.Shapes(0, 4), c =>
        {
            var x = Smooth(c.Rng(), c.Dims);
            GradCheck.Assert($"x + c {c}", t => t[0] + 1.5f, x);
            GradCheck.Assert($"c + x {c}", t => 2.5f + t[0], x);
            GradCheck.Assert($"x - c {c}", t => t[0] - 0.75f, x);
            GradCheck.Assert($"c - x {c}", t => 1.5f - t[0], x);
            GradCheck.Assert($"x * c {c}", t => t[0] * -2.5f, x);
            GradCheck.Assert($"c * x {c}", t => 2f * t[0], x);
            GradCheck.Assert($"x / c {c}", t => t[0] / 4f, x);
        });

    [Property]
    public Property Clamp_AwayFromBounds_GradientMatchesFiniteDifferences() =>
        GradientProperty("clamp", (r, d) => TestTensors.AwayFrom(r, -2f, 2f, [ClampLow, ClampHigh], KinkMargin, d),
            x => x.Clamp(ClampLow, ClampHigh));

    [Property]
    public Property Where_RandomMask_GradientsMatchFiniteDifferences() =>
        Prop.ForAll(Cases.Shapes(0, 4), c =>
        {
            var rng = c.Rng();
            var mask = TestTensors.Mask(rng, c.Dims);
            GradCheck.Assert($"where {c}", t => Tensor.Where(mask, t[0], t[1]),
                Smooth(rng, c.Dims), Smooth(rng, c.Dims));
        });

    // ---- activations (relu and hard-SiLU away from their kinks at 0 and +-3) ----

    [Property]
    public Property Tanh_RandomShapes_GradientMatchesFiniteDifferences() => GradientProperty("tanh", Smooth, x => x.Tanh());

    [Property]
    public Property Sigmoid_RandomShapes_GradientMatchesFiniteDifferences() =>
        GradientProperty("sigmoid", Smooth, x => x.Sigmoid());

    [Property]
    public Property Softplus_RandomShapes_GradientMatchesFiniteDifferences() =>
        GradientProperty("softplus", Smooth, x => x.Softplus());

    [Property]
    public Property Relu_AwayFromZero_GradientMatchesFiniteDifferences() =>
        GradientProperty("relu", AwayFromZero, x => x.Relu());

    [Property]
    public Property Silu_RandomShapes_GradientMatchesFiniteDifferences() => GradientProperty("silu", Smooth, x => x.Silu());

    [Property]
    public Property HardSilu_AwayFromKinks_GradientMatchesFiniteDifferences() =>
        GradientProperty("hard-silu", (r, d) => TestTensors.AwayFrom(r, -4.5f, 4.5f, [-3f, 3f], KinkMargin, d),
            x => x.Activate(Activation.HardSilu));

    [Property]
    public Property Gelu_RandomShapes_GradientMatchesFiniteDifferences() =>
        GradientProperty("gelu", Smooth, x => x.Activate(Activation.Gelu));

    [Property]
    public Property Mish_RandomShapes_GradientMatchesFiniteDifferences() =>
        GradientProperty("mish", Smooth, x => x.Activate(Activation.Mish));

    [Property]
    public Property Identity_RandomShapes_GradientMatchesFiniteDifferences() =>
        GradientProperty("identity", Smooth, x => x.Activate(Activation.Identity));

    // ---- forward oracles ----

    public static TheoryData<string> UnaryNames => new(UnaryOracle.Names);

    [Theory]
    [MemberData(nameof(UnaryNames))]
    public void Forward_FixedInputs_MatchesScalarOracle(string name)
    {
        var (op, oracle, low, high) = UnaryOracle.Get(name);
        var x = TestTensors.Uniform(new Rng(TestSeeds.Default), low, high, 3, 7);

        var y = op(x);

        var expected = new double[x.Size];
        for (int i = 0; i < x.Size; i++) expected[i] = oracle(x.Span[i]);
        NumericAssert.AssertClose(expected, y, Tolerances.Float32Atol, Tolerances.Float32Rtol, name);
    }

    [Fact]
    public void Where_FixedMask_SelectsElementwise()
    {
        var mask = Tensor.FromArray([1f, 0f, 0f, 2f], 2, 2);
        var a = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2);
        var b = Tensor.FromArray([-1f, -2f, -3f, -4f], 2, 2);

        Assert.Equal([1f, -2f, -3f, 4f], Tensor.Where(mask, a, b).ToArray());
    }

    [Fact]
    public void Softplus_LargeMagnitudes_StaysFiniteAndAccurate()
    {
        var x = Tensor.FromArray([-100f, -20f, 20f, 100f], 4);

        double[] expected = [Math.Exp(-100), UnaryOracle.Log1P(Math.Exp(-20)), 20 + UnaryOracle.Log1P(Math.Exp(-20)), 100];
        NumericAssert.AssertClose(expected, x.Softplus(),
            1e-30, Tolerances.Float32Rtol, "softplus");
    }
}

/// <summary>Each unary op next to a double-precision formula written out independently of the kernels.</summary>
internal static class UnaryOracle
{
    /// <summary>log(1 + x) without the cancellation of 1 + x for tiny x (series below 1e-5).</summary>
    public static double Log1P(double x) => Math.Abs(x) < 1e-5 ? x - x * x / 2 + x * x * x / 3 : Math.Log(1 + x);

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static double Softplus(double x) => Math.Max(x, 0) + Log1P(Math.Exp(-Math.Abs(x)));

    private static readonly Dictionary<string, Entry> s_ops = new()
    {
        ["neg"] = (x => -x, x => -x, -3, 3),
        ["exp"] = (x => x.Exp(), Math.Exp, -5, 5),
        ["log"] = (x => x.Log(), Math.Log, 0.01f, 10),
        ["sqrt"] = (x => x.Sqrt(), Math.Sqrt, 0, 10),
        ["asinh"] = (x => x.Asinh(), Math.Asinh, -20, 20),
        ["abs"] = (x => x.Abs(), Math.Abs, -3, 3),
        ["pow 1.7"] = (x => x.Pow(1.7f), x => Math.Pow(x, 1.7f), 0.1f, 3),
        ["square"] = (x => x.Square(), x => x * x, -3, 3),
        ["x + c"] = (x => x + 1.5f, x => x + 1.5, -3, 3),
        ["c - x"] = (x => 1.5f - x, x => 1.5 - x, -3, 3),
        ["x * c"] = (x => x * -2.5f, x => x * -2.5, -3, 3),
        ["x / c"] = (x => x / 4f, x => x / 4, -3, 3),
        ["clamp"] = (x => x.Clamp(-0.5f, 1f), x => Math.Clamp(x, -0.5, 1), -3, 3),
        ["tanh"] = (x => x.Tanh(), Math.Tanh, -5, 5),
        ["sigmoid"] = (x => x.Sigmoid(), Sigmoid, -8, 8),
        ["softplus"] = (x => x.Softplus(), Softplus, -8, 8),
        ["relu"] = (x => x.Relu(), x => Math.Max(x, 0), -3, 3),
        ["silu"] = (x => x.Silu(), x => x * Sigmoid(x), -8, 8),
        ["hard-silu"] = (x => x.Activate(Activation.HardSilu), x => x * Math.Clamp(x + 3, 0, 6) / 6, -5, 5),
        ["gelu"] = (x => x.Activate(Activation.Gelu),
            x => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))), -5, 5),
        ["mish"] = (x => x.Activate(Activation.Mish), x => x * Math.Tanh(Softplus(x)), -5, 5),
    };

    public static IEnumerable<string> Names => s_ops.Keys;

    public static Entry Get(string name) => s_ops[name];

    /// <summary>The op, its double oracle, and the input range it is checked on.</summary>
    public readonly record struct Entry(Func<Tensor, Tensor> Op, Func<double, double> Oracle, float Low, float High)
    {
        public static implicit operator Entry((Func<Tensor, Tensor> Op, Func<double, double> Oracle, float Low, float High) t) =>
            new(t.Op, t.Oracle, t.Low, t.High);
    }
}
