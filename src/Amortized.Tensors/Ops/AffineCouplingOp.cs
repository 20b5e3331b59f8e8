using Amortized.Tensors.Autodiff;
using Amortized.Tensors.Backends;

namespace Amortized.Tensors.Ops;

/// <summary>
/// Fused affine coupling transform. Shapes: x (B, D), parameters (B, 2D) holding [a | t] per row, y (B, D),
/// logDet (B). Forward: y = x exp(logS(a)) + t, logDet = sum_j logS(a_j). Inverse: y = (x - t) exp(-logS(a)),
/// logDet = -sum_j logS(a_j). One backend call forward and one backward, instead of the composite's slices,
/// scale chain, exp, multiply, add and sum (about ten launches each way).
/// </summary>
/// <remarks>
/// <para>Derivatives (s = exp(logS), g = dy, l = dLogDet; forward): dx = g s; dt = g; da = (g x s + l) logS'(a).
/// Inverse: dx = g / s; dt = -g / s; da = -(g (x - t) / s + l) logS'(a). Backward recomputes logS from the
/// parameters rather than storing it (it is a few flops per element), so the op keeps no intermediate tensor.</para>
/// <para>Two outputs on a one-output tape: the op records two entries, logDet's then y's, which share one backward.
/// The tape walks them in reverse after every consumer of either output, so both gradients are final when the
/// first of them runs: y's entry runs the whole backward with dLogDet (or none); logDet's entry runs it only when
/// y received no gradient (then y's entry was skipped), and otherwise does nothing.</para>
/// </remarks>
internal sealed class AffineCouplingOp : Op
{
    public static readonly AffineCouplingOp Instance = new();

    public override string Name => "AffineCoupling";

    public static (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor parameters, AffineScaleKind kind, bool inverse)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(parameters);
        if (x.Rank != 2 || parameters.Rank != 2 || parameters.Shape[0] != x.Shape[0] || parameters.Shape[1] != 2 * x.Shape[1])
            throw new ArgumentException(
                $"AffineCoupling: x is {x.Shape} and parameters {parameters.Shape}; expected x (B, D) and parameters (B, 2D) = [a | t].",
                nameof(parameters));
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        Tensor.CheckSameDevice("AffineCoupling", x, parameters);
        var y = Tensor.EmptyLike(x, x.Shape);
        var logDet = Tensor.EmptyLike(x, new Shape(x.Shape[0]));
        x.Backend.AffineCoupling(x, parameters, kind, inverse, y, logDet);
        if (Tape.ShouldRecord(x, parameters))
        {
            Record(logDet, x, parameters, y, kind, inverse, primary: false);
            Record(y, x, parameters, logDet, kind, inverse, primary: true);
        }
        return (y, logDet);
    }

    private static void Record(Tensor output, Tensor x, Tensor parameters, Tensor other, AffineScaleKind kind, bool inverse, bool primary)
    {
        var e = Tape.Push(Instance, output, x, parameters);
        e.Saved0 = other;
        e.I0 = (int)kind;
        e.I1 = inverse ? 1 : 0;
        e.I2 = primary ? 1 : 0;
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
        x.Backend.AffineCouplingBackward(x, parameters, (AffineScaleKind)e.I0, e.I1 == 1, y.Grad, logDet.Grad,
            dx, dxOverwrite, dParameters, dParametersOverwrite);
    }
}
