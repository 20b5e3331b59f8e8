using Amortized.Tensors;

namespace Amortized.Networks.Summaries;

/// <summary>
/// Late fusion of several modalities (BayesFlow's <c>FusionNetwork</c>): one summary backbone per named member
/// (e.g. a <see cref="DeepSet"/> over a set and a <see cref="TimeSeriesNetwork"/> over a series), whose summaries
/// (B, S_i) are concatenated to (B, sum S_i) and optionally mapped by an MLP head to (B, S). Each member has its
/// own element count and feature width: input i is (B, N_i, F_i) with an optional mask (B, N_i).
/// </summary>
/// <remarks>
/// Members keep the order they were given in (BayesFlow sorts dictionary keys; here the caller's order is the
/// contract, so a model file that lists the members rebuilds the same concatenation). The single-input
/// <see cref="SummaryNetwork.Forward(Tensor, Tensor?)"/> reads x (B, N, sum F_i) as the members' features side by
/// side over one shared N (several backbones over the same sequence); inputs of different lengths go through
/// <see cref="Forward(IReadOnlyList{Tensor}, IReadOnlyList{Tensor?}?, Rng?)"/>.
/// </remarks>
public sealed class FusionNetwork : SummaryNetwork
{
    private readonly SummaryNetwork[] _backbones;
    private readonly Mlp? _head;

    /// <summary>
    /// Fuses <paramref name="backbones"/> (member name and network, parameters already in <paramref name="store"/>)
    /// with the head of <paramref name="options"/>, whose parameters are named "<paramref name="name"/>.head".
    /// </summary>
    public FusionNetwork(ParameterStore store, string name,
        IReadOnlyList<KeyValuePair<string, SummaryNetwork>> backbones, FusionNetworkOptions? options, Rng rng)
        : base(name, InputWidth(name, backbones), OutputWidth(name, backbones, options ?? new FusionNetworkOptions()))
    {
        Options = options ?? new FusionNetworkOptions();
        var names = new HashSet<string>(StringComparer.Ordinal);
        _backbones = new SummaryNetwork[backbones.Count];
        for (int i = 0; i < backbones.Count; i++)
        {
            var (member, net) = backbones[i];
            if (string.IsNullOrWhiteSpace(member) || !names.Add(member))
                throw new ArgumentException($"FusionNetwork '{name}': member {i} is named '{member}'; member names " +
                    "must be non-empty and distinct.", nameof(backbones));
            _backbones[i] = AddChild(net);
        }
        MemberNames = [.. backbones.Select(b => b.Key)];
        if (Options.SummaryDim is int s)
        {
            _head = AddChild(new Mlp(store, $"{name}.head", _backbones.Sum(b => b.SummaryDim), new MlpOptions
            {
                Widths = Options.HeadWidths, Activation = Options.Activation, Dropout = Options.Dropout, OutputDim = s,
            }, rng));
        }
    }

    /// <summary>The options it was built with.</summary>
    public FusionNetworkOptions Options { get; }

    /// <summary>The member names, in input order.</summary>
    public IReadOnlyList<string> MemberNames { get; }

    /// <summary>The backbones, in input order.</summary>
    public IReadOnlyList<SummaryNetwork> Backbones => _backbones;

    /// <summary>The head, or null when the summary is the plain concatenation.</summary>
    public Mlp? Head => _head;

    private static int InputWidth(string name, IReadOnlyList<KeyValuePair<string, SummaryNetwork>> backbones)
    {
        ArgumentNullException.ThrowIfNull(backbones);
        if (backbones.Count == 0)
            throw new ArgumentException($"FusionNetwork '{name}': expected at least one backbone, got none.",
                nameof(backbones));
        foreach (var (member, net) in backbones)
            if (net is null) throw new ArgumentNullException(nameof(backbones), $"FusionNetwork '{name}': the " +
                $"backbone of member '{member}' is null.");
        return backbones.Sum(b => b.Value.InputDim);
    }

    private static int OutputWidth(string name, IReadOnlyList<KeyValuePair<string, SummaryNetwork>> backbones,
        FusionNetworkOptions options)
    {
        if (options.SummaryDim is null && options.HeadWidths is { Count: > 0 })
            throw new ArgumentException($"FusionNetwork '{name}': HeadWidths [{string.Join(", ", options.HeadWidths)}] " +
                "are given without SummaryDim; the head needs an output width.", nameof(options));
        return options.SummaryDim ?? backbones.Sum(b => b.Value.SummaryDim);
    }

    /// <summary>
    /// Summaries (B, S) of one input per member, in <see cref="MemberNames"/> order: input i is (B, N_i, F_i), mask
    /// i (B, N_i) of 0/1 entries or null (all observed). <paramref name="rng"/> drives dropout in training mode.
    /// </summary>
    public Tensor Forward(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?>? masks = null, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count != _backbones.Length)
            throw new ArgumentException($"FusionNetwork '{Name}': got {inputs.Count} inputs; expected " +
                $"{_backbones.Length}, one per member ({string.Join(", ", MemberNames)}).", nameof(inputs));
        if (masks is not null && masks.Count != _backbones.Length)
            throw new ArgumentException($"FusionNetwork '{Name}': got {masks.Count} masks; expected " +
                $"{_backbones.Length}, one per member (null entries for none).", nameof(masks));
        var parts = new Tensor[_backbones.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(inputs[i], $"{nameof(inputs)}[{i}]");
            if (inputs[i].Rank > 0 && inputs[0].Rank > 0 && inputs[i].Shape[0] != inputs[0].Shape[0])
                throw new ArgumentException($"FusionNetwork '{Name}': member '{MemberNames[i]}' has " +
                    $"{inputs[i].Shape[0]} data sets ({inputs[i].Shape}); member '{MemberNames[0]}' has " +
                    $"{inputs[0].Shape[0]}.", nameof(inputs));
            parts[i] = _backbones[i].Forward(inputs[i], masks?[i], rng);
        }
        return Fuse(parts, rng);
    }

    /// <inheritdoc />
    protected override Tensor ForwardCore(Tensor x, Tensor? mask, Rng? rng)
    {
        var parts = new Tensor[_backbones.Length];
        int offset = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            int width = _backbones[i].InputDim;
            parts[i] = _backbones[i].Forward(x.Slice(2, offset, width), mask, rng);
            offset += width;
        }
        return Fuse(parts, rng);
    }

    private Tensor Fuse(Tensor[] parts, Rng? rng)
    {
        var joined = parts.Length == 1 ? parts[0] : Tensor.Concat(parts, 1);
        return _head is null ? joined : _head.Forward(joined, rng);
    }

    /// <inheritdoc />
    protected override string Describe() =>
        $"FusionNetwork([{string.Join(", ", MemberNames.Select((m, i) => $"{m}: {_backbones[i].GetType().Name}"))}]" +
        $" -> S={SummaryDim}{(_head is null ? ", concat" : ", head")})";
}
