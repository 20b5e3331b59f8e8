using Amortized.Tensors;

namespace Amortized.Networks.Summaries;

/// <summary>
/// SAB(X) = MAB(X, X): self-attention among the set elements, O(N^2). Shapes: x (B, N, D), mask (B, N) ->
/// (B, N, E). Permutation-equivariant; padded rows are never attended to.
/// </summary>
/// <remarks>Lee et al. (2019), Set Transformer, arXiv:1810.00825.</remarks>
public sealed class SetAttentionBlock : Module
{
    private readonly MultiHeadAttentionBlock _mab;

    /// <summary>Creates the block for elements of width <paramref name="inFeatures"/>.</summary>
    public SetAttentionBlock(ParameterStore store, string name, int inFeatures,
        AttentionBlockOptions options, Rng rng) : base(name)
    {
        _mab = AddChild(new MultiHeadAttentionBlock(store, $"{name}.mab", inFeatures, inFeatures, options, rng));
    }

    /// <summary>Output width E.</summary>
    public int OutFeatures => _mab.OutFeatures;

    /// <summary>x (B, N, D), mask (B, N) or null -> (B, N, E).</summary>
    public Tensor Forward(Tensor x, Tensor? mask, Rng? rng = null) => _mab.Forward(x, x, mask, rng);

    /// <inheritdoc />
    protected override string Describe() => "SetAttentionBlock";
}
