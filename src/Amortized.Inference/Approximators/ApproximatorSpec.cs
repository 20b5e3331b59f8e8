using Amortized.Inference.Adapters;
using Amortized.Networks.Flows;
using Amortized.Networks.Summaries;

namespace Amortized.Inference.Approximators;

/// <summary>Which inference network an approximator uses.</summary>
public enum InferenceNetworkKind
{
    /// <summary>A <see cref="CouplingFlow"/>.</summary>
    CouplingFlow,
    /// <summary>A <see cref="FlowMatching"/> model.</summary>
    FlowMatching,
    /// <summary>A <see cref="Networks.Flows.FreeFormFlow"/>.</summary>
    FreeFormFlow,
    /// <summary>A <see cref="ConsistencyModel"/> (a posterior sampler without a density).</summary>
    ConsistencyModel,
    /// <summary>A <see cref="Networks.Flows.DiffusionModel"/>.</summary>
    DiffusionModel,
}

/// <summary>Which summary network an approximator uses.</summary>
public enum SummaryNetworkKind
{
    /// <summary>No summary network.</summary>
    None,
    /// <summary>A <see cref="DeepSet"/>.</summary>
    DeepSet,
    /// <summary>A <see cref="SetTransformer"/>.</summary>
    SetTransformer,
    /// <summary>A <see cref="TimeSeriesNetwork"/>.</summary>
    TimeSeries,
    /// <summary>
    /// A <see cref="FusionNetwork"/>: one backbone per member of the <c>summary_variables</c> group
    /// (<see cref="Adapters.Adapter.Group"/>), options in <see cref="ApproximatorSpec.Fusion"/>.
    /// </summary>
    Fusion,
    /// <summary>A <see cref="Networks.Summaries.TimeSeriesTransformer"/> (attention over time with Time2Vec).</summary>
    TimeSeriesTransformer,
}

/// <summary>
/// One member of a fusion summary: the group member it reads ("summary_variables/NAME", with the optional mask
/// "summary_mask/NAME") and the backbone that summarises it.
/// </summary>
public sealed record FusionMemberSpec
{
    /// <summary>The member name (the key grouped into <c>summary_variables</c>, without the adapter's prefix).</summary>
    public string Name { get; init; } = "";

    /// <summary>The backbone: DeepSet, SetTransformer, TimeSeries or TimeSeriesTransformer.</summary>
    public SummaryNetworkKind Kind { get; init; } = SummaryNetworkKind.DeepSet;

    /// <summary>Options when <see cref="Kind"/> is DeepSet.</summary>
    public DeepSetOptions? DeepSet { get; init; }

    /// <summary>Options when <see cref="Kind"/> is SetTransformer.</summary>
    public SetTransformerOptions? SetTransformer { get; init; }

    /// <summary>Options when <see cref="Kind"/> is TimeSeries.</summary>
    public TimeSeriesNetworkOptions? TimeSeries { get; init; }

    /// <summary>Options when <see cref="Kind"/> is TimeSeriesTransformer.</summary>
    public TimeSeriesTransformerOptions? TimeSeriesTransformer { get; init; }

    /// <summary>
    /// F_i: the member's feature width (0 until known; building from a probe batch reads it off the adapted data).
    /// </summary>
    public int InputDim { get; init; }
}

/// <summary>Options when <see cref="ApproximatorSpec.Summary"/> is <see cref="SummaryNetworkKind.Fusion"/>.</summary>
public sealed record FusionSummarySpec
{
    /// <summary>The members in fusion order (their summaries are concatenated in this order).</summary>
    public IReadOnlyList<FusionMemberSpec> Members { get; init; } = [];

    /// <summary>The optional head after the concatenation.</summary>
    public FusionNetworkOptions Head { get; init; } = new();
}

/// <summary>
/// Everything needed to rebuild an approximator's networks exactly: kinds, sizes, options and the construction
/// seed (which fixes random permutations and initial values). Stored in the model file's manifest.
/// </summary>
public sealed record ApproximatorSpec
{
    /// <summary>Inference network kind.</summary>
    public InferenceNetworkKind Inference { get; init; } = InferenceNetworkKind.CouplingFlow;

    /// <summary>Options when <see cref="Inference"/> is CouplingFlow.</summary>
    public CouplingFlowOptions? CouplingFlow { get; init; }

    /// <summary>Options when <see cref="Inference"/> is FlowMatching.</summary>
    public FlowMatchingOptions? FlowMatching { get; init; }

    /// <summary>Options when <see cref="Inference"/> is FreeFormFlow.</summary>
    public FreeFormFlowOptions? FreeFormFlow { get; init; }
    /// <summary>Options when <see cref="Inference"/> is ConsistencyModel.</summary>
    public ConsistencyModelOptions? ConsistencyModel { get; init; }
    /// <summary>Options when <see cref="Inference"/> is DiffusionModel.</summary>
    public DiffusionModelOptions? DiffusionModel { get; init; }

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

    /// <summary>Options when <see cref="Summary"/> is Fusion.</summary>
    public FusionSummarySpec? Fusion { get; init; }

    /// <summary>D: width of inference_variables.</summary>
    public int VariableDim { get; init; }

    /// <summary>C: width of inference_conditions (0 for none).</summary>
    public int ConditionDim { get; init; }

    /// <summary>
    /// F: feature width of summary_variables (0 without a summary network; for a fusion, the sum of its members').
    /// </summary>
    public int SummaryInputDim { get; init; }

    /// <summary>Seed of the networks' construction.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// What the networks read after the adapter, with their per-row shapes (-1 for an open set or series length):
    /// inference_conditions (C); summary_variables (N, F) and an optional summary_mask (N); for a fusion summary
    /// one such pair per member of the summary_variables group. <see cref="Adapter.RawInputs"/> traces them back
    /// to the raw keys a caller must supply.
    /// </summary>
    public IReadOnlyList<AdapterKeyShape> NetworkInputs()
    {
        var outputs = new List<AdapterKeyShape>();
        if (ConditionDim > 0) outputs.Add(new(Keys.InferenceConditions, [ConditionDim]));
        if (Summary == SummaryNetworkKind.Fusion)
        {
            foreach (var member in Fusion?.Members ?? [])
            {
                outputs.Add(new(Keys.GroupMember(Keys.SummaryVariables, member.Name), [-1, member.InputDim]));
                outputs.Add(new(Keys.GroupMember(Keys.SummaryMask, member.Name), [-1], Optional: true));
            }
        }
        else if (Summary != SummaryNetworkKind.None)
        {
            outputs.Add(new(Keys.SummaryVariables, [-1, SummaryInputDim]));
            outputs.Add(new(Keys.SummaryMask, [-1], Optional: true));
        }
        return outputs;
    }

    /// <summary>Standardisation settings.</summary>
    public ApproximatorOptions Approximator { get; init; } = new();
}
