using Amortized.Kernels.Cpu;
using Amortized.Tensors;

namespace Amortized.Networks.Summaries;

/// <summary>
/// The permutation-invariant block of a deep set: rho(pool_i phi(x_i)) with phi the inner and rho the outer MLP
/// (Zaheer et al. 2017; BayesFlow invariant_layer.py). Shapes: x (B, N, I), mask (B, N) -> (B, O).
/// </summary>
public sealed class InvariantLayer : Module
{
    private readonly Mlp _inner, _outer;

    /// <summary>Creates the layer for elements of width <paramref name="inFeatures"/>.</summary>
    public InvariantLayer(ParameterStore store, string name, int inFeatures, IReadOnlyList<int> innerWidths,
        IReadOnlyList<int> outerWidths, SetPooling pooling, Activation activation, Initializer kernelInitializer,
        float dropout, Rng rng) : base(name)
    {
        ArgumentNullException.ThrowIfNull(innerWidths);
        ArgumentNullException.ThrowIfNull(outerWidths);
        if (innerWidths.Count == 0 || outerWidths.Count == 0)
            throw new ArgumentException($"InvariantLayer '{name}': inner and outer MLPs need at least one layer (got " +
                $"{innerWidths.Count} and {outerWidths.Count}).");
        Pooling = pooling;
        var mlp = new MlpOptions { Activation = activation, KernelInitializer = kernelInitializer, Dropout = dropout };
        _inner = AddChild(new Mlp(store, $"{name}.inner", inFeatures, mlp with { Widths = innerWidths }, rng));
        _outer = AddChild(new Mlp(store, $"{name}.outer", _inner.OutFeatures, mlp with { Widths = outerWidths }, rng));
    }

    /// <summary>The pooling over the set axis.</summary>
    public SetPooling Pooling { get; }

    /// <summary>Input width I.</summary>
    public int InFeatures => _inner.InFeatures;

    /// <summary>Output width O.</summary>
    public int OutFeatures => _outer.OutFeatures;

    /// <summary>x (B, N, I), mask (B, N) or null -> (B, O); padded rows take no part in the pooling.</summary>
    public Tensor Forward(Tensor x, Tensor? mask, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 3 || x.Shape[2] != InFeatures)
            throw new ArgumentException(
                $"InvariantLayer '{Name}': input is {x.Shape}; expected (B, N, {InFeatures}).", nameof(x));
        var pooled = Masking.Pool(_inner.Forward(x, rng), mask, Pooling);
        return _outer.Forward(pooled, rng);
    }

    /// <inheritdoc />
    protected override string Describe() => $"InvariantLayer({InFeatures} -> {OutFeatures}, {Pooling} pooling)";
}
