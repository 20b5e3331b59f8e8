using Amortized.Tensors;

namespace Amortized.Networks.Flows;

/// <summary>
/// A bijection of R^D, optionally conditioned. Shapes: x and y (B, D), conditions (B, C) or null, LogDet (B).
/// </summary>
/// <remarks>
/// Forward maps data to the latent side and returns log|det dy/dx|; Inverse maps back and returns
/// log|det dx/dy|, so the two log-dets of a round trip cancel (nflows' contract).
/// </remarks>
public interface IInvertibleLayer
{
    /// <summary>y = f(x; conditions) and log|det df/dx| per row.</summary>
    (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor? conditions);

    /// <summary>x = f^-1(y; conditions) and log|det df^-1/dy| per row.</summary>
    (Tensor X, Tensor LogDet) Inverse(Tensor y, Tensor? conditions);
}
