using Amortized.Tensors;

namespace Amortized.Networks.Summaries;

/// <summary>
/// A permutation-equivariant deep-set layer (BayesFlow equivariant_layer.py): each element is projected to
/// width E, an invariant summary of the whole set is tiled back onto every element and concatenated, a
/// per-element MLP maps the pair back to E, and the result is added to the projection (residual) and
/// layer-normalised. Shapes: x (B, N, I), mask (B, N) -> (B, N, E).
/// </summary>
/// <remarks>Permuting the elements of x permutes the rows of the output the same way. Padded rows get
/// (finite) outputs of their own but never enter another row's output.</remarks>
public sealed class EquivariantLayer : Module
{
    private readonly Dense _inputProjector;
    private readonly InvariantLayer _invariant;
    private readonly Mlp _equivariant;
    private readonly LayerNorm? _norm;

    /// <summary>Creates the layer for elements of width <paramref name="inFeatures"/>.</summary>
    public EquivariantLayer(ParameterStore store, string name, int inFeatures,
        DeepSetOptions options, Rng rng) : base(name)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.EquivariantWidths.Count == 0)
            throw new ArgumentException(
                $"EquivariantLayer '{name}': EquivariantWidths needs at least one layer.", nameof(options));
        int e = options.EquivariantWidths[^1];
        _inputProjector = AddChild(new Dense(store, $"{name}.input_projector", inFeatures, e, rng));
        _invariant = AddChild(new InvariantLayer(store, $"{name}.invariant", e, options.InvariantInnerWidths,
            options.InvariantOuterWidths, options.InnerPooling, options.Activation,
            options.KernelInitializer, options.Dropout, rng));
        _equivariant = AddChild(new Mlp(store, $"{name}.equivariant", e + _invariant.OutFeatures, new MlpOptions
        {
            Widths = options.EquivariantWidths,
            Activation = options.Activation,
            KernelInitializer = options.KernelInitializer,
            Dropout = options.Dropout,
        }, rng));
        _norm = options.LayerNorm ? AddChild(new LayerNorm(store, $"{name}.norm", e, rng)) : null;
    }

    /// <summary>Input width I.</summary>
    public int InFeatures => _inputProjector.InFeatures;

    /// <summary>Output width E.</summary>
    public int OutFeatures => _inputProjector.OutFeatures;

    /// <summary>x (B, N, I), mask (B, N) or null -> (B, N, E).</summary>
    public Tensor Forward(Tensor x, Tensor? mask, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 3 || x.Shape[2] != InFeatures)
            throw new ArgumentException(
                $"EquivariantLayer '{Name}': input is {x.Shape}; expected (B, N, {InFeatures}).", nameof(x));
        int b = x.Shape[0], n = x.Shape[1];
        var h = _inputProjector.Forward(x);                                   // (B, N, E)
        var summary = _invariant.Forward(h, mask, rng);                       // (B, D)
        int d = summary.Shape[1];
        var tiled = summary.Reshape(b, 1, d).BroadcastTo(new Shape(b, n, d)); // (B, N, D)
        var y = h + _equivariant.Forward(Tensor.Concat(h, tiled, 2), rng);
        return _norm is null ? y : _norm.Forward(y);
    }

    /// <inheritdoc />
    protected override string Describe() => $"EquivariantLayer({InFeatures} -> {OutFeatures})";
}
