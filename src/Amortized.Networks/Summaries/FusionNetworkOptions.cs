using Amortized.Kernels.Cpu;

namespace Amortized.Networks.Summaries;

/// <summary>Options of a <see cref="FusionNetwork"/>'s optional head (BayesFlow's <c>FusionNetwork(head=...)</c>).</summary>
public sealed record FusionNetworkOptions
{
    /// <summary>
    /// S, the width of the fused summary after the head; null for no head, in which case the summary is the
    /// concatenation of the backbones' summaries (S = the sum of their widths).
    /// </summary>
    public int? SummaryDim { get; init; }

    /// <summary>Hidden widths of the head MLP before its linear output (needs <see cref="SummaryDim"/>).</summary>
    public IReadOnlyList<int> HeadWidths { get; init; } = [];

    /// <summary>Activation of the head's hidden layers.</summary>
    public Activation Activation { get; init; } = Activation.Silu;

    /// <summary>Dropout after each hidden layer of the head (training only).</summary>
    public float Dropout { get; init; }
}
