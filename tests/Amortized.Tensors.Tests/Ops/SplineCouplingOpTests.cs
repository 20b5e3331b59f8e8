using Amortized.Kernels.Cpu;
using Amortized.Tensors.Autodiff;
using Amortized.Testing;
using Xunit;

namespace Amortized.Tensors.Tests.Ops;

/// <summary>
/// The fused rational-quadratic spline coupling: forward against a double oracle and against the composite
/// formulation it replaced (<see cref="SplineReference"/>), gradients against finite differences in both directions
/// with the gradient reaching it through y only, log-det only, or both; points inside the bound, outside it (identity
/// tails) and near knots. Shapes: x (B, D), raw (B, D * (3K - 1)).
/// </summary>
public class SplineCouplingOpTests
{
    private const int B = 3, D = 4;

    /// <summary>Farther than any finite-difference step moves a point (1e-2 |x|) or a knot (about 1.5e-2) from a kink.</summary>
    private const float Margin = 0.08f;

    /// <summary>
    /// A smaller step than the default 1e-2: in narrow bins log f' has third derivatives large enough that the central
    /// difference's truncation error (h^2 f''' / 6) reached 1.5% at h = 1e-2; at 2e-3 it is 25 times smaller, while the
    /// float32 noise (about 1e-7 / h relative) stays near 5e-5.
    /// </summary>
    private static readonly GradCheckOptions Check = new() { Step = 2e-3 };

    private static readonly SplineCouplingOptions Options = new(Bins: 5, Bound: 3f, MinBinWidth: 1e-3f, MinBinHeight: 1e-3f, MinDerivative: 1e-3f);

    /// <summary>
    /// Raw parameters in [-1, 1] and points on the side the spline starts from: every fourth outside the bound, every
    /// fourth at Margin from an interior knot, the rest anywhere inside at least Margin from knots and the bound.
    /// </summary>
    private static (Tensor X, Tensor Raw) Inputs(ulong seed, bool inverse, SplineCouplingOptions o, int b = B, int d = D)
    {
        var rng = new Rng(seed);
        var raw = TestTensors.Uniform(rng, -1f, 1f, b, d * o.ParametersPerFeature);
        var x = new float[b * d];
        for (int e = 0; e < x.Length; e++)
        {
            var (kx, ky, _) = SplineReference.Knots(raw.Span, e, o);
            float[] knots = Array.ConvertAll(inverse ? ky : kx, v => (float)v);
            float sign = rng.NextUInt32() % 2 == 0 ? 1f : -1f;
            while (true)
            {
                float v = (e % 4) switch
                {
                    0 => sign * (o.Bound + 0.2f + rng.Uniform(0f, 1.5f)),
                    1 when o.Bins > 1 => knots[1 + rng.Integer(0, o.Bins - 1)] + sign * Margin * 1.01f,
                    _ => rng.Uniform(-o.Bound, o.Bound),
                };
                if (e % 4 == 0 || (TestTensors.IsAway(v, knots, Margin) && MathF.Abs(v) < o.Bound - Margin))
                {
                    x[e] = v;
                    break;
                }
                sign = -sign;
            }
        }
        return (Tensor.FromArray(x, b, d), raw);
    }

    [Theory]
    [InlineData(5, false)]
    [InlineData(5, true)]
    [InlineData(1, false)]
    [InlineData(16, true)]
    public void Forward_MatchesDoubleOracle(int bins, bool inverse)
    {
        var o = Options with { Bins = bins };
        var (x, raw) = Inputs(1, inverse, o);
        var (y, logDet) = Tensor.SplineCoupling(x, raw, o, inverse);
        Assert.Equal(x.Shape, y.Shape);
        Assert.Equal(new Shape(B), logDet.Shape);
        var (expectedY, expectedLogDet) = SplineReference.Oracle(x.Span, raw.Span, B, D, o, inverse);
        NumericAssert.AssertClose(expectedY, y.Span, Tolerances.Float32Atol, Tolerances.Float32Rtol, $"y (K {bins}, inverse {inverse})");
        NumericAssert.AssertClose(expectedLogDet, logDet.Span, 1e-4, 1e-4, $"log-det (K {bins}, inverse {inverse})");
    }

    [Theory]
    [InlineData(5, false)]
    [InlineData(5, true)]
    [InlineData(16, false)]
    [InlineData(16, true)]
    public void ForwardAndGradients_MatchCompositeFormulation(int bins, bool inverse)
    {
        var o = Options with { Bins = bins };
        var (x, raw) = Inputs(2, inverse, o, b: 8, d: 3);
        var fused = ValuesAndGradients(x, raw, (a, p) => Tensor.SplineCoupling(a, p, o, inverse));
        var composite = ValuesAndGradients(x, raw, (a, p) => SplineReference.Composite(a, p, o, inverse));
        // Same float32 formulas; the composite sums knots in a GEMM and differentiates op by op (the inverse through
        // the root formula), the fused op by hand (the inverse implicitly), so only rounding differs.
        const double atol = 2e-5, rtol = 2e-4;
        NumericAssert.AssertClose(composite.Y, fused.Y, atol, rtol, "y");
        NumericAssert.AssertClose(composite.LogDet, fused.LogDet, atol, rtol, "log-det");
        NumericAssert.AssertClose(composite.Dx, fused.Dx, atol, rtol, "dx");
        NumericAssert.AssertClose(composite.Dp, fused.Dp, atol, rtol, "dRaw");
    }

    private static (float[] Y, float[] LogDet, float[] Dx, float[] Dp) ValuesAndGradients(Tensor x0, Tensor raw0,
        Func<Tensor, Tensor, (Tensor, Tensor)> f)
    {
        var x = Tensor.FromArray(x0.Span, x0.Shape);
        var raw = Tensor.FromArray(raw0.Span, raw0.Shape);
        x.RequiresGrad = true;
        raw.RequiresGrad = true;
        var rng = new Rng(3);
        var wy = TestTensors.Uniform(rng, -1f, 1f, x.Shape[0], x.Shape[1]);
        var wl = TestTensors.Uniform(rng, -1f, 1f, x.Shape[0]);
        var tape = new Tape();
        using (tape.Record())
        {
            var (y, logDet) = f(x, raw);
            tape.Backward((y * wy).Sum() + (logDet * wl).Sum());
            return (y.ToArray(), logDet.ToArray(), x.Grad!.ToArray(), raw.Grad!.ToArray());
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradients_BothOutputs_MatchFiniteDifferences(bool inverse)
    {
        var (x, raw) = Inputs(4, inverse, Options);
        GradCheck.Assert($"spline coupling y and log-det (inverse {inverse})", Check, t =>
        {
            var (y, logDet) = Tensor.SplineCoupling(t[0], t[1], Options, inverse);
            return Tensor.Concat(y, logDet.Reshape(B, 1), 1);
        }, x, raw);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradients_YOnly_MatchFiniteDifferences(bool inverse)
    {
        var (x, raw) = Inputs(5, inverse, Options);
        GradCheck.Assert($"spline coupling y (inverse {inverse})", Check, t => Tensor.SplineCoupling(t[0], t[1], Options, inverse).Y, x, raw);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradients_LogDetOnly_MatchFiniteDifferences(bool inverse)
    {
        var (x, raw) = Inputs(6, inverse, Options);
        GradCheck.Assert($"spline coupling log-det (inverse {inverse})", Check, t => Tensor.SplineCoupling(t[0], t[1], Options, inverse).LogDet, x, raw);
    }

    /// <summary>Inputs that already hold a gradient when the coupling's backward runs: it must accumulate, not overwrite.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradients_InputsUsedElsewhereToo_Accumulate(bool inverse)
    {
        var (x, raw) = Inputs(7, inverse, Options);
        GradCheck.Assert($"spline coupling with shared inputs (inverse {inverse})", Check, t =>
        {
            var (y, logDet) = Tensor.SplineCoupling(t[0], t[1], Options, inverse);
            // Recorded after the coupling, so their backward runs first and creates the gradients.
            return (y * t[0] + t[1].Slice(1, 0, D)).Sum(1) * logDet;
        }, x, raw);
    }

    [Fact]
    public void InverseOfForward_RecoversInputAndLogDetsCancel()
    {
        var (x, raw) = Inputs(8, inverse: false, Options, b: 6, d: 5);
        var (y, ld) = Tensor.SplineCoupling(x, raw, Options, inverse: false);
        var (back, ldInverse) = Tensor.SplineCoupling(y, raw, Options, inverse: true);
        NumericAssert.AssertClose(x.Span, back.Span, 2e-5, 2e-5, "inverse(forward(x))");
        var sum = (ld + ldInverse).ToArray();
        NumericAssert.AssertClose(new float[sum.Length], sum, 1e-4, 0, "log-det + inverse log-det");
    }

    [Fact]
    public void ZeroParameters_IsIdentity()
    {
        var (x, _) = Inputs(9, inverse: false, Options);
        foreach (bool inverse in new[] { false, true })
        {
            var (y, ld) = Tensor.SplineCoupling(x, Tensor.Zeros(B, D * Options.ParametersPerFeature), Options, inverse);
            NumericAssert.AssertClose(x.Span, y.Span, 1e-5, 1e-5, $"y at raw = 0 (inverse {inverse})");
            NumericAssert.AssertClose(new float[B], ld.Span, 1e-5, 0, $"log-det at raw = 0 (inverse {inverse})");
        }
    }

    [Fact]
    public void Forward_ParametersOfWrongWidth_ThrowsWithShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.SplineCoupling(Tensor.Zeros(3, 2), Tensor.Zeros(3, 13), Options, inverse: false));
        Assert.Contains("(3, 2)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 13)", e.Message, StringComparison.Ordinal);
        Assert.Contains("14", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_InvalidOptions_Throws()
    {
        var x = Tensor.Zeros(2, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.SplineCoupling(x, Tensor.Zeros(2, 14), Options with { Bound = 0f }, inverse: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.SplineCoupling(x, Tensor.Zeros(2, 14), Options with { MinBinWidth = 0.2f }, inverse: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.SplineCoupling(x, Tensor.Zeros(2, 2), Options with { Bins = 0 }, inverse: false));
    }
}
