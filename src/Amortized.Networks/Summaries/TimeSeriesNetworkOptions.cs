using Amortized.Kernels.Cpu;

namespace Amortized.Networks.Summaries;

/// <summary>
/// Options of a <see cref="TimeSeriesNetwork"/>, with BayesFlow's defaults (time_series_network.py) where they
/// apply; <see cref="Filters"/> and <see cref="KernelSizes"/> have one entry per convolution and must be equally long.
/// </summary>
public sealed record TimeSeriesNetworkOptions
{
    /// <summary>Width S of the summary.</summary>
    public int SummaryDim { get; init; } = 16;

    /// <summary>Output channels of each causal convolution (none: the GRU reads the raw series).</summary>
    public IReadOnlyList<int> Filters { get; init; } = [32, 32, 32];

    /// <summary>Kernel size of each causal convolution.</summary>
    public IReadOnlyList<int> KernelSizes { get; init; } = [3, 3, 3];

    /// <summary>Activation after each convolution.</summary>
    public Activation Activation { get; init; } = Activation.Mish;

    /// <summary>
    /// Kernel initialiser of the convolutions and the GRU's input kernel (the recurrent one is orthogonal).
    /// </summary>
    public Initializer KernelInitializer { get; init; } = Initializer.GlorotUniform;

    /// <summary>GRU state width per direction.</summary>
    public int RecurrentDim { get; init; } = 128;

    /// <summary>Also run a GRU backwards in time and concatenate both final states (2 x RecurrentDim).</summary>
    public bool Bidirectional { get; init; } = true;

    /// <summary>Dropout on the final recurrent state (training only).</summary>
    public float Dropout { get; init; } = 0.05f;
}
