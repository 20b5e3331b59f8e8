using Amortized.Tensors;

namespace Amortized.Networks.Summaries;

/// <summary>
/// Deep set summary network: Depth x <see cref="EquivariantLayer"/>, then an <see cref="InvariantLayer"/>,
/// then a linear Dense to the summary width (BayesFlow deep_set.py). Shapes: x (B, N, F), mask (B, N) -> (B, S).
/// The output does not depend on the order of the set elements, nor on padded rows.
/// </summary>
/// <remarks>Zaheer et al. (2017), Deep Sets, NeurIPS, arXiv:1703.06114; Bloem-Reddy and Teh (2020),
/// Probabilistic symmetries and invariant neural networks, JMLR.</remarks>
public sealed class DeepSet : SummaryNetwork
{
    private readonly List<EquivariantLayer> _equivariant = [];
    private readonly InvariantLayer _invariant;
    private readonly Dense _outputProjector;

    /// <summary>Creates the network for sets of F = <paramref name="inputDim"/> features.</summary>
    public DeepSet(ParameterStore store, string name, int inputDim, DeepSetOptions? options, Rng rng)
        : base(name, inputDim, (options ?? new DeepSetOptions()).SummaryDim)
    {
        Options = options ?? new DeepSetOptions();
        if (Options.Depth < 0) throw new ArgumentOutOfRangeException(nameof(options), Options.Depth,
            $"DeepSet '{name}': Depth must be >= 0.");
        int width = inputDim;
        for (int k = 0; k < Options.Depth; k++)
        {
            var layer = AddChild(new EquivariantLayer(store, $"{name}.equivariant{k}", width, Options, rng));
            _equivariant.Add(layer);
            width = layer.OutFeatures;
        }
        _invariant = AddChild(new InvariantLayer(store, $"{name}.invariant", width, Options.InvariantInnerWidths,
            Options.InvariantLastWidths, Options.OutputPooling, Options.Activation,
            Options.KernelInitializer, Options.Dropout, rng));
        _outputProjector =
            AddChild(new Dense(store, $"{name}.output_projector", _invariant.OutFeatures, SummaryDim, rng));
    }

    /// <summary>The options it was built with.</summary>
    public DeepSetOptions Options { get; }

    /// <summary>The equivariant layers in order.</summary>
    public IReadOnlyList<EquivariantLayer> EquivariantLayers => _equivariant;

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor x, Tensor? mask, Rng? rng)
    {
        var h = x;
        foreach (var layer in _equivariant) h = layer.Forward(h, mask, rng);
        return _outputProjector.Forward(_invariant.Forward(h, mask, rng));
    }

    /// <inheritdoc />
    protected override string Describe() =>
        $"DeepSet(F={InputDim}, S={SummaryDim}, depth {Options.Depth}, " +
        $"{Options.InnerPooling}/{Options.OutputPooling} pooling)";
}
