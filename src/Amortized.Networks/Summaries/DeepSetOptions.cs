using Amortized.Kernels.Cpu;

namespace Amortized.Networks.Summaries;

/// <summary>Options of a <see cref="DeepSet"/>, with BayesFlow's defaults (deep_set.py).</summary>
public sealed record DeepSetOptions
{
    /// <summary>Width S of the summary.</summary>
    public int SummaryDim { get; init; } = 16;

    /// <summary>Number of equivariant layers.</summary>
    public int Depth { get; init; } = 2;

    /// <summary>Pooling inside each equivariant layer's invariant module.</summary>
    public SetPooling InnerPooling { get; init; } = SetPooling.Mean;

    /// <summary>Pooling of the final invariant layer.</summary>
    public SetPooling OutputPooling { get; init; } = SetPooling.Mean;

    /// <summary>Per-element MLP of each equivariant layer; its last width E is the element embedding width.</summary>
    public IReadOnlyList<int> EquivariantWidths { get; init; } = [64, 64];

    /// <summary>
    /// Inner (before pooling) MLP of the invariant module inside each equivariant layer, and of the final one.
    /// </summary>
    public IReadOnlyList<int> InvariantInnerWidths { get; init; } = [64, 64];

    /// <summary>Outer (after pooling) MLP of the invariant module inside each equivariant layer.</summary>
    public IReadOnlyList<int> InvariantOuterWidths { get; init; } = [64, 64];

    /// <summary>Outer (after pooling) MLP of the final invariant layer.</summary>
    public IReadOnlyList<int> InvariantLastWidths { get; init; } = [64, 64];

    /// <summary>Activation of every MLP.</summary>
    public Activation Activation { get; init; } = Activation.Silu;

    /// <summary>Kernel initialiser of every MLP.</summary>
    public Initializer KernelInitializer { get; init; } = Initializer.HeNormal;

    /// <summary>
    /// Dropout after each hidden layer (training only). 0 by default, unlike BayesFlow's 0.05: dropout randomises the summaries the
    /// inference network learns from, but not the ones it is later given, so the posterior comes out too wide. On the
    /// two-key linear regression of samples/LinearRegression (DeepSet, 5,000 steps) 0.05 gave calibration errors 0.104
    /// and 0.078 for beta (intervals cover too much), a TARP KS p of 8e-4 and SBC bands failed for all three
    /// parameters; with 0 every check passed (calibration errors 0.016, 0.010, 0.018; TARP 0.051).
    /// </summary>
    public float Dropout { get; init; }

    /// <summary>Layer normalisation at the end of each equivariant layer.</summary>
    public bool LayerNorm { get; init; } = true;
}
