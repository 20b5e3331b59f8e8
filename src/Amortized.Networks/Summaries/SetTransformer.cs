using Amortized.Tensors;

namespace Amortized.Networks.Summaries;

/// <summary>
/// Set Transformer summary network: attention blocks (SAB, or ISAB with inducing points), then pooling by
/// multi-head attention (PMA) with learned seeds, then a linear Dense to the summary width (BayesFlow
/// set_transformer.py). Shapes: x (B, N, F), mask (B, N) -> (B, S). The output does not depend on the order
/// of the set elements; padded elements are masked out of every attention as keys.
/// </summary>
/// <remarks>Lee et al. (2019), Set Transformer: a framework for attention-based permutation-invariant neural
/// networks, ICML, arXiv:1810.00825.</remarks>
public sealed class SetTransformer : SummaryNetwork
{
    private readonly List<Module> _blocks = [];
    private readonly PoolingByMultiHeadAttention _pooling;
    private readonly Dense _outputProjector;

    /// <summary>Creates the network for sets of F = <paramref name="inputDim"/> features.</summary>
    public SetTransformer(ParameterStore store, string name, int inputDim, SetTransformerOptions? options, Rng rng)
        : base(name, inputDim, (options ?? new SetTransformerOptions()).SummaryDim)
    {
        Options = options ?? new SetTransformerOptions();
        int count = Options.EmbedDims.Count;
        if (count == 0 || Options.NumHeads.Count != count || Options.MlpDepths.Count != count
            || Options.MlpWidths.Count != count)
            throw new ArgumentException(
                $"SetTransformer '{name}': EmbedDims, NumHeads, MlpDepths and MlpWidths need one entry per block " +
                $"(got {count}, {Options.NumHeads.Count}, {Options.MlpDepths.Count}, {Options.MlpWidths.Count}; at " +
                "least one block).", nameof(options));
        int width = inputDim;
        for (int k = 0; k < count; k++)
        {
            var block = Options.Block(k);
            _blocks.Add(Options.NumInducingPoints is { } m
                ? AddChild(new InducedSetAttentionBlock(store, $"{name}.isab{k}", width, m, block, rng))
                : AddChild(new SetAttentionBlock(store, $"{name}.sab{k}", width, block, rng)));
            width = block.EmbedDim;
        }
        _pooling = AddChild(new PoolingByMultiHeadAttention(store, $"{name}.pma", width, Options.NumSeeds,
            Options.SeedDim ?? width, Options.Block(count - 1), rng));
        _outputProjector =
            AddChild(new Dense(store, $"{name}.output_projector", _pooling.OutFeatures, SummaryDim, rng));
    }

    /// <summary>The options it was built with.</summary>
    public SetTransformerOptions Options { get; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor x, Tensor? mask, Rng? rng)
    {
        var h = x;
        foreach (var block in _blocks)
        {
            h = block switch
            {
                SetAttentionBlock sab => sab.Forward(h, mask, rng),
                InducedSetAttentionBlock isab => isab.Forward(h, mask, rng),
                _ => throw new InvalidOperationException(
                    $"SetTransformer '{Name}': unexpected block {block.GetType().Name}."),
            };
        }
        return _outputProjector.Forward(_pooling.Forward(h, mask, rng));
    }

    /// <inheritdoc />
    protected override string Describe() =>
        $"SetTransformer(F={InputDim}, S={SummaryDim}, {_blocks.Count} " +
        $"{(Options.NumInducingPoints is null ? "SAB" : "ISAB")} blocks, {Options.NumSeeds} seeds)";
}
