using Amortized.Inference.Adapters;
using Amortized.Inference.Simulators;
using Amortized.Networks;
using Amortized.Networks.Summaries;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Inference.Approximators;

/// <summary>
/// The conditioning path shared by the point and model-comparison approximators: h(x) (B, S) from the summary
/// network (inputs standardised per feature, padding excluded) concatenated with the standardised direct
/// conditions (B, C), giving (B, S + C). Mirrors <see cref="ContinuousApproximator"/>'s conditions.
/// </summary>
internal sealed class ConditionEncoder
{
    private readonly string _owner;
    private readonly RunningStandardizer? _conditions, _summaryInputs;

    /// <summary>One standardiser per fusion member (null without a fusion or without standardisation).</summary>
    private readonly RunningStandardizer[]? _memberInputs;

    public ConditionEncoder(string owner, SummaryNetwork? summaryNetwork, int directDim, string conditionsKey,
        bool standardizeConditions, bool standardizeSummaryInputs)
    {
        if (directDim < 0)
            throw new ArgumentOutOfRangeException(nameof(directDim), directDim,
                $"{owner}: the number of direct condition features must be >= 0.");
        if (summaryNetwork is null && directDim == 0)
            throw new ArgumentException($"{owner}: there is nothing to condition on; give a summary network or " +
                $"direct conditions ('{conditionsKey}').", nameof(directDim));
        _owner = owner;
        SummaryNetwork = summaryNetwork;
        DirectDim = directDim;
        ConditionsKey = conditionsKey;
        if (standardizeConditions && directDim > 0) _conditions = new RunningStandardizer(directDim);
        if (standardizeSummaryInputs && summaryNetwork is FusionNetwork fusion)
            _memberInputs = [.. fusion.Backbones.Select(b => new RunningStandardizer(b.InputDim))];
        else if (standardizeSummaryInputs && summaryNetwork is not null)
            _summaryInputs = new RunningStandardizer(summaryNetwork.InputDim);
    }

    public SummaryNetwork? SummaryNetwork { get; }

    /// <summary>C.</summary>
    public int DirectDim { get; }

    public string ConditionsKey { get; }

    /// <summary>S + C.</summary>
    public int OutputDim => (SummaryNetwork?.SummaryDim ?? 0) + DirectDim;

    public RunningStandardizer? ConditionStandardizer => _conditions;

    public RunningStandardizer? SummaryInputStandardizer => _summaryInputs;

    /// <summary>(B, S + C): summaries then standardised direct conditions.</summary>
    public Tensor Encode(SimulationBatch adapted, bool updateStatistics)
    {
        Tensor? summary = SummaryNetwork is null ? null : Summaries(adapted, updateStatistics);
        Tensor? direct = null;
        if (DirectDim > 0)
        {
            var values = HostData(_owner, adapted, ConditionsKey, [adapted.BatchSize, DirectDim]);
            if (updateStatistics) _conditions?.Update(values);
            direct = Tensor.Upload(values, new Shape(adapted.BatchSize, DirectDim));
            if (_conditions is not null) direct = _conditions.Standardize(direct);
        }
        if (summary is null) return direct!;
        return direct is null ? summary : Tensor.Concat(summary, direct, 1);
    }

    private Tensor Summaries(SimulationBatch adapted, bool updateStatistics)
    {
        if (SummaryNetwork is FusionNetwork fusion) return FusionSummaries(fusion, adapted, updateStatistics);
        var net = SummaryNetwork!;
        if (!adapted.Contains(Keys.SummaryVariables))
            throw new KeyNotFoundException($"{_owner}: the summary network needs '{Keys.SummaryVariables}'; the " +
                $"adapted data has {ShapeText.Keys(adapted.Keys)}.");
        var shape = adapted.Shape(Keys.SummaryVariables);
        if (shape.Length != 3 || shape[2] != net.InputDim)
            throw new ArgumentException($"{_owner}: '{Keys.SummaryVariables}' has shape " +
                $"{ShapeText.Format(shape.ToArray())}; expected (B, N, {net.InputDim}).");
        var (x, mask) = SummaryInput(adapted, Keys.SummaryVariables, Keys.SummaryMask, shape, _summaryInputs,
            updateStatistics);
        return net.Forward(x, mask);
    }

    /// <summary>
    /// Each fusion member i reads "summary_variables/NAME" (B, N_i, F_i) and the optional mask "summary_mask/NAME"
    /// (B, N_i), standardised with its own statistics (a set and a series have nothing in common to pool).
    /// </summary>
    private Tensor FusionSummaries(FusionNetwork fusion, SimulationBatch adapted, bool updateStatistics)
    {
        var inputs = new Tensor[fusion.Backbones.Count];
        var masks = new Tensor?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            string name = fusion.MemberNames[i], key = Keys.GroupMember(Keys.SummaryVariables, name);
            int features = fusion.Backbones[i].InputDim;
            if (!adapted.Contains(key))
                throw new KeyNotFoundException($"{_owner}: the fusion summary network's member '{name}' needs " +
                    $"'{key}' (group it with Adapter.Group([...], \"{Keys.SummaryVariables}\")); the adapted data has " +
                    $"{ShapeText.Keys(adapted.Keys)}.");
            var shape = adapted.Shape(key);
            if (shape.Length != 3 || shape[2] != features || shape[0] != adapted.BatchSize)
                throw new ArgumentException($"{_owner}: '{key}' has shape {ShapeText.Format(shape.ToArray())}; " +
                    $"expected ({adapted.BatchSize}, N, {features}).");
            (inputs[i], masks[i]) = SummaryInput(adapted, key, Keys.GroupMember(Keys.SummaryMask, name), shape,
                _memberInputs?[i], updateStatistics);
        }
        return fusion.Forward(inputs, masks);
    }

    /// <summary>
    /// x (B, N, F) under <paramref name="key"/>, standardised by <paramref name="standardizer"/>, and its mask (B, N)
    /// under <paramref name="maskKey"/> if present (entries checked to be 0 or 1).
    /// </summary>
    private (Tensor X, Tensor? Mask) SummaryInput(SimulationBatch adapted, string key, string maskKey,
        ReadOnlySpan<int> shape, RunningStandardizer? standardizer, bool updateStatistics)
    {
        var values = adapted.Get(key);
        float[]? maskValues = adapted.Contains(maskKey) ? HostData(_owner, adapted, maskKey, [shape[0], shape[1]]) : null;
        if (maskValues is not null)
        {
            // Checked here, on the host copy, so a device mask needs no download to be validated.
            for (int i = 0; i < maskValues.Length; i++)
                if (maskValues[i] != 0f && maskValues[i] != 1f)
                    throw new ArgumentException($"{_owner}: '{maskKey}' entry {i} is {maskValues[i]}; " +
                        "entries must be 0 (padding) or 1 (observed).");
        }
        if (updateStatistics) standardizer?.Update(values, maskValues);
        var x = Tensor.Upload(values, new Shape(shape[0], shape[1], shape[2]));
        Tensor? mask = maskValues is null ? null : Tensor.Upload(maskValues, new Shape(shape[0], shape[1]));
        if (standardizer is not null) x = standardizer.Standardize(x);
        return (x, mask);
    }

    /// <summary>
    /// The summary network <paramref name="spec"/> describes, built into <paramref name="store"/> under "summary"
    /// (a fusion's members under "summary.NAME", its head under "summary.head"), or null for none.
    /// </summary>
    internal static SummaryNetwork? BuildSummary(ApproximatorSpec spec, ParameterStore store, Rng rng) =>
        spec.Summary switch
        {
            SummaryNetworkKind.None => null,
            SummaryNetworkKind.Fusion => BuildFusion(spec.Fusion, store, rng),
            _ => BuildBackbone(spec.Summary, "summary", spec.SummaryInputDim, spec.DeepSet, spec.SetTransformer,
                spec.TimeSeries, spec.TimeSeriesTransformer, store, rng, "ApproximatorSpec.Summary",
                "DeepSet, SetTransformer, TimeSeries, TimeSeriesTransformer, None or Fusion"),
        };

    /// <summary>One summary network of a single kind (not None or Fusion); an error names <paramref name="field"/>
    /// and the kinds it <paramref name="accepts"/>.</summary>
    internal static SummaryNetwork BuildBackbone(SummaryNetworkKind kind, string name, int inputDim,
        DeepSetOptions? deepSet, SetTransformerOptions? setTransformer, TimeSeriesNetworkOptions? timeSeries,
        TimeSeriesTransformerOptions? timeSeriesTransformer, ParameterStore store, Rng rng, string field,
        string accepts) => kind switch
    {
        SummaryNetworkKind.DeepSet => new DeepSet(store, name, inputDim, deepSet, rng),
        SummaryNetworkKind.SetTransformer => new SetTransformer(store, name, inputDim, setTransformer, rng),
        SummaryNetworkKind.TimeSeries => new TimeSeriesNetwork(store, name, inputDim, timeSeries, rng),
        SummaryNetworkKind.TimeSeriesTransformer =>
            new TimeSeriesTransformer(store, name, inputDim, timeSeriesTransformer, rng),
        _ => throw new ArgumentException($"{field} is {kind}; expected {accepts}.", nameof(kind)),
    };

    private static FusionNetwork BuildFusion(FusionSummarySpec? fusion, ParameterStore store, Rng rng)
    {
        if (fusion is null || fusion.Members is not { Count: > 0 })
            throw new ArgumentException("ApproximatorSpec.Fusion lists no members; the Fusion summary needs one " +
                "FusionMemberSpec per member of the summary_variables group (Adapter.Group).", nameof(fusion));
        var backbones = new List<KeyValuePair<string, SummaryNetwork>>();
        foreach (FusionMemberSpec m in fusion.Members)
        {
            if (m.InputDim <= 0)
                throw new ArgumentException($"ApproximatorSpec.Fusion member '{m.Name}' has InputDim {m.InputDim}; " +
                    "build from a probe batch (ContinuousApproximator.Build(spec, adapter, probe)) to read it off the " +
                    "adapted data, or set it.", nameof(fusion));
            backbones.Add(new(m.Name, BuildBackbone(m.Kind, $"summary.{m.Name}", m.InputDim, m.DeepSet,
                m.SetTransformer, m.TimeSeries, m.TimeSeriesTransformer, store, rng,
                $"ApproximatorSpec.Fusion member '{m.Name}' Kind", "DeepSet, SetTransformer, TimeSeries or " +
                "TimeSeriesTransformer (a fusion member is one summary network)")));
        }
        return new FusionNetwork(store, "summary", backbones, fusion.Head, rng);
    }

    /// <summary>
    /// <paramref name="spec"/> with the summary input widths of <paramref name="adapted"/>: F of
    /// "summary_variables", or each fusion member's F_i (and their sum as F). Refuses summary inputs that the spec's
    /// summary network would not read, and fusion members the adapter does not produce.
    /// </summary>
    internal static ApproximatorSpec WithSummaryInputs(ApproximatorSpec spec, SimulationBatch adapted, string owner)
    {
        string start = $"{Keys.SummaryVariables}{Keys.GroupSeparator}";
        var grouped = adapted.Keys.Where(k => k.StartsWith(start, StringComparison.Ordinal))
            .Select(k => k[start.Length..]).ToList();
        int Width(string key) => adapted.Shape(key) is { Length: > 1 } s ? s[^1] : 1;
        if (spec.Summary != SummaryNetworkKind.Fusion)
        {
            if (grouped.Count > 0)
                throw new ArgumentException($"{owner}: the adapter groups members into '{Keys.SummaryVariables}' " +
                    $"({string.Join(", ", grouped)}); only a Fusion summary network reads a group, the spec has " +
                    $"{spec.Summary}.", nameof(spec));
            if (spec.Summary == SummaryNetworkKind.None && adapted.Contains(Keys.SummaryVariables))
                throw new ArgumentException($"{owner}: the adapter produces '{Keys.SummaryVariables}' but " +
                    "the spec has no summary network.", nameof(spec));
            return spec with
            {
                SummaryInputDim = adapted.Contains(Keys.SummaryVariables) ? Width(Keys.SummaryVariables) : 0,
            };
        }
        if (adapted.Contains(Keys.SummaryVariables))
            throw new ArgumentException($"{owner}: the adapter produces a plain '{Keys.SummaryVariables}'; a Fusion " +
                $"summary network reads its members, grouped with Adapter.Group([...], \"{Keys.SummaryVariables}\").",
                nameof(spec));
        var members = spec.Fusion?.Members ?? [];
        if (members.Count == 0)
            throw new ArgumentException($"{owner}: ApproximatorSpec.Fusion lists no members; the adapter groups " +
                $"{(grouped.Count == 0 ? "none" : string.Join(", ", grouped))} into '{Keys.SummaryVariables}'. Give " +
                "one FusionMemberSpec per member.", nameof(spec));
        var probed = new List<FusionMemberSpec>();
        foreach (FusionMemberSpec m in members)
        {
            string key = Keys.GroupMember(Keys.SummaryVariables, m.Name);
            if (!adapted.Contains(key))
                throw new ArgumentException($"{owner}: fusion member '{m.Name}' reads '{key}', which the adapter does " +
                    $"not produce; it groups {(grouped.Count == 0 ? "nothing" : string.Join(", ", grouped))} into " +
                    $"'{Keys.SummaryVariables}'.", nameof(spec));
            probed.Add(m with { InputDim = Width(key) });
        }
        var unread = grouped.Where(g => !members.Any(m => m.Name == g)).ToList();
        if (unread.Count > 0)
            throw new ArgumentException($"{owner}: the adapter groups {string.Join(", ", unread)} into " +
                $"'{Keys.SummaryVariables}', but no fusion member reads {(unread.Count == 1 ? "it" : "them")}; the " +
                $"members are {string.Join(", ", members.Select(m => m.Name))}.", nameof(spec));
        return spec with
        {
            Fusion = spec.Fusion! with { Members = probed },
            SummaryInputDim = probed.Sum(m => m.InputDim),
        };
    }

    /// <summary>
    /// Writes the standardisation state under "standardize.conditions" and "standardize.summary_inputs".
    /// </summary>
    public void ExportState(Dictionary<string, double[]> state)
    {
        Put(state, "standardize.conditions", _conditions);
        Put(state, "standardize.summary_inputs", _summaryInputs);
        if (_memberInputs is not null)
            for (int i = 0; i < _memberInputs.Length; i++)
                Put(state, MemberState(i), _memberInputs[i]);
    }

    /// <summary>The state name of fusion member i's input standardiser.</summary>
    private string MemberState(int i) =>
        $"standardize.summary_inputs.{((FusionNetwork)SummaryNetwork!).MemberNames[i]}";

    public void ImportState(IReadOnlyDictionary<string, double[]> state)
    {
        Get(_owner, state, "standardize.conditions", _conditions);
        Get(_owner, state, "standardize.summary_inputs", _summaryInputs);
        if (_memberInputs is not null)
            for (int i = 0; i < _memberInputs.Length; i++)
                Get(_owner, state, MemberState(i), _memberInputs[i]);
    }

    internal static void Put(Dictionary<string, double[]> state, string name, RunningStandardizer? s)
    {
        if (s is null) return;
        var (count, mean, m2) = s.GetState();
        state[name] = [count, .. mean, .. m2];
    }

    /// <summary>
    /// Rows for a data-dependent initialisation, in two passes so that every row is standardised with the same final
    /// statistics: the variable and condition standardisers absorb every batch first, then each batch's
    /// standardised inference variables (B, D) and conditions (B, S + C) go to <paramref name="sink"/> as host
    /// arrays, with B. Runs without a tape.
    /// </summary>
    public void ForEachInitializationBatch(IReadOnlyList<SimulationBatch> adapted, int dimension,
        RunningStandardizer? variables,
        Action<float[], float[], int> sink)
    {
        using var noGrad = Tape.NoGrad();
        foreach (var batch in adapted)
        {
            variables?.Update(HostData(_owner, batch, Keys.InferenceVariables, [batch.BatchSize, dimension]));
            Encode(batch, updateStatistics: true);
        }
        foreach (var batch in adapted)
        {
            var theta = StandardizedVariables(_owner, batch, dimension, variables, updateStatistics: false);
            sink(theta.ToArray(), Encode(batch, updateStatistics: false).ToArray(), batch.BatchSize);
        }
    }

    /// <summary>
    /// The inference variables (B, D) of an adapted batch, standardised when <paramref name="standardizer"/> is given;
    /// with <paramref name="updateStatistics"/> it absorbs the batch first.
    /// </summary>
    internal static Tensor StandardizedVariables(string owner, SimulationBatch adapted, int dimension,
        RunningStandardizer? standardizer,
        bool updateStatistics)
    {
        // Statistics come from the host copy, before the upload: nothing waits on the device for them.
        var values = HostData(owner, adapted, Keys.InferenceVariables, [adapted.BatchSize, dimension]);
        if (updateStatistics) standardizer?.Update(values);
        var theta = Tensor.Upload(values, new Shape(adapted.BatchSize, dimension));
        return standardizer is null ? theta : standardizer.Standardize(theta);
    }

    internal static void Get(string owner, IReadOnlyDictionary<string, double[]> state,
        string name, RunningStandardizer? s)
    {
        if (s is null) return;
        if (!state.TryGetValue(name, out var v) || v.Length != 1 + 2 * s.Features)
            throw new ArgumentException($"{owner}: state '{name}' is missing or has the wrong length (expected " +
                $"{1 + 2 * s.Features}).", nameof(state));
        s.SetState(v[0], v.AsSpan(1, s.Features), v.AsSpan(1 + s.Features, s.Features));
    }

    /// <summary>
    /// The array under <paramref name="key"/> as a tensor of the expected shape; (B) is accepted for (B, 1).
    /// </summary>
    /// <summary>
    /// A key's values as a per-step tensor (<see cref="Tensor.Upload"/>) on the ambient device,
    /// after checking its shape against <paramref name="expected"/>.
    /// </summary>
    internal static Tensor ToTensor(string owner, SimulationBatch batch, string key, int[] expected) =>
        Tensor.Upload(HostData(owner, batch, key, expected), new Shape(expected));

    /// <summary>A key's host values, checked against <paramref name="expected"/> ((B, 1) also accepts (B,)).</summary>
    internal static float[] HostData(string owner, SimulationBatch batch, string key, int[] expected)
    {
        if (!batch.Contains(key))
            throw new KeyNotFoundException(
                $"{owner}: key '{key}' is missing; the adapted data has {ShapeText.Keys(batch.Keys)}.");
        var shape = batch.Shape(key);
        var data = batch.Get(key);
        bool rowVector = expected.Length == 2 && expected[1] == 1 && shape.Length == 1;
        if (data.Length != ShapeText.Product(expected) || (!rowVector && !shape.SequenceEqual(expected)))
            throw new ArgumentException($"{owner}: '{key}' has shape {ShapeText.Format(shape.ToArray())}; expected " +
                $"{ShapeText.Format(expected)}.");
        return data;
    }
}
