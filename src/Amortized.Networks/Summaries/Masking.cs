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
        Tensor.Where(Expand(mask, x.Shape[2]), x, Tensor.Zeros(x.Shape));

    /// <summary>Pools h (B, N, D) over the observed rows to (B, D).</summary>
    public static Tensor Pool(Tensor h, Tensor? mask, SetPooling pooling)
    {
        if (mask is null) return pooling == SetPooling.Mean ? h.Mean(1) : h.Max(1);
        int b = h.Shape[0], d = h.Shape[2];
        var expanded = Expand(mask, d);
        var counts = Tensor.Zeros(b, 1);
        var nonEmpty = Tensor.Zeros(b, d);
        CountObserved(mask, counts.Span, nonEmpty.Span, d);
        if (pooling == SetPooling.Mean)
            return Tensor.Where(expanded, h, Tensor.Zeros(h.Shape)).Sum(1) / counts;
        // Padded rows become the lowest float, so they never win the maximum; a set with no observed rows
        // would pool to that fill, so it is replaced by 0.
        var max = Tensor.Where(expanded, h, Tensor.Full(h.Shape, float.MinValue)).Max(1);
        return Tensor.Where(nonEmpty, max, Tensor.Zeros(max.Shape));
    }

    /// <summary>counts[b] = max(1, observed rows of set b); nonEmpty[b, :] = 1 when set b has an observed row.</summary>
    private static void CountObserved(Tensor mask, Span<float> counts, Span<float> nonEmpty, int features)
    {
        var m = mask.Span;
        int n = mask.Shape[1];
        for (int i = 0; i < counts.Length; i++)
        {
            float c = 0f;
            for (int j = 0; j < n; j++) c += m[i * n + j];
            counts[i] = Math.Max(c, 1f);
            nonEmpty.Slice(i * features, features).Fill(c > 0f ? 1f : 0f);
        }
    }
}
