namespace Amortized.Inference.Adapters;

/// <summary>The keys the approximator reads from an adapted batch (BayesFlow's names).</summary>
public static class Keys
{
    /// <summary>Variables the inference network models the density of (parameters), shape (B, D).</summary>
    public const string InferenceVariables = "inference_variables";

    /// <summary>Direct conditions of the inference network, shape (B, C).</summary>
    public const string InferenceConditions = "inference_conditions";

    /// <summary>Inputs of the summary network (sets, time series), shape (B, N, D).</summary>
    public const string SummaryVariables = "summary_variables";

    /// <summary>Observed-element mask of the summary inputs, shape (B, N): 1 observed, 0 padding.</summary>
    public const string SummaryMask = "summary_mask";

    /// <summary>Per-row loss weights, shape (B).</summary>
    public const string SampleWeight = "sample_weight";

    /// <summary>Joins a group's name and a member's name in a flat key (<see cref="GroupMember"/>).</summary>
    public const char GroupSeparator = '/';

    /// <summary>
    /// The flat key of member <paramref name="member"/> of group <paramref name="group"/>, e.g.
    /// "summary_variables/x_set": <see cref="Adapter.Group"/> writes members this way, and a fusion summary
    /// network reads "summary_variables/NAME" (B, N, F) and the optional mask "summary_mask/NAME" (B, N).
    /// </summary>
    public static string GroupMember(string group, string member) => $"{group}{GroupSeparator}{member}";
}
