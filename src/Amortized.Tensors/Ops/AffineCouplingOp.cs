using Amortized.Kernels.Cpu;
using Amortized.Tensors.Autodiff;

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
/// <para>Two outputs on a one-output tape: see <see cref="CouplingOp"/>.</para>
/// </remarks>
internal sealed class AffineCouplingOp : CouplingOp
{
    public static readonly AffineCouplingOp Instance = new();

    public override string Name => "AffineCoupling";

    public static (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor parameters, AffineScaleKind kind, bool inverse)
    {
        CheckInputs("AffineCoupling", x, parameters, 2, "(B, 2D) = [a | t]");
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        var y = Tensor.EmptyLike(x, x.Shape);
        var logDet = Tensor.EmptyLike(x, new Shape(x.Shape[0]));
        x.Backend.AffineCoupling(x, parameters, kind, inverse, y, logDet);
        Instance.Record(x, parameters, y, logDet, inverse, setting: (int)kind);
        return (y, logDet);
    }

    protected override void Backward(TapeEntry e, Tensor x, Tensor parameters,
        bool inverse, Tensor? dy, Tensor? dLogDet,
        Tensor? dx, bool dxOverwrite, Tensor? dParameters, bool dParametersOverwrite) =>
        x.Backend.AffineCouplingBackward(x, parameters, (AffineScaleKind)e.I0, inverse, dy, dLogDet, dx, dxOverwrite,
            dParameters, dParametersOverwrite);
}
