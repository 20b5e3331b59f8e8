using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>
/// A univariate distribution: seeded draws, log density (log probability mass for a discrete one) and moments.
/// Implementations are immutable, so one instance may be shared by all rows of a simulator running in parallel.
/// </summary>
public interface IDistribution
{
    /// <summary>One draw, using only <paramref name="rng"/> (same stream state, same draw).</summary>
    double Sample(Rng rng);

    /// <summary>
    /// log p(x): the log density (continuous) or log probability mass (discrete); negative infinity outside the
    /// support (for a discrete distribution, also at non-integer x).
    /// </summary>
    double LogDensity(double x);

    /// <summary>E[X]; NaN where it does not exist (e.g. Cauchy).</summary>
    double Mean { get; }

    /// <summary>Var[X]; positive infinity where it diverges, NaN where the mean does not exist.</summary>
    double Variance { get; }
}
