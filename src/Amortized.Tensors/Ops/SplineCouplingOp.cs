using Amortized.Kernels.Cpu;
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
/// <para>Two outputs on a one-output tape: see <see cref="CouplingOp"/>.</para>
/// </remarks>
internal sealed class SplineCouplingOp : CouplingOp
{
    public static readonly SplineCouplingOp Instance = new();

    public override string Name => "SplineCoupling";

    public static (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor parameters,
        SplineCouplingOptions options, bool inverse)
    {
        options.Validate(nameof(options));
        int per = options.ParametersPerFeature;
        CheckInputs("SplineCoupling", x, parameters, per, $"(B, D * {per}) for {options.Bins} bins");
        var y = Tensor.EmptyLike(x, x.Shape);
        var logDet = Tensor.EmptyLike(x, new Shape(x.Shape[0]));
        x.Backend.SplineCoupling(x, parameters, options, inverse, y, logDet);
        Instance.Record(x, parameters, y, logDet, inverse,
            setting: options.Bins, options.Bound, options.MinBinWidth, options.MinBinHeight, options.MinDerivative);
        return (y, logDet);
    }

    protected override void Backward(TapeEntry e, Tensor x, Tensor parameters,
        bool inverse, Tensor? dy, Tensor? dLogDet,
        Tensor? dx, bool dxOverwrite, Tensor? dParameters, bool dParametersOverwrite) =>
        x.Backend.SplineCouplingBackward(x, parameters,
            new SplineCouplingOptions(e.I0, e.F0, e.F1, e.F2, e.F3), inverse,
            dy, dLogDet, dx, dxOverwrite, dParameters, dParametersOverwrite);
}
