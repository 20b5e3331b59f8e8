using Amortized.Networks.Summaries;

namespace Amortized.Inference.Approximators;

/// <summary>
/// Everything needed to rebuild a <see cref="PointApproximator"/> exactly: its scoring rules, the summary network's
/// kind and options, the trunk's options, the sizes and the construction seed. Stored in the model file's manifest
/// (kind <c>point_approximator</c>). The sizes are read off the adapted data when built through
/// <see cref="PointApproximator.Build(PointApproximatorSpec, Adapters.Adapter, Simulators.SimulationBatch)"/> or a
/// workflow, so a user sets only rules, kinds and options.
/// </summary>
public sealed record PointApproximatorSpec
{
    /// <summary>The scoring rules, one head each (default: the mean and the 0.1, 0.5, 0.9 quantiles).</summary>
    public IReadOnlyList<ScoringRuleSpec> Rules { get; init; } = [ScoringRuleSpec.Mean(), ScoringRuleSpec.Quantiles()];

    /// <summary>Summary network kind.</summary>
    public SummaryNetworkKind Summary { get; init; } = SummaryNetworkKind.None;

    /// <summary>Options when <see cref="Summary"/> is DeepSet.</summary>
    public DeepSetOptions? DeepSet { get; init; }

    /// <summary>Options when <see cref="Summary"/> is SetTransformer.</summary>
    public SetTransformerOptions? SetTransformer { get; init; }

    /// <summary>Options when <see cref="Summary"/> is TimeSeries.</summary>
    public TimeSeriesNetworkOptions? TimeSeries { get; init; }

    /// <summary>Options when <see cref="Summary"/> is TimeSeriesTransformer.</summary>
    public TimeSeriesTransformerOptions? TimeSeriesTransformer { get; init; }

    /// <summary>D: width of inference_variables.</summary>
    public int VariableDim { get; init; }

    /// <summary>C: width of inference_conditions (0 for none).</summary>
    public int ConditionDim { get; init; }

    /// <summary>F: feature width of summary_variables (0 without a summary network).</summary>
    public int SummaryInputDim { get; init; }

    /// <summary>Seed of the networks' construction.</summary>
    public ulong Seed { get; init; }

    /// <summary>The trunk, the linear baseline and the standardisation settings.</summary>
    public PointApproximatorOptions Approximator { get; init; } = new();
}

/// <summary>
/// Everything needed to rebuild a <see cref="ModelComparisonApproximator"/> exactly: the number of models (and
/// optionally their names), the summary network's kind and options, the classifier's options, the sizes and the
/// construction seed. Stored in the model file's manifest (kind <c>model_comparison_approximator</c>).
/// </summary>
public sealed record ModelComparisonSpec
{
    /// <summary>K: the number of models; 0 to read it off the width of the adapted model indicator.</summary>
    public int ModelCount { get; init; }

    /// <summary>The models' names (K), for reports; null for model_0, model_1, ...</summary>
    public IReadOnlyList<string>? ModelNames { get; init; }

    /// <summary>Summary network kind.</summary>
    public SummaryNetworkKind Summary { get; init; } = SummaryNetworkKind.None;

    /// <summary>Options when <see cref="Summary"/> is DeepSet.</summary>
    public DeepSetOptions? DeepSet { get; init; }

    /// <summary>Options when <see cref="Summary"/> is SetTransformer.</summary>
    public SetTransformerOptions? SetTransformer { get; init; }

    /// <summary>Options when <see cref="Summary"/> is TimeSeries.</summary>
    public TimeSeriesNetworkOptions? TimeSeries { get; init; }

    /// <summary>Options when <see cref="Summary"/> is TimeSeriesTransformer.</summary>
    public TimeSeriesTransformerOptions? TimeSeriesTransformer { get; init; }

    /// <summary>C: width of inference_conditions (0 for none).</summary>
    public int ConditionDim { get; init; }

    /// <summary>F: feature width of summary_variables (0 without a summary network).</summary>
    public int SummaryInputDim { get; init; }

    /// <summary>Seed of the networks' construction.</summary>
    public ulong Seed { get; init; }

    /// <summary>The classifier, keys and standardisation settings.</summary>
    public ModelComparisonApproximatorOptions Approximator { get; init; } = new();

    /// <summary>The name of model <paramref name="k"/>: <see cref="ModelNames"/>[k], else model_k.</summary>
    public string ModelName(int k) => ModelNames is { } names && k < names.Count ? names[k] : $"model_{k}";
}
