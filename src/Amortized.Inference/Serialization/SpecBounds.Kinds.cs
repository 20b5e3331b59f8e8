using Amortized.Inference.Approximators;
using Amortized.Networks;
using Amortized.Networks.Summaries;

namespace Amortized.Inference.Serialization;

// The point and model-comparison specs: the same rule, every field bounded before any network is built.
internal sealed partial class SpecBounds
{
    /// <exception cref="InvalidDataException">The first field out of bounds, naming the file, field, value and bound.
    /// </exception>
    public static void Check(PointApproximatorSpec spec, ModelFileLimits limits, string source)
    {
        var bounds = new SpecBounds(limits, source);
        bounds.Range(spec.VariableDim, 1, limits.MaxDimension, "spec.variable_dim", nameof(limits.MaxDimension));
        bounds.Inputs(spec.Summary, spec.ConditionDim, spec.SummaryInputDim);
        bounds.NotNull(spec.Rules, "spec.rules");
        bounds.Range(spec.Rules.Count, 1, limits.MaxScoringRules, "spec.rules (its length)",
            nameof(limits.MaxScoringRules));
        for (int i = 0; i < spec.Rules.Count; i++) bounds.Rule(spec.Rules[i], spec.VariableDim, $"spec.rules[{i}]");
        bounds.NotNull(spec.Approximator, "spec.approximator");
        bounds.NotNull(spec.Approximator.ConditionsKey, "spec.approximator.conditions_key");
        bounds.Mlp(spec.Approximator.Subnet, "spec.approximator.subnet");
        bounds.SummaryOptions(spec.Summary, spec.DeepSet, spec.SetTransformer, spec.TimeSeries,
            spec.TimeSeriesTransformer);
    }

    /// <exception cref="InvalidDataException">The first field out of bounds, naming the file, field, value and bound.
    /// </exception>
    public static void Check(ModelComparisonSpec spec, ModelFileLimits limits, string source)
    {
        var bounds = new SpecBounds(limits, source);
        bounds.Range(spec.ModelCount, 2, limits.MaxModels, "spec.model_count", nameof(limits.MaxModels));
        if (spec.ModelNames is { } names)
        {
            if (names.Count != spec.ModelCount)
                throw bounds.Invalid("spec.model_names (its length)", names.Count.ToString(
                    System.Globalization.CultureInfo.InvariantCulture), $"{spec.ModelCount} (spec.model_count)");
            for (int i = 0; i < names.Count; i++) bounds.NotNull(names[i], $"spec.model_names[{i}]");
        }
        bounds.Inputs(spec.Summary, spec.ConditionDim, spec.SummaryInputDim);
        bounds.NotNull(spec.Approximator, "spec.approximator");
        bounds.NotNull(spec.Approximator.ConditionsKey, "spec.approximator.conditions_key");
        bounds.NotNull(spec.Approximator.ModelIndicesKey, "spec.approximator.model_indices_key");
        bounds.Mlp(spec.Approximator.Classifier, "spec.approximator.classifier");
        bounds.SummaryOptions(spec.Summary, spec.DeepSet, spec.SetTransformer, spec.TimeSeries,
            spec.TimeSeriesTransformer);
    }

    /// <summary>The summary kind and the input widths C and F.</summary>
    private void Inputs(SummaryNetworkKind summary, int conditionDim, int summaryInputDim)
    {
        Defined(summary, "spec.summary");
        Range(conditionDim, 0, limits.MaxDimension, "spec.condition_dim", nameof(limits.MaxDimension));
        Range(summaryInputDim, summary == SummaryNetworkKind.None ? 0 : 1, limits.MaxDimension,
            "spec.summary_input_dim", nameof(limits.MaxDimension));
    }

    private void SummaryOptions(SummaryNetworkKind summary, DeepSetOptions? deepSet,
        SetTransformerOptions? setTransformer, TimeSeriesNetworkOptions? timeSeries,
        TimeSeriesTransformerOptions? timeSeriesTransformer)
    {
        switch (summary)
        {
            case SummaryNetworkKind.DeepSet: Check(deepSet ?? new()); break;
            case SummaryNetworkKind.SetTransformer: Check(setTransformer ?? new()); break;
            case SummaryNetworkKind.TimeSeries: Check(timeSeries ?? new()); break;
            case SummaryNetworkKind.TimeSeriesTransformer: Check(timeSeriesTransformer ?? new()); break;
            // Point and model-comparison specs hold one summary network; a fusion summary is the continuous spec's.
            case SummaryNetworkKind.Fusion:
                throw Invalid("spec.summary", nameof(SummaryNetworkKind.Fusion),
                    "None, DeepSet, SetTransformer, TimeSeries or TimeSeriesTransformer (Fusion is for the continuous " +
                    "approximator)");
        }
    }

    /// <summary>
    /// One scoring rule: a defined kind, levels only for quantiles, each in (0, 1) and increasing, and a head whose
    /// width (counted in 64 bits, as D (D + 1) / 2 overflows an int for D near 2^16) fits the parameter limit.
    /// </summary>
    private void Rule(ScoringRuleSpec? rule, int variableDim, string field)
    {
        NotNull(rule, field);
        Defined(rule!.Kind, $"{field}.kind");
        if (rule.Name is { } name && name.Length == 0) throw Invalid($"{field}.name", "\"\"", "a non-empty name");
        long d = variableDim, head = d;
        if (rule.Kind == ScoringRuleKind.Quantiles)
        {
            var levels = rule.Levels;
            int count = levels?.Count ?? 3;
            if (levels is not null)
            {
                Range(levels.Count, 1, limits.MaxQuantileLevels, $"{field}.levels (its length)",
                    nameof(limits.MaxQuantileLevels));
                for (int i = 0; i < levels.Count; i++)
                {
                    float lower = i == 0 ? 0f : levels[i - 1];
                    if (!(levels[i] > lower && levels[i] < 1f))
                        throw Invalid($"{field}.levels[{i}]",
                            levels[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
                            i == 0 ? "a level in (0, 1)" : $"a level in ({lower.ToString(
                                System.Globalization.CultureInfo.InvariantCulture)}, 1), above the one before");
                }
            }
            head = count * d;
        }
        else if (rule.Levels is not null)
            throw Invalid($"{field}.levels", $"a list of {rule.Levels.Count}", "null (only quantiles have levels)");
        else if (rule.Kind == ScoringRuleKind.MultivariateNormal) head = d + d * (d + 1) / 2;
        Range(head, 1, limits.MaxParameters, $"{field} (its head width for D = {variableDim})",
            nameof(limits.MaxParameters));
    }

    /// <summary>An MLP's hidden widths, activation, initialiser and dropout rate.</summary>
    private void Mlp(MlpOptions? options, string field)
    {
        NotNull(options, field);
        Widths(options!.Widths, $"{field}.widths");
        Defined(options.Activation, $"{field}.activation");
        Defined(options.KernelInitializer, $"{field}.kernel_initializer");
        if (!(options.Dropout >= 0f && options.Dropout < 1f))
            throw Invalid($"{field}.dropout",
                options.Dropout.ToString(System.Globalization.CultureInfo.InvariantCulture), "a rate in [0, 1)");
    }
}
