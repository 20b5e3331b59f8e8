using Amortized.Kernels.Cpu;

namespace Amortized.Networks.Summaries;

/// <summary>
/// Options of a <see cref="SetTransformer"/>, with BayesFlow's defaults (set_transformer.py). The four per-block
/// lists have one entry per attention block and must be equally long.
/// </summary>
public sealed record SetTransformerOptions
{
    /// <summary>Width S of the summary.</summary>
    public int SummaryDim { get; init; } = 16;

    /// <summary>Output width E of each attention block.</summary>
    public IReadOnlyList<int> EmbedDims { get; init; } = [64, 64];

    /// <summary>Heads of each attention block.</summary>
    public IReadOnlyList<int> NumHeads { get; init; } = [4, 4];

    /// <summary>Hidden layers of each block's feed-forward MLP.</summary>
    public IReadOnlyList<int> MlpDepths { get; init; } = [2, 2];

    /// <summary>Hidden width of each block's feed-forward MLP.</summary>
    public IReadOnlyList<int> MlpWidths { get; init; } = [128, 128];

    /// <summary>
    /// Per-head width d_k; null uses each block's embed width (Keras key_dim = embed_dim, as BayesFlow).
    /// </summary>
    public int? KeyDim { get; init; }

    /// <summary>Null for set attention blocks (SAB, O(N^2)); a count M for induced blocks (ISAB, O(N M)).</summary>
    public int? NumInducingPoints { get; init; }

    /// <summary>
    /// Seed vectors k of the attention pooling (PMA); the pooled width is k times the last embed width.
    /// </summary>
    public int NumSeeds { get; init; } = 1;

    /// <summary>Width of each seed vector; null uses the last embed width.</summary>
    public int? SeedDim { get; init; }

    /// <summary>Activation of the feed-forward MLPs.</summary>
    public Activation Activation { get; init; } = Activation.Gelu;

    /// <summary>Kernel initialiser of every projection and MLP layer.</summary>
    public Initializer KernelInitializer { get; init; } = Initializer.HeNormal;

    /// <summary>
    /// Dropout in the feed-forward MLPs (training only). 0 by default, unlike BayesFlow's 0.05: dropout randomises the summaries the
    /// inference network learns from, but not the ones it is later given, so the posterior comes out too wide. On the
    /// two-key linear regression of samples/LinearRegression (DeepSet, 5,000 steps) 0.05 gave calibration errors 0.104
    /// and 0.078 for beta (intervals cover too much), a TARP KS p of 8e-4 and SBC bands failed for all three
    /// parameters; with 0 every check passed (calibration errors 0.016, 0.010, 0.018; TARP 0.051).
    /// </summary>
    public float Dropout { get; init; }

    /// <summary>Post-LN layer norms in every attention block.</summary>
    public bool LayerNorm { get; init; } = true;

    /// <summary>The settings of attention block <paramref name="index"/>.</summary>
    public AttentionBlockOptions Block(int index) => new()
    {
        EmbedDim = EmbedDims[index],
        NumHeads = NumHeads[index],
        KeyDim = KeyDim,
        MlpDepth = MlpDepths[index],
        MlpWidth = MlpWidths[index],
        Activation = Activation,
        KernelInitializer = KernelInitializer,
        Dropout = Dropout,
        LayerNorm = LayerNorm,
    };
}
