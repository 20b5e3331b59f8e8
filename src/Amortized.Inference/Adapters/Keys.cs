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
}
