using Amortized.Tensors;

namespace Amortized.Networks.Summaries;

/// <summary>
/// Time-series summary network: causal 1-D convolutions, then a GRU (optionally bidirectional) whose final
/// state(s) feed a linear Dense to the summary width (after BayesFlow time_series_network.py).
/// Shapes: x (B, T, F), mask (B, T) -> (B, S).
/// </summary>
/// <remarks>
/// <para>Variable lengths: pad each sequence at its end and pass mask 1 for observed steps, 0 for padding. The
/// convolutions are causal, so observed steps never see the padding; the forward GRU's final state is taken at
/// each sequence's last observed step and the backward GRU starts there (see <see cref="Gru"/>). A padded batch
/// gives the same summaries as the unpadded sequences. Masked steps inside a sequence are skipped by the GRU
/// but enter later convolution windows as zeros.</para>
/// <para>Not included from BayesFlow: strided convolutions, group normalisation and the skip-recurrent branch
/// (a second GRU over every skip_steps-th step).</para>
/// </remarks>
public sealed class TimeSeriesNetwork : SummaryNetwork
{
    private readonly List<CausalConv1D> _convolutions = [];
    private readonly Gru _forward;
    private readonly Gru? _backward;
    private readonly Dense _outputProjector;

    /// <summary>Creates the network for series of F = <paramref name="inputDim"/> features per step.</summary>
    public TimeSeriesNetwork(ParameterStore store, string name, int inputDim,
        TimeSeriesNetworkOptions? options, Rng rng)
        : base(name, inputDim, (options ?? new TimeSeriesNetworkOptions()).SummaryDim)
    {
        Options = options ?? new TimeSeriesNetworkOptions();
        if (Options.Filters.Count != Options.KernelSizes.Count)
            throw new ArgumentException($"TimeSeriesNetwork '{name}': Filters has {Options.Filters.Count} entries " +
                $"and KernelSizes {Options.KernelSizes.Count}; they must match.", nameof(options));
        int width = inputDim;
        for (int k = 0; k < Options.Filters.Count; k++)
        {
            _convolutions.Add(
                AddChild(new CausalConv1D(store, $"{name}.conv{k}", width, Options.Filters[k], Options.KernelSizes[k],
                Options.Activation, Options.KernelInitializer, rng)));
            width = Options.Filters[k];
        }
        _forward = AddChild(
            new Gru(store, $"{name}.gru_forward", width, Options.RecurrentDim, Options.KernelInitializer, rng));
        _backward = Options.Bidirectional
            ? AddChild(
                new Gru(store, $"{name}.gru_backward", width, Options.RecurrentDim, Options.KernelInitializer, rng))
            : null;
        int state = Options.Bidirectional ? 2 * Options.RecurrentDim : Options.RecurrentDim;
        _outputProjector = AddChild(new Dense(store, $"{name}.output_projector", state, SummaryDim, rng));
    }

    /// <summary>The options it was built with.</summary>
    public TimeSeriesNetworkOptions Options { get; }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor x, Tensor? mask, Rng? rng)
    {
        var h = x;
        foreach (var conv in _convolutions) h = conv.Forward(h);
        var state = _forward.Forward(h, mask);
        if (_backward is not null) state = Tensor.Concat(state, _backward.Forward(h, mask, reverse: true), 1);
        if (Training && rng is not null && Options.Dropout > 0f) state = Dropout.Apply(state, Options.Dropout, rng);
        return _outputProjector.Forward(state);
    }

    /// <inheritdoc />
    protected override string Describe() =>
        $"TimeSeriesNetwork(F={InputDim}, S={SummaryDim}, {_convolutions.Count} causal convolutions, " +
        $"{(Options.Bidirectional ? "bidirectional " : "")}GRU {Options.RecurrentDim})";
}
