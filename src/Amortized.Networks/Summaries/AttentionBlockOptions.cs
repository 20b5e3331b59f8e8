using Amortized.Kernels.Cpu;

namespace Amortized.Networks.Summaries;

/// <summary>Settings of one <see cref="MultiHeadAttentionBlock"/> (and the SAB, ISAB and PMA built on it).</summary>
public sealed record AttentionBlockOptions
{
    /// <summary>Width E of the block's output (and of its residual stream).</summary>
    public int EmbedDim { get; init; } = 64;

    /// <summary>Attention heads H.</summary>
    public int NumHeads { get; init; } = 4;

    /// <summary>
    /// Per-head width d_k; null uses <see cref="EmbedDim"/>, as BayesFlow passes key_dim = embed_dim to Keras.
    /// </summary>
    public int? KeyDim { get; init; }

    /// <summary>Hidden layers of the row-wise feed-forward MLP.</summary>
    public int MlpDepth { get; init; } = 2;

    /// <summary>Width of each hidden layer of the feed-forward MLP.</summary>
    public int MlpWidth { get; init; } = 128;

    /// <summary>Activation of the feed-forward MLP.</summary>
    public Activation Activation { get; init; } = Activation.Gelu;

    /// <summary>Kernel initialiser of all projections and MLP layers.</summary>
    public Initializer KernelInitializer { get; init; } = Initializer.HeNormal;

    /// <summary>Dropout after each hidden layer of the feed-forward MLP (training only).</summary>
    public float Dropout { get; init; } = 0.05f;

    /// <summary>Post-LN: layer norm after the attention residual and after the MLP residual.</summary>
    public bool LayerNorm { get; init; } = true;
}
