using Amortized.Tensors;

namespace Amortized.Networks.Summaries;

/// <summary>
/// ISAB_M(X) = MAB(X, MAB(I, X)) with M learned inducing points I (M, E): the set is first summarised into M
/// rows, which every element then attends to, so the cost is O(N M) instead of O(N^2).
/// Shapes: x (B, N, D), mask (B, N) -> (B, N, E). Permutation-equivariant; padded rows are never attended to.
/// </summary>
/// <remarks>Lee et al. (2019), Set Transformer, arXiv:1810.00825.</remarks>
public sealed class InducedSetAttentionBlock : Module
{
    private readonly Tensor _inducingPoints;
    private readonly MultiHeadAttentionBlock _summarise, _broadcast;

    /// <summary>Creates the block with <paramref name="numInducingPoints"/> inducing points.</summary>
    public InducedSetAttentionBlock(ParameterStore store, string name, int inFeatures, int numInducingPoints,
        AttentionBlockOptions options, Rng rng) : base(name)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (numInducingPoints <= 0)
            throw new ArgumentOutOfRangeException(nameof(numInducingPoints), numInducingPoints,
                $"InducedSetAttentionBlock '{name}': the number of inducing points must be positive.");
        int e = options.EmbedDim;
        _inducingPoints =
            AddParameter(store, "inducing_points", new Shape(numInducingPoints, e), Initializer.GlorotUniform, rng);
        _summarise = AddChild(new MultiHeadAttentionBlock(store, $"{name}.mab0", e, inFeatures, options, rng));
        _broadcast = AddChild(new MultiHeadAttentionBlock(store, $"{name}.mab1", inFeatures, e, options, rng));
    }

    /// <summary>The inducing points I (M, E).</summary>
    public Tensor InducingPoints => _inducingPoints;

    /// <summary>Output width E.</summary>
    public int OutFeatures => _broadcast.OutFeatures;

    /// <summary>x (B, N, D), mask (B, N) or null -> (B, N, E).</summary>
    public Tensor Forward(Tensor x, Tensor? mask, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        int b = x.Shape[0], m = _inducingPoints.Shape[0], e = _inducingPoints.Shape[1];
        var queries = _inducingPoints.Reshape(1, m, e).BroadcastTo(new Shape(b, m, e));
        var summary = _summarise.Forward(queries, x, mask, rng);   // (B, M, E): only observed rows were attended to
        return _broadcast.Forward(x, summary, null, rng);
    }

    /// <inheritdoc />
    protected override string Describe() => $"InducedSetAttentionBlock({_inducingPoints.Shape[0]} inducing points)";
}
