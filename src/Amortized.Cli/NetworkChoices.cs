using Amortized.Inference.Approximators;
using Amortized.Networks.Flows;
using Amortized.Networks.Summaries;

namespace Amortized.Cli;

/// <summary>The network kinds the command offers, by their command-line names, and the specs they stand for.</summary>
internal static class NetworkChoices
{
    public static readonly string[] InferenceNames = ["coupling", "spline", "flow-matching"];
    public static readonly string[] SummaryNames = ["none", "deepset", "set-transformer", "time-series"];
    public static readonly string[] Methods = ["posterior", "likelihood"];

    public static SummaryNetworkKind Summary(string name) => name switch
    {
        "none" => SummaryNetworkKind.None,
        "deepset" => SummaryNetworkKind.DeepSet,
        "set-transformer" => SummaryNetworkKind.SetTransformer,
        "time-series" => SummaryNetworkKind.TimeSeries,
        _ => throw new UsageException($"unknown summary network '{name}'; expected one of {string.Join(", ", SummaryNames)}."),
    };

    public static string SummaryName(SummaryNetworkKind kind) => kind switch
    {
        SummaryNetworkKind.None => "none",
        SummaryNetworkKind.DeepSet => "deepset",
        SummaryNetworkKind.SetTransformer => "set-transformer",
        _ => "time-series",
    };

    /// <summary>The spec (kinds and options; sizes are read off the data when the approximator is built).</summary>
    public static ApproximatorSpec Spec(string inference, SummaryNetworkKind summary, ulong seed, bool conditionalAffine = false)
    {
        var spec = new ApproximatorSpec { Summary = summary, Seed = seed };
        spec = inference switch
        {
            "coupling" => spec with { Inference = InferenceNetworkKind.CouplingFlow, CouplingFlow = new CouplingFlowOptions { ConditionalAffine = conditionalAffine } },
            "spline" => spec with { Inference = InferenceNetworkKind.CouplingFlow, CouplingFlow = new CouplingFlowOptions { Transform = CouplingTransformKind.Spline, ConditionalAffine = conditionalAffine } },
            "flow-matching" => spec with { Inference = InferenceNetworkKind.FlowMatching, FlowMatching = new FlowMatchingOptions() },
            _ => throw new UsageException($"unknown inference network '{inference}'; expected one of {string.Join(", ", InferenceNames)}."),
        };
        return summary switch
        {
            SummaryNetworkKind.DeepSet => spec with { DeepSet = new DeepSetOptions() },
            SummaryNetworkKind.SetTransformer => spec with { SetTransformer = new SetTransformerOptions() },
            SummaryNetworkKind.TimeSeries => spec with { TimeSeries = new TimeSeriesNetworkOptions() },
            _ => spec,
        };
    }
}
