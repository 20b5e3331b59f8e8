using Amortized.Tensors;

namespace Amortized.Networks.Summaries;

/// <summary>
/// The multi-head attention block MAB(X, Y) of the Set Transformer, post-LN as in BayesFlow mab.py:
/// H = LN(proj(X) + Attention(X, Y, Y)), MAB = LN(H + rFF(H)), with rFF a row-wise MLP ending in a linear layer
/// of width E. Shapes: x (B, Nx, Dx), y (B, Ny, Dy), yMask (B, Ny) -> (B, Nx, E).
/// </summary>
/// <remarks>Lee et al. (2019), Set Transformer, ICML, arXiv:1810.00825. Equivariant in the rows of X and invariant
/// to the order of the rows of Y.</remarks>
public sealed class MultiHeadAttentionBlock : Module
{
    private readonly Dense _inputProjector;
    private readonly MultiHeadAttention _attention;
    private readonly LayerNorm? _normPre, _normPost;
    private readonly Mlp _feedForward;

    /// <summary>
    /// Creates the block for queries of width <paramref name="queryDim"/> and keys of width
    /// <paramref name="keyValueDim"/>.
    /// </summary>
    public MultiHeadAttentionBlock(ParameterStore store, string name, int queryDim, int keyValueDim,
        AttentionBlockOptions options, Rng rng)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.EmbedDim <= 0 || options.MlpDepth < 0 || options.MlpWidth <= 0)
            throw new ArgumentOutOfRangeException(nameof(options),
                $"MultiHeadAttentionBlock '{name}': EmbedDim ({options.EmbedDim}) and MlpWidth ({options.MlpWidth}) " +
                $"must be positive, MlpDepth ({options.MlpDepth}) >= 0.");
        Options = options;
        int e = options.EmbedDim;
        _inputProjector = AddChild(new Dense(store, $"{name}.input_projector", queryDim, e, rng,
            kernelInitializer: options.KernelInitializer));
        _attention = AddChild(
            new MultiHeadAttention(store, $"{name}.attention", queryDim, keyValueDim, options.NumHeads,
            options.KeyDim ?? e, e, options.KernelInitializer, rng));
        _normPre = options.LayerNorm ? AddChild(new LayerNorm(store, $"{name}.norm_pre", e, rng)) : null;
        var widths = new int[options.MlpDepth];
        Array.Fill(widths, options.MlpWidth);
        _feedForward = AddChild(new Mlp(store, $"{name}.feed_forward", e, new MlpOptions
        {
            Widths = widths,
            Activation = options.Activation,
            KernelInitializer = options.KernelInitializer,
            Dropout = options.Dropout,
            OutputDim = e,
        }, rng));
        _normPost = options.LayerNorm ? AddChild(new LayerNorm(store, $"{name}.norm_post", e, rng)) : null;
    }

    /// <summary>The block's settings.</summary>
    public AttentionBlockOptions Options { get; }

    /// <summary>Query width Dx.</summary>
    public int QueryDim => _inputProjector.InFeatures;

    /// <summary>Output width E.</summary>
    public int OutFeatures => Options.EmbedDim;

    /// <summary>
    /// x (B, Nx, Dx) attends to y (B, Ny, Dy), skipping rows of y with yMask (B, Ny) = 0 -> (B, Nx, E).
    /// </summary>
    public Tensor Forward(Tensor x, Tensor y, Tensor? yMask, Rng? rng = null)
    {
        var h = _inputProjector.Forward(x) + _attention.Forward(x, y, yMask);
        if (_normPre is not null) h = _normPre.Forward(h);
        var output = h + _feedForward.Forward(h, rng);
        return _normPost is null ? output : _normPost.Forward(output);
    }

    /// <inheritdoc />
    protected override string Describe() =>
        $"MultiHeadAttentionBlock({QueryDim} -> {OutFeatures}, {Options.NumHeads} heads)";
}
