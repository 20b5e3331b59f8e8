using Amortized.Tensors.Autodiff;

namespace Amortized.Tensors.Ops;

/// <summary>
/// Fused rational-quadratic spline coupling with identity tails. Shapes: x (B, D), parameters (B, D * P) with
/// P = 3K - 1 per feature ([K width logits | K height logits | K - 1 interior derivative pre-activations]), y (B, D),
/// logDet (B). Widths and heights are softmax (1 - K min) + min of their logits, knots their running sums scaled to
/// [-B, B]; interior knot derivatives are minD + softplus(raw + ln(exp(1 - minD) - 1)), the two boundary ones 1.
/// One backend call forward and one backward, instead of the composite's ~60 (softmaxes, cumulative-sum matmuls,
/// bin and inside masks, the rational-quadratic formula, where, sum).
/// </summary>
/// <remarks>
/// <para>Durkan, Bekasov, Murray and Papamakarios (2019), "Neural Spline Flows", eqs. 4-8 (as in BayesFlow).</para>
/// <para>Derivatives, per inside element: the local formula out = yk + hk n(xi) / q(xi) and log f' are differentiated
/// with respect to (xi, s, dk, dk1, hk, yk) by hand; xi = (x - xk) / wk and s = hk / wk chain to the bin's knots;
/// a knot is a running sum of softmax outputs, so its adjoint reaches every logit below the bin through the softmax
/// Jacobian. The inverse uses the implicit function theorem on F(xi) = y instead of differentiating the root
/// formula: the same derivative wherever the discriminant is positive. Outside the bound dx = dy and the
/// parameters get 0. Backward recomputes the bins from x and the parameters; nothing is stored.</para>
/// <para>Two outputs on a one-output tape, as <see cref="AffineCouplingOp"/>: logDet's entry, then y's, sharing one
/// backward; y's entry runs it (with logDet's gradient, if any), logDet's only when y received no gradient.</para>
/// </remarks>
internal sealed class SplineCouplingOp : Op
{
    public static readonly SplineCouplingOp Instance = new();

    public override string Name => "SplineCoupling";

    public static (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor parameters, SplineCouplingOptions options, bool inverse)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(parameters);
        options.Validate(nameof(options));
        int per = options.ParametersPerFeature;
        if (x.Rank != 2 || parameters.Rank != 2 || parameters.Shape[0] != x.Shape[0] || parameters.Shape[1] != per * x.Shape[1])
            throw new ArgumentException(
                $"SplineCoupling: x is {x.Shape} and parameters {parameters.Shape}; expected x (B, D) and parameters (B, D * {per}) for {options.Bins} bins.",
                nameof(parameters));
        Tensor.CheckSameDevice("SplineCoupling", x, parameters);
        var y = Tensor.EmptyLike(x, x.Shape);
        var logDet = Tensor.EmptyLike(x, new Shape(x.Shape[0]));
        x.Backend.SplineCoupling(x, parameters, options, inverse, y, logDet);
        if (Tape.ShouldRecord(x, parameters))
        {
            Record(logDet, x, parameters, y, options, inverse, primary: false);
            Record(y, x, parameters, logDet, options, inverse, primary: true);
        }
        return (y, logDet);
    }

    private static void Record(Tensor output, Tensor x, Tensor parameters, Tensor other, SplineCouplingOptions options, bool inverse,
        bool primary)
    {
        var e = Tape.Push(Instance, output, x, parameters);
        e.Saved0 = other;
        e.I0 = options.Bins;
        e.I1 = inverse ? 1 : 0;
        e.I2 = primary ? 1 : 0;
        e.F0 = options.Bound;
        e.F1 = options.MinBinWidth;
        e.F2 = options.MinBinHeight;
        e.F3 = options.MinDerivative;
    }

    public override void Backward(TapeEntry e)
    {
        bool primary = e.I2 == 1;
        Tensor y = primary ? e.Output : e.Saved0!, logDet = primary ? e.Saved0! : e.Output;
        if (!primary && y.Grad is not null) return;                           // y's entry already did it all
        var x = e.A!;
        var parameters = e.B!;
        var dx = Tape.GradOf(x, out bool dxOverwrite);
        var dParameters = Tape.GradOf(parameters, out bool dParametersOverwrite);
        if (dx is null && dParameters is null) return;
        var options = new SplineCouplingOptions(e.I0, e.F0, e.F1, e.F2, e.F3);
        x.Backend.SplineCouplingBackward(x, parameters, options, e.I1 == 1, y.Grad, logDet.Grad,
            dx, dxOverwrite, dParameters, dParametersOverwrite);
    }
}
