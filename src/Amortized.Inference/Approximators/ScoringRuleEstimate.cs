using Amortized.Inference.Simulators;

namespace Amortized.Inference.Approximators;

/// <summary>
/// One scoring rule's estimates for a batch of data sets.
/// <see cref="Values"/>: the parameter keys after the adapter's inverse, each (B, ...) for a point rule or
/// (B, Q, ...) for Q quantile levels. <see cref="Variables"/>: the same estimates as inference variables (B, D) or
/// (B, Q, D), destandardised but before the adapter's inverse, with their <see cref="Shape"/>.
/// <see cref="Covariance"/>: (B, D, D) in that same inference-variable space, for a normal rule; else null.
/// </summary>
/// <remarks>
/// Medians and quantiles stay medians and quantiles through any increasing adapter transform; a mean or
/// covariance is exact in the original space only when the adapter is affine there (e.g. concatenation).
/// </remarks>
public sealed record ScoringRuleEstimate(string Rule, SimulationBatch Values, float[] Variables,
    int[] Shape, float[]? Covariance);
