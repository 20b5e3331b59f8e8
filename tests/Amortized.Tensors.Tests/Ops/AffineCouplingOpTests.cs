using Amortized.Kernels.Cpu;
using Amortized.Tensors.Autodiff;
using Amortized.Testing;
using Xunit;

namespace Amortized.Tensors.Tests.Ops;

/// <summary>
/// The fused affine coupling: forward against a double oracle and against the composite formulation it replaced
/// (slices, scale chain, exp, multiply, add, sum), gradients against finite differences for both scale kinds and
/// both directions, with the gradient reaching it through y only, log-det only, or both.
/// Shapes: x (B, D), parameters (B, 2D) = [a | t].
/// </summary>
public class AffineCouplingOpTests
{
    private const int B = 3, D = 4;

    public static TheoryData<AffineScaleKind, bool> KindsAndDirections => new()
    {
        { AffineScaleKind.TanhExp, false },
        { AffineScaleKind.TanhExp, true },
        { AffineScaleKind.SoftplusAsinh, false },
        { AffineScaleKind.SoftplusAsinh, true },
    };

    private static (Tensor X, Tensor P) Inputs(ulong seed, int b = B, int d = D)
    {
        var rng = new Rng(seed);
        return (TestTensors.Uniform(rng, -2f, 2f, b, d), TestTensors.Uniform(rng, -2f, 2f, b, 2 * d));
    }

    /// <summary>The composite formulation the fused op replaced (Networks' AffineTransform before fusion): the oracle.</summary>
    private static (Tensor Y, Tensor LogDet) Composite(Tensor x, Tensor p, AffineScaleKind kind, bool inverse)
    {
        int d = x.Shape[1];
        var a = p.Slice(1, 0, d);
        var t = p.Slice(1, d, d);
        var logS = kind == AffineScaleKind.TanhExp
            ? (a * 0.5f).Tanh() * 2f
            : (a.Asinh() + MathF.Log(MathF.E - 1f)).Softplus().Log();
        return inverse ? ((x - t) * (-logS).Exp(), -logS.Sum(1)) : (x * logS.Exp() + t, logS.Sum(1));
    }

    private static double LogScale(AffineScaleKind kind, double a)
    {
        if (kind == AffineScaleKind.TanhExp) return 2 * Math.Tanh(a / 2);
        double u = Math.Asinh(a) + Math.Log(Math.E - 1);
        return Math.Log(Math.Log(1 + Math.Exp(u)));
    }

    [Theory]
    [MemberData(nameof(KindsAndDirections))]
    public void Forward_MatchesDoubleOracle(AffineScaleKind kind, bool inverse)
    {
        var (x, p) = Inputs(1);
        var (y, logDet) = Tensor.AffineCoupling(x, p, kind, inverse);
        Assert.Equal(x.Shape, y.Shape);
        Assert.Equal(new Shape(B), logDet.Shape);
        var expectedY = new double[B * D];
        var expectedLogDet = new double[B];
        for (int b = 0; b < B; b++)
        {
            for (int j = 0; j < D; j++)
            {
                double xv = x[b, j], a = p[b, j], t = p[b, D + j];
                double logS = LogScale(kind, a);
                expectedY[b * D + j] = inverse ? (xv - t) * Math.Exp(-logS) : xv * Math.Exp(logS) + t;
                expectedLogDet[b] += inverse ? -logS : logS;
            }
        }
        NumericAssert.AssertClose(expectedY, y.Span, Tolerances.Float32Atol, Tolerances.Float32Rtol, $"y ({kind}, inverse {inverse})");
        NumericAssert.AssertClose(expectedLogDet, logDet.Span, Tolerances.Float32Atol, Tolerances.Float32Rtol, $"log-det ({kind}, inverse {inverse})");
    }

    [Theory]
    [MemberData(nameof(KindsAndDirections))]
    public void ForwardAndGradients_MatchCompositeFormulation(AffineScaleKind kind, bool inverse)
    {
        var (fusedY, fusedLd, fusedDx, fusedDp) = ValuesAndGradients((x, p) => Tensor.AffineCoupling(x, p, kind, inverse));
        var (refY, refLd, refDx, refDp) = ValuesAndGradients((x, p) => Composite(x, p, kind, inverse));
        // Same float32 formulas with the same library functions; only rounding of fused vs separate steps differs.
        const double tol = 1e-5;
        NumericAssert.AssertClose(refY, fusedY, tol, tol, "y");
        NumericAssert.AssertClose(refLd, fusedLd, tol, tol, "log-det");
        NumericAssert.AssertClose(refDx, fusedDx, tol, tol, "dx");
        NumericAssert.AssertClose(refDp, fusedDp, tol, tol, "dParameters");
    }

    private static (float[] Y, float[] LogDet, float[] Dx, float[] Dp) ValuesAndGradients(Func<Tensor, Tensor, (Tensor, Tensor)> f)
    {
        var (x, p) = Inputs(2);
        x.RequiresGrad = true;
        p.RequiresGrad = true;
        var rng = new Rng(3);
        var wy = TestTensors.Uniform(rng, -1f, 1f, B, D);
        var wl = TestTensors.Uniform(rng, -1f, 1f, B);
        var tape = new Tape();
        using (tape.Record())
        {
            var (y, logDet) = f(x, p);
            tape.Backward((y * wy).Sum() + (logDet * wl).Sum());
            return (y.ToArray(), logDet.ToArray(), x.Grad!.ToArray(), p.Grad!.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(KindsAndDirections))]
    public void Gradients_BothOutputs_MatchFiniteDifferences(AffineScaleKind kind, bool inverse)
    {
        var (x, p) = Inputs(4);
        GradCheck.Assert($"affine coupling y and log-det ({kind}, inverse {inverse})", t =>
        {
            var (y, logDet) = Tensor.AffineCoupling(t[0], t[1], kind, inverse);
            return Tensor.Concat(y, logDet.Reshape(B, 1), 1);
        }, x, p);
    }

    [Theory]
    [MemberData(nameof(KindsAndDirections))]
    public void Gradients_YOnly_MatchFiniteDifferences(AffineScaleKind kind, bool inverse)
    {
        var (x, p) = Inputs(5);
        GradCheck.Assert($"affine coupling y ({kind}, inverse {inverse})", t => Tensor.AffineCoupling(t[0], t[1], kind, inverse).Y, x, p);
    }

    [Theory]
    [MemberData(nameof(KindsAndDirections))]
    public void Gradients_LogDetOnly_MatchFiniteDifferences(AffineScaleKind kind, bool inverse)
    {
        var (x, p) = Inputs(6);
        GradCheck.Assert($"affine coupling log-det ({kind}, inverse {inverse})", t => Tensor.AffineCoupling(t[0], t[1], kind, inverse).LogDet, x, p);
    }

    /// <summary>Inputs that already hold a gradient when the coupling's backward runs: it must accumulate, not overwrite.</summary>
    [Theory]
    [MemberData(nameof(KindsAndDirections))]
    public void Gradients_InputsUsedElsewhereToo_Accumulate(AffineScaleKind kind, bool inverse)
    {
        var (x, p) = Inputs(7);
        GradCheck.Assert($"affine coupling with shared inputs ({kind}, inverse {inverse})", t =>
        {
            var (y, logDet) = Tensor.AffineCoupling(t[0], t[1], kind, inverse);
            // Recorded after the coupling, so their backward runs first and creates the gradients.
            return (y * t[0] + t[1].Slice(1, 0, D)).Sum(1) * logDet;
        }, x, p);
    }

    [Theory]
    [InlineData(AffineScaleKind.TanhExp)]
    [InlineData(AffineScaleKind.SoftplusAsinh)]
    public void InverseOfForward_RecoversInputAndLogDetsCancel(AffineScaleKind kind)
    {
        var (x, p) = Inputs(8, b: 5, d: 3);
        var (y, ld) = Tensor.AffineCoupling(x, p, kind, inverse: false);
        var (back, ldInverse) = Tensor.AffineCoupling(y, p, kind, inverse: true);
        NumericAssert.AssertClose(x.Span, back.Span, 1e-5, 1e-5, "inverse(forward(x))");
        var sum = (ld + ldInverse).ToArray();
        NumericAssert.AssertClose(new float[sum.Length], sum, 1e-6, 0, "log-det + inverse log-det");
    }

    [Fact]
    public void ZeroParameters_IsIdentityForBothKinds()
    {
        var (x, _) = Inputs(9);
        foreach (var kind in new[] { AffineScaleKind.TanhExp, AffineScaleKind.SoftplusAsinh })
        {
            var (y, ld) = Tensor.AffineCoupling(x, Tensor.Zeros(B, 2 * D), kind, inverse: false);
            NumericAssert.AssertClose(x.Span, y.Span, 1e-6, 1e-6, $"{kind}: y at a = t = 0");
            NumericAssert.AssertClose(new float[B], ld.Span, 1e-6, 0, $"{kind}: log-det at a = 0");
        }
    }

    [Fact]
    public void Forward_ParametersOfWrongWidth_ThrowsWithShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.AffineCoupling(Tensor.Zeros(3, 2), Tensor.Zeros(3, 5), AffineScaleKind.TanhExp, inverse: false));
        Assert.Contains("(3, 2)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 5)", e.Message, StringComparison.Ordinal);
    }
}
