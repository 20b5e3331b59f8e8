using Amortized.Kernels.Cpu;
using Amortized.Tensors;

namespace Amortized.Networks;

/// <summary>Options of an <see cref="Mlp"/>.</summary>
public sealed record MlpOptions
{
    /// <summary>
    /// Hidden widths, one Dense layer each (default: two layers of 128, as BayesFlow's coupling subnet).
    /// </summary>
    public IReadOnlyList<int> Widths { get; init; } = [128, 128];

    /// <summary>Activation after each hidden layer.</summary>
    public Activation Activation { get; init; } = Activation.Silu;

    /// <summary>Add the layer input to its output where widths match (skip connections).</summary>
    public bool Residual { get; init; }

    /// <summary>Dropout rate after each hidden layer, in training mode only.</summary>
    public float Dropout { get; init; }

    /// <summary>Layer normalisation after each hidden layer.</summary>
    public bool LayerNorm { get; init; }

    /// <summary>Initialiser of the hidden kernels.</summary>
    public Initializer KernelInitializer { get; init; } = Initializer.HeNormal;

    /// <summary>Optional linear output layer width (no activation); 0 for none.</summary>
    public int OutputDim { get; init; }

    /// <summary>Initialise the output layer to zeros (a coupling then starts as the identity).</summary>
    public bool ZeroOutput { get; init; }
}

/// <summary>
/// Multi-layer perceptron: per hidden layer f(x W + b), then optional dropout, residual and layer norm;
/// then an optional linear output layer. Shapes: x (..., I) -> (..., widths[^1]) or (..., OutputDim).
/// </summary>
public sealed class Mlp : Module
{
    private readonly List<Dense> _hidden = [];
    private readonly List<LayerNorm?> _norms = [];
    private readonly Dense? _output;

    /// <summary>Creates the network for inputs of width <paramref name="inFeatures"/>.</summary>
    public Mlp(ParameterStore store, string name, int inFeatures, MlpOptions options, Rng rng) : base(name)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        InFeatures = inFeatures;
        int width = inFeatures;
        for (int i = 0; i < options.Widths.Count; i++)
        {
            _hidden.Add(AddChild(new Dense(store, $"{name}.dense{i}", width, options.Widths[i], rng,
                options.Activation, options.KernelInitializer)));
            _norms.Add(options.LayerNorm
                ? AddChild(new LayerNorm(store, $"{name}.norm{i}", options.Widths[i], rng)) : null);
            width = options.Widths[i];
        }
        if (options.OutputDim > 0)
        {
            _output = AddChild(new Dense(store, $"{name}.output", width, options.OutputDim, rng,
                Activation.Identity, options.ZeroOutput ? Initializer.Zeros : Initializer.GlorotUniform));
            width = options.OutputDim;
        }
        OutFeatures = width;
    }

    /// <summary>The options it was built with.</summary>
    public MlpOptions Options { get; }

    /// <summary>Input width.</summary>
    public int InFeatures { get; }

    /// <summary>Output width.</summary>
    public int OutFeatures { get; }

    /// <summary>The output layer, if any.</summary>
    public Dense? Output => _output;

    /// <summary>
    /// Forward pass; dropout (training mode only) draws from <paramref name="rng"/>, else from
    /// <see cref="Module.DropoutRng"/>; with neither there is no dropout.
    /// </summary>
    public Tensor Forward(Tensor x, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        rng ??= DropoutRng;
        var h = x;
        for (int i = 0; i < _hidden.Count; i++)
        {
            var y = _hidden[i].Forward(h);
            if (Training && rng is not null && Options.Dropout > 0f) y = Dropout.Apply(y, Options.Dropout, rng);
            if (Options.Residual && y.Shape == h.Shape) y += h;
            if (_norms[i] is { } norm) y = norm.Forward(y);
            h = y;
        }
        return _output is null ? h : _output.Forward(h);
    }

    /// <inheritdoc />
    protected override string Describe() =>
        $"Mlp({InFeatures} -> [{string.Join(", ", Options.Widths)}] -> {OutFeatures}, {Options.Activation}" +
        $"{(Options.Residual ? ", residual" : "")}{(Options.LayerNorm ? ", layernorm" : "")}" +
        $"{(Options.Dropout > 0 ? $", dropout {Options.Dropout}" : "")})";
}
