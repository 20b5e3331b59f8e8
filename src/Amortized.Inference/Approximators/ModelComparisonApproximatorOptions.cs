using Amortized.Inference.Adapters;
using Amortized.Inference.Simulators;
using Amortized.Networks;

namespace Amortized.Inference.Approximators;

/// <summary>Options of a <see cref="ModelComparisonApproximator"/>.</summary>
public sealed record ModelComparisonApproximatorOptions
{
    /// <summary>The classifier's hidden layers; a linear layer to K logits is added on top. No OutputDim.</summary>
    public MlpOptions Classifier { get; init; } = new() { Widths = [128, 128] };

    /// <summary>Key of the one-hot model indicator (B, K) in the adapted data.</summary>
    public string ModelIndicesKey { get; init; } = ModelComparisonSimulator.ModelIndicesKey;

    /// <summary>Key of the direct conditions (B, C) in the adapted data.</summary>
    public string ConditionsKey { get; init; } = Keys.InferenceConditions;

    /// <summary>Standardise the direct conditions with running statistics.</summary>
    public bool StandardizeConditions { get; init; } = true;

    /// <summary>Standardise the summary network's inputs per feature (padding excluded).</summary>
    public bool StandardizeSummaryInputs { get; init; } = true;
}
