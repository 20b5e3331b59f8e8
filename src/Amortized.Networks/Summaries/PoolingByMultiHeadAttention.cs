using Amortized.Tensors;

namespace Amortized.Networks.Summaries;

/// <summary>
/// PMA_k(X) = MAB(S, rFF(X)) with k learned seed vectors S (k, seedDim): each seed attends to the transformed
/// elements, and the k results are flattened. Shapes: x (B, N, D), mask (B, N) -> (B, k * E).
/// Permutation-invariant; padded rows are never attended to.
/// </summary>
/// <remarks>Lee et al. (2019), Set Transformer, arXiv:1810.00825.</remarks>
public sealed class PoolingByMultiHeadAttention : Module
{
    private readonly Tensor _seeds;
    private readonly Mlp _feedForward;
    private readonly MultiHeadAttentionBlock _mab;

    /// <summary>
    /// Creates the pooling with <paramref name="numSeeds"/> seeds of width <paramref name="seedDim"/>.
    /// </summary>
    public PoolingByMultiHeadAttention(ParameterStore store, string name, int inFeatures, int numSeeds, int seedDim,
        AttentionBlockOptions options, Rng rng) : base(name)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (numSeeds <= 0 || seedDim <= 0)
            throw new ArgumentOutOfRangeException(nameof(numSeeds), $"PoolingByMultiHeadAttention '{name}': seeds " +
                $"({numSeeds}) and seed width ({seedDim}) must be positive.");
        int e = options.EmbedDim;
        _seeds = AddParameter(store, "seeds", new Shape(numSeeds, seedDim), Initializer.GlorotUniform, rng);
        var widths = new int[options.MlpDepth];
        Array.Fill(widths, options.MlpWidth);
        _feedForward = AddChild(new Mlp(store, $"{name}.feed_forward", inFeatures, new MlpOptions
        {
            Widths = widths,
            Activation = options.Activation,
            KernelInitializer = options.KernelInitializer,
            Dropout = options.Dropout,
            OutputDim = e,
        }, rng));
        _mab = AddChild(new MultiHeadAttentionBlock(store, $"{name}.mab", seedDim, e, options, rng));
    }

    /// <summary>The seed vectors S (k, seedDim).</summary>
    public Tensor Seeds => _seeds;

    /// <summary>Output width k * E.</summary>
    public int OutFeatures => _seeds.Shape[0] * _mab.OutFeatures;

    /// <summary>x (B, N, D), mask (B, N) or null -> (B, k * E).</summary>
    public Tensor Forward(Tensor x, Tensor? mask, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        int b = x.Shape[0], k = _seeds.Shape[0], s = _seeds.Shape[1];
        var queries = _seeds.Reshape(1, k, s).BroadcastTo(new Shape(b, k, s));
        var pooled = _mab.Forward(queries, _feedForward.Forward(x, rng), mask, rng);   // (B, k, E)
        return pooled.Reshape(b, OutFeatures);
    }

    /// <inheritdoc />
    protected override string Describe() => $"PoolingByMultiHeadAttention({_seeds.Shape[0]} seeds)";
}
