namespace Amortized.Inference.Diagnostics;

/// <summary>
/// A reference sample for misspecification checks: the summary-space vectors (Count, Dim) of simulated data sets,
/// as <see cref="Approximators.ContinuousApproximator.SummarySpace"/> computes them. It belongs to the networks it
/// was computed with: retraining changes the summary space, so recompute it after any further training.
/// </summary>
public sealed class MisspecificationReference
{
    private readonly float[] _summaries;

    /// <summary>Copies <paramref name="summaries"/> (count, dim), which must be finite.</summary>
    /// <param name="summaries">(count, dim) row-major summary-space vectors of simulated data sets.</param>
    /// <param name="count">M, the number of simulated data sets; at least 2 so that a test has a
    /// comparison set.</param>
    /// <param name="dim">D, the summary-space dimension; at least 1.</param>
    /// <exception cref="ArgumentException">A size mismatch or a NaN or infinite value (named with its row).</exception>
    public MisspecificationReference(float[] summaries, int count, int dim)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        const string caller = "MisspecificationReference";
        Mmd.CheckDim(dim, nameof(dim), caller);
        if (count < 2)
            throw new ArgumentOutOfRangeException(nameof(count), count,
                $"{caller}: count is {count}; a reference needs at least 2 simulated data sets (a " +
                "thousand or so is typical).");
        Mmd.CheckSample(caller, summaries, count, dim, nameof(summaries), nameof(count));
        _summaries = (float[])summaries.Clone();
        Count = count;
        Dim = dim;
    }

    /// <summary>M, the number of simulated data sets.</summary>
    public int Count { get; }

    /// <summary>D, the summary-space dimension.</summary>
    public int Dim { get; }

    /// <summary>The summaries (Count, Dim), row-major.</summary>
    public ReadOnlySpan<float> Summaries => _summaries;

    /// <summary>A copy of the summaries (Count * Dim values, row-major).</summary>
    public float[] ToArray() => (float[])_summaries.Clone();
}
