using Amortized.Tensors;

namespace Amortized.Networks;

/// <summary>
/// Inverted dropout: in training, zero each element with probability p and scale the rest by 1/(1-p).
/// </summary>
public static class Dropout
{
    /// <summary>
    /// Returns x * mask with mask_i = [u_i >= p] / (1 - p), u_i ~ U(0, 1) from <paramref name="rng"/>; the
    /// mask is a constant, so the gradient is dy * mask.
    /// </summary>
    public static Tensor Apply(Tensor x, float rate, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(rng);
        if (rate is < 0f or >= 1f)
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "Dropout rate must be in [0, 1).");
        if (rate == 0f) return x;
        float keep = 1f / (1f - rate);
        if (!x.IsOnHost)
        {
            // The mask is drawn on the host from the seeded generator (the same mask on every device) and uploaded
            // into the workspace: one small copy per dropout layer and step.
            var host = System.Buffers.ArrayPool<float>.Shared.Rent(x.Size);
            for (int i = 0; i < x.Size; i++) host[i] = rng.NextFloat() >= rate ? keep : 0f;
            using (BackendScope.Use(x.Backend))
            {
                var uploaded = Tensor.Upload(host.AsSpan(0, x.Size), x.Shape);
                System.Buffers.ArrayPool<float>.Shared.Return(host);
                return x * uploaded;
            }
        }
        var mask = Tensor.Zeros(x.Shape);
        var m = mask.Span;
        for (int i = 0; i < m.Length; i++) m[i] = rng.NextFloat() >= rate ? keep : 0f;
        return x * mask;
    }
}
