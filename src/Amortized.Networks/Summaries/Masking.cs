using Amortized.Tensors;

namespace Amortized.Networks.Summaries;

/// <summary>
/// Mask plumbing shared by the summary networks. Legend: B batch, N set size (or time steps), D features;
/// a mask is (B, N) with 1 = observed and 0 = padding. Masks are constants: no gradient flows into them.
/// </summary>
internal static class Masking
{
    /// <summary>The mask as (B, N, D), each row's flag repeated over the features.</summary>
    public static Tensor Expand(Tensor mask, int features)
    {
        int b = mask.Shape[0], n = mask.Shape[1];
        return mask.Detach().Reshape(b, n, 1).BroadcastTo(new Shape(b, n, features));
    }

    /// <summary>x (B, N, D) with padded rows replaced by exact zeros (Where, so NaN padding is dropped too).</summary>
    public static Tensor ZeroPadding(Tensor x, Tensor mask) =>
        Tensor.Where(Expand(mask, x.Shape[2]), x, Tensor.ZerosLike(x, x.Shape));

    /// <summary>Pools h (B, N, D) over the observed rows to (B, D).</summary>
    public static Tensor Pool(Tensor h, Tensor? mask, SetPooling pooling)
    {
        if (mask is null) return pooling == SetPooling.Mean ? h.Mean(1) : h.Max(1);
        int b = h.Shape[0], d = h.Shape[2];
        var expanded = Expand(mask, d);
        // Observed rows per set, (B, 1): a sum of 0/1 flags, exact in float for any realistic N. Computed with
        // tensor ops, so it runs on the mask's device.
        var observed = mask.Detach().Sum(1, keepDims: true);
        if (pooling == SetPooling.Mean)
            return Tensor.Where(expanded, h, Tensor.ZerosLike(h, h.Shape)).Sum(1) / observed.Clamp(1f, float.MaxValue);
        // Padded rows become the lowest float, so they never win the maximum; a set with no observed rows
        // would pool to that fill, so it is replaced by 0.
        var max = Tensor.Where(expanded, h, Tensor.FullLike(h, h.Shape, float.MinValue)).Max(1);
        var nonEmpty = observed.Clamp(0f, 1f).BroadcastTo(new Shape(b, d));
        return Tensor.Where(nonEmpty, max, Tensor.ZerosLike(max, max.Shape));
    }
}
