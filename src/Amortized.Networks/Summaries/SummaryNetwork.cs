using System.Diagnostics;
using Amortized.Tensors;

namespace Amortized.Networks.Summaries;

/// <summary>
/// A network that compresses a batch of data sets or sequences into fixed-size summaries: the contract every
/// summary network (DeepSet, SetTransformer, TimeSeriesNetwork) meets. Shapes: x (B, N, F) with N set elements
/// or time steps of F features, mask (B, N) with 1 for observed rows and 0 for padding (or null: all observed),
/// summary (B, S).
/// </summary>
/// <remarks>
/// Input checking and padding hygiene are written once here: padded rows of x are replaced by zeros before the
/// network sees them (so even NaN or infinite padding cannot leak), and each network keeps padded rows out of
/// its pooling, attention or recurrence. A padded batch therefore gives the same summaries as the unpadded sets.
/// </remarks>
public abstract class SummaryNetwork : Module
{
    /// <summary>
    /// Creates a network for F = <paramref name="inputDim"/> features and S = <paramref name="summaryDim"/> outputs.
    /// </summary>
    protected SummaryNetwork(string name, int inputDim, int summaryDim) : base(name)
    {
        if (inputDim <= 0) throw new ArgumentOutOfRangeException(nameof(inputDim), inputDim,
            $"{GetType().Name} '{name}': input dimension must be positive.");
        if (summaryDim <= 0) throw new ArgumentOutOfRangeException(nameof(summaryDim), summaryDim,
            $"{GetType().Name} '{name}': summary dimension must be positive.");
        InputDim = inputDim;
        SummaryDim = summaryDim;
    }

    /// <summary>F, the features per set element or time step.</summary>
    public int InputDim { get; }

    /// <summary>S, the width of the summary.</summary>
    public int SummaryDim { get; }

    /// <summary>Summaries (B, S) of x (B, N, F) with optional mask (B, N); no dropout.</summary>
    public Tensor Forward(Tensor x, Tensor? mask) => Forward(x, mask, null);

    /// <summary>
    /// Summaries (B, S) of x (B, N, F) with optional mask (B, N) of 0/1 entries; <paramref name="rng"/> drives
    /// dropout in training mode (no dropout when null).
    /// </summary>
    public Tensor Forward(Tensor x, Tensor? mask, Rng? rng)
    {
        CheckInputs(x, mask);
        var clean = mask is null ? x : Masking.ZeroPadding(x, mask);
        var summary = ForwardCore(clean, mask, rng);
        Debug.Assert(summary.Shape == new Shape(x.Shape[0], SummaryDim));
        return summary;
    }

    /// <summary>The network proper: x (B, N, F) with padded rows zeroed, mask (B, N) or null -> (B, S).</summary>
    protected abstract Tensor ForwardCore(Tensor x, Tensor? mask, Rng? rng);

    private void CheckInputs(Tensor x, Tensor? mask)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 3 || x.Shape[2] != InputDim)
            throw new ArgumentException(
                $"{GetType().Name} '{Name}': input is {x.Shape}; expected (B, N, {InputDim}).", nameof(x));
        if (x.Shape[0] == 0 || x.Shape[1] == 0)
            throw new ArgumentException($"{GetType().Name} '{Name}': input is {x.Shape}; batch and set size " +
                "must be positive.", nameof(x));
        if (mask is null) return;
        if (mask.Rank != 2 || mask.Shape[0] != x.Shape[0] || mask.Shape[1] != x.Shape[1])
            throw new ArgumentException($"{GetType().Name} '{Name}': mask is {mask.Shape}; expected ({x.Shape[0]}, " +
                $"{x.Shape[1]}) to match input {x.Shape}.", nameof(mask));
        // Checked where the mask is host memory; a device mask was checked by whoever uploaded it (the
        // approximators validate the adapted batch on the host), so no step waits on a download for this.
        if (!mask.IsOnHost) return;
        var m = mask.Span;
        for (int i = 0; i < m.Length; i++)
        {
            if (m[i] != 0f && m[i] != 1f)
                throw new ArgumentException($"{GetType().Name} '{Name}': mask entry {i} is {m[i]}; entries must be 0 " +
                    "(padding) or 1 (observed).", nameof(mask));
        }
    }
}
