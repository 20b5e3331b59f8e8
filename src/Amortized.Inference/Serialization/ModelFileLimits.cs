namespace Amortized.Inference.Serialization;

/// <summary>
/// Bounds a model file must respect before anything is built from it. A file's checksum is plain SHA-256, so anyone
/// can edit its spec and recompute it; without these bounds a small file declaring huge networks would make the
/// loader allocate gigabytes before any check. The defaults are far above every model the library trains by
/// default (widths of 128 to 1024, depths of 2 to 12) and keep the worst file's memory near its own size, since the
/// networks a spec describes must also match the parameters the file stores (see <see cref="MaxParameters"/>).
/// </summary>
/// <remarks>Raise a bound with <c>ModelFileLimits.Default with { MaxWidth = 16384 }</c> to load a larger model.</remarks>
public sealed record ModelFileLimits
{
    /// <summary>The bounds used when a caller gives none.</summary>
    public static ModelFileLimits Default { get; } = new();

    /// <summary>Hidden widths: subnet, MLP and set-network widths, embedding, key, seed, recurrent and summary
    /// dimensions, filters, inducing points and seeds.</summary>
    public int MaxWidth { get; init; } = 4096;

    /// <summary>Depths and list lengths: coupling and DeepSet depths, MLP depths, the number of hidden layers,
    /// attention blocks or convolutions.</summary>
    public int MaxLayers { get; init; } = 64;

    /// <summary>The data widths D (variable_dim), C (condition_dim) and F (summary_input_dim).</summary>
    public int MaxDimension { get; init; } = 65_536;

    /// <summary>Spline bins.</summary>
    public int MaxBins { get; init; } = 1024;

    /// <summary>Attention heads per block.</summary>
    public int MaxHeads { get; init; } = 256;

    /// <summary>Convolution kernel sizes.</summary>
    public int MaxKernelSize { get; init; } = 1024;

    /// <summary>Fixed-step ODE steps of flow matching (each step is one network pass per draw).</summary>
    public int MaxOdeSteps { get; init; } = 100_000;

    /// <summary>Rows per sampling chunk (approximator.sample_chunk_rows), which sizes the buffers of every
    /// <c>sample</c> call.</summary>
    public int MaxSampleChunkRows { get; init; } = 1 << 20;

    /// <summary>The most scalar parameters a file may store (2^28 floats: 1 GiB of weights).</summary>
    public long MaxParameters { get; init; } = 1L << 28;

    /// <summary>The most tensors a file's header may list.</summary>
    public int MaxTensors { get; init; } = 1 << 16;

    /// <summary>Scoring rules of a point approximator (each adds one head).</summary>
    public int MaxScoringRules { get; init; } = 64;

    /// <summary>Quantile levels of one quantile rule.</summary>
    public int MaxQuantileLevels { get; init; } = 1024;

    /// <summary>Models K of a model-comparison approximator.</summary>
    public int MaxModels { get; init; } = 4096;
}
