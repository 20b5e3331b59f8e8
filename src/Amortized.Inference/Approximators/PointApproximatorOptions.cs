using Amortized.Inference.Adapters;
using Amortized.Networks;

namespace Amortized.Inference.Approximators;

/// <summary>Options of a <see cref="PointApproximator"/>.</summary>
public sealed record PointApproximatorOptions
{
    /// <summary>
    /// The shared trunk from conditions to features; each scoring rule adds a linear head on top. No OutputDim.
    /// </summary>
    public MlpOptions Subnet { get; init; } = new() { Widths = [128, 128] };

    /// <summary>Key of the direct conditions in the adapted data.</summary>
    public string ConditionsKey { get; init; } = Keys.InferenceConditions;

    /// <summary>Standardise the inference variables with running statistics (estimates are mapped back).</summary>
    public bool StandardizeVariables { get; init; } = true;

    /// <summary>Standardise the direct conditions with running statistics.</summary>
    public bool StandardizeConditions { get; init; } = true;

    /// <summary>
    /// Add a linear baseline L(c) = c W + b of the conditions to every estimate, so the network learns only the
    /// remainder: each rule scores its head against theta - L(c), and its estimates get L(c) added back (mean,
    /// median and quantiles move with a shift; a Gaussian fit's covariance does not). The trainer fits L by ridge
    /// least squares on the training rows before the first step; after that it trains with the rest.
    /// </summary>
    public bool LinearBaseline { get; init; }

    /// <summary>Standardise the summary network's inputs per feature (padding excluded).</summary>
    public bool StandardizeSummaryInputs { get; init; } = true;
}
