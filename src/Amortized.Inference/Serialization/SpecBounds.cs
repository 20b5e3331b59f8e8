using Amortized.Inference.Approximators;
using Amortized.Networks.Flows;
using Amortized.Networks.Summaries;

namespace Amortized.Inference.Serialization;

/// <summary>
/// Checks a spec read from a model file against <see cref="ModelFileLimits"/> before any network is built from it,
/// so an edited spec is refused with the field, its value and the bound rather than by running out of memory.
/// Only the options of the networks the spec selects are checked (the others are never built). Field names are
/// the manifest's JSON paths (e.g. <c>spec.coupling_flow.subnet_widths[1]</c>).
/// </summary>
internal sealed partial class SpecBounds(ModelFileLimits limits, string source)
{
    /// <exception cref="InvalidDataException">The first field out of bounds, naming the file, field, value and bound.
    /// </exception>
    public static void Check(ApproximatorSpec spec, ModelFileLimits limits, string source)
    {
        var bounds = new SpecBounds(limits, source);
        bounds.Defined(spec.Inference, "spec.inference");
        bounds.Defined(spec.Summary, "spec.summary");
        bounds.Range(spec.VariableDim, 1, limits.MaxDimension, "spec.variable_dim", nameof(limits.MaxDimension));
        bounds.Range(spec.ConditionDim, 0, limits.MaxDimension, "spec.condition_dim", nameof(limits.MaxDimension));
        bounds.Range(spec.SummaryInputDim, spec.Summary == SummaryNetworkKind.None ? 0 : 1, limits.MaxDimension,
            "spec.summary_input_dim", nameof(limits.MaxDimension));
        // JSON null (or a list or object left out) deserializes to null here, which the builders would dereference.
        bounds.NotNull(spec.Approximator, "spec.approximator");
        bounds.Range(spec.Approximator.SampleChunkRows, 1, limits.MaxSampleChunkRows,
            "spec.approximator.sample_chunk_rows", nameof(limits.MaxSampleChunkRows));
        switch (spec.Inference)
        {
            case InferenceNetworkKind.FlowMatching: bounds.Check(spec.FlowMatching ?? new()); break;
            case InferenceNetworkKind.FreeFormFlow: bounds.Check(spec.FreeFormFlow ?? new()); break;
            case InferenceNetworkKind.ConsistencyModel: bounds.Check(spec.ConsistencyModel ?? new()); break;
            case InferenceNetworkKind.DiffusionModel: bounds.Check(spec.DiffusionModel ?? new()); break;
            default: bounds.Check(spec.CouplingFlow ?? new()); break;
        }
        switch (spec.Summary)
        {
            case SummaryNetworkKind.DeepSet: bounds.Check(spec.DeepSet ?? new()); break;
            case SummaryNetworkKind.SetTransformer: bounds.Check(spec.SetTransformer ?? new()); break;
            case SummaryNetworkKind.TimeSeries: bounds.Check(spec.TimeSeries ?? new()); break;
            case SummaryNetworkKind.TimeSeriesTransformer: bounds.Check(spec.TimeSeriesTransformer ?? new()); break;
            case SummaryNetworkKind.Fusion: bounds.Check(spec.Fusion); break;
        }
    }

    private void Check(FusionSummarySpec? o)
    {
        const string F = "spec.fusion";
        NotNull(o, F);
        NotNull(o!.Members, $"{F}.members");
        Range(o.Members.Count, 1, limits.MaxLayers, $"{F}.members (its length)", nameof(limits.MaxLayers));
        for (int i = 0; i < o.Members.Count; i++)
        {
            string m = $"{F}.members[{i}]";
            FusionMemberSpec member = o.Members[i];
            NotNull(member, m);
            if (string.IsNullOrWhiteSpace(member.Name)) throw Invalid($"{m}.name", "empty", "a member name");
            Range(member.InputDim, 1, limits.MaxDimension, $"{m}.input_dim", nameof(limits.MaxDimension));
            switch (member.Kind)
            {
                case SummaryNetworkKind.DeepSet: Check(member.DeepSet ?? new(), $"{m}.deep_set"); break;
                case SummaryNetworkKind.SetTransformer:
                    Check(member.SetTransformer ?? new(), $"{m}.set_transformer"); break;
                case SummaryNetworkKind.TimeSeries: Check(member.TimeSeries ?? new(), $"{m}.time_series"); break;
                case SummaryNetworkKind.TimeSeriesTransformer:
                    Check(member.TimeSeriesTransformer ?? new(), $"{m}.time_series_transformer"); break;
                default: throw Invalid($"{m}.kind", member.Kind.ToString(),
                    "one of DeepSet, SetTransformer, TimeSeries, TimeSeriesTransformer");
            }
        }
        NotNull(o.Head, $"{F}.head");
        Defined(o.Head.Activation, $"{F}.head.activation");
        if (o.Head.SummaryDim is int s) Width(s, $"{F}.head.summary_dim");
        Widths(o.Head.HeadWidths, $"{F}.head.head_widths");
    }

    private void Check(CouplingFlowOptions o)
    {
        const string F = "spec.coupling_flow";
        Defined(o.Transform, $"{F}.transform");
        Defined(o.Permutation, $"{F}.permutation");
        Defined(o.Activation, $"{F}.activation");
        Layers(o.Depth, 1, $"{F}.depth");
        Widths(o.SubnetWidths, $"{F}.subnet_widths");
        NotNull(o.Spline, $"{F}.spline");
        if (o.Transform == CouplingTransformKind.Spline)
            Range(o.Spline.Bins, 1, limits.MaxBins, $"{F}.spline.bins", nameof(limits.MaxBins));
        BaseMixture(o, F);
    }

    private void Check(FlowMatchingOptions o)
    {
        const string F = "spec.flow_matching";
        Defined(o.Method, $"{F}.method");
        Defined(o.Activation, $"{F}.activation");
        Widths(o.Widths, $"{F}.widths");
        Range(o.Steps, 1, limits.MaxOdeSteps, $"{F}.steps", nameof(limits.MaxOdeSteps));
        Above(o.RelativeTolerance, 0, $"{F}.relative_tolerance");
        Above(o.AbsoluteTolerance, 0, $"{F}.absolute_tolerance");
        // Files written before these options existed leave them out and get the defaults (the earlier behaviour).
        Defined(o.TimeDistribution, $"{F}.time_distribution");
        const int maxFrequencies = FlowMatchingOptions.MaxTimeEmbeddingFrequencies;
        if (o.TimeEmbeddingFrequencies is < 0 or > maxFrequencies)
            throw Invalid($"{F}.time_embedding_frequencies", o.TimeEmbeddingFrequencies.ToString(
                System.Globalization.CultureInfo.InvariantCulture),
                $"0 to {maxFrequencies} (FlowMatchingOptions.MaxTimeEmbeddingFrequencies)");
        if (o.OptimalTransportConditionWeight is double weight)
            Above(weight, 0, $"{F}.optimal_transport_condition_weight", orEqual: true);
        if (o.SinkhornRegularization is double eps) Above(eps, 0, $"{F}.sinkhorn_regularization");
        Above(o.TimePowerLawAlpha, -1, $"{F}.time_power_law_alpha");
        Above(o.LogitNormalMean, double.NegativeInfinity, $"{F}.logit_normal_mean");
        if (o.LogitNormalStd is double std) Above(std, 0, $"{F}.logit_normal_std");
    }

    /// <summary>A finite number above <paramref name="min"/> (or equal to it when <paramref name="orEqual"/>).
    /// </summary>
    private void Above(double value, double min, string field, bool orEqual = false)
    {
        if (double.IsFinite(value) && (value > min || (orEqual && value == min))) return;
        string bound = double.IsNegativeInfinity(min) ? "a finite number" : $"a finite number " +
            $"{(orEqual ? "of at least" : "above")} {min.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
        throw Invalid(field, value.ToString("R", System.Globalization.CultureInfo.InvariantCulture), bound);
    }

    private void Check(DeepSetOptions o, string F = "spec.deep_set")
    {
        Defined(o.Activation, $"{F}.activation");
        Width(o.SummaryDim, $"{F}.summary_dim");
        Layers(o.Depth, 1, $"{F}.depth");
        Widths(o.EquivariantWidths, $"{F}.equivariant_widths");
        Widths(o.InvariantInnerWidths, $"{F}.invariant_inner_widths");
        Widths(o.InvariantOuterWidths, $"{F}.invariant_outer_widths");
        Widths(o.InvariantLastWidths, $"{F}.invariant_last_widths");
    }

    private void Check(SetTransformerOptions o, string F = "spec.set_transformer")
    {
        Defined(o.Activation, $"{F}.activation");
        Width(o.SummaryDim, $"{F}.summary_dim");
        AttentionBlocks(o.EmbedDims, o.MlpWidths, o.NumHeads, o.MlpDepths, o.KeyDim, F);
        if (o.NumInducingPoints is int points) Width(points, $"{F}.num_inducing_points");
        Width(o.NumSeeds, $"{F}.num_seeds");
        if (o.SeedDim is int seedDim) Width(seedDim, $"{F}.seed_dim");
    }

    /// <summary>The attention blocks' lists (one entry per block) shared by the set and time-series transformers.</summary>
    private void AttentionBlocks(IReadOnlyList<int> embedDims, IReadOnlyList<int> mlpWidths, IReadOnlyList<int> numHeads,
        IReadOnlyList<int> mlpDepths, int? keyDim, string F)
    {
        Widths(embedDims, $"{F}.embed_dims");
        Widths(mlpWidths, $"{F}.mlp_widths");
        NotNull(numHeads, $"{F}.num_heads");
        NotNull(mlpDepths, $"{F}.mlp_depths");
        Layers(numHeads.Count, 0, $"{F}.num_heads (its length)");
        for (int i = 0; i < numHeads.Count; i++)
            Range(numHeads[i], 1, limits.MaxHeads, $"{F}.num_heads[{i}]", nameof(limits.MaxHeads));
        Layers(mlpDepths.Count, 0, $"{F}.mlp_depths (its length)");
        for (int i = 0; i < mlpDepths.Count; i++) Layers(mlpDepths[i], 0, $"{F}.mlp_depths[{i}]");
        if (keyDim is int key) Width(key, $"{F}.key_dim");
    }

    private void Check(TimeSeriesNetworkOptions o, string F = "spec.time_series")
    {
        Defined(o.Activation, $"{F}.activation");
        Width(o.SummaryDim, $"{F}.summary_dim");
        Widths(o.Filters, $"{F}.filters");
        NotNull(o.KernelSizes, $"{F}.kernel_sizes");
        Layers(o.KernelSizes.Count, 0, $"{F}.kernel_sizes (its length)");
        for (int i = 0; i < o.KernelSizes.Count; i++)
            Range(o.KernelSizes[i], 1, limits.MaxKernelSize, $"{F}.kernel_sizes[{i}]", nameof(limits.MaxKernelSize));
        Width(o.RecurrentDim, $"{F}.recurrent_dim");
    }

    private void Check(TimeSeriesTransformerOptions o, string F = "spec.time_series_transformer")
    {
        Defined(o.Activation, $"{F}.activation");
        Defined(o.TimeEmbedding, $"{F}.time_embedding");
        Defined(o.Pooling, $"{F}.pooling");
        Width(o.SummaryDim, $"{F}.summary_dim");
        AttentionBlocks(o.EmbedDims, o.MlpWidths, o.NumHeads, o.MlpDepths, o.KeyDim, F);
        Width(o.TimeEmbedDim, $"{F}.time_embed_dim");
        if (o.TimeAxis is int axis)
            Range(axis, -limits.MaxDimension, limits.MaxDimension - 1, $"{F}.time_axis", nameof(limits.MaxDimension));
        Width(o.NumSeeds, $"{F}.num_seeds");
        if (!(o.Dropout is >= 0f and < 1f))
            throw Invalid($"{F}.dropout", o.Dropout.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "0 to 1 (exclusive)");
    }

    private void NotNull(object? value, string field)
    {
        if (value is null) throw Invalid(field, "null", "a value (the field cannot be left out)");
    }

    /// <summary>A list of hidden widths: at most MaxLayers entries, each 1 to MaxWidth.</summary>
    private void Widths(IReadOnlyList<int>? widths, string field)
    {
        NotNull(widths, field);
        Layers(widths!.Count, 0, $"{field} (its length)");
        for (int i = 0; i < widths.Count; i++) Width(widths[i], $"{field}[{i}]");
    }

    private void Width(int value, string field) =>
        Range(value, 1, limits.MaxWidth, field, nameof(limits.MaxWidth));

    private void Layers(int value, int min, string field) =>
        Range(value, min, limits.MaxLayers, field, nameof(limits.MaxLayers));

    private void Range(long value, long min, long max, string field, string limit)
    {
        if (value < min || value > max)
            throw Invalid(field, value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"{min} to {max} (ModelFileLimits.{limit})");
    }

    private void Defined<T>(T value, string field) where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
            throw Invalid(field, value.ToString(), $"one of {string.Join(", ", Enum.GetNames<T>())}");
    }

    private InvalidDataException Invalid(string field, string declared, string allowed) =>
        ModelFile.Invalid(source, $"spec field '{field}' is {declared}; allowed: {allowed}");
}
