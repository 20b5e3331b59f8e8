using Amortized.Inference.Adapters;
using Amortized.Inference.Simulators;
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
        if (standardizeSummaryInputs && summaryNetwork is not null)
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
        var net = SummaryNetwork!;
        if (!adapted.Contains(Keys.SummaryVariables))
            throw new KeyNotFoundException($"{_owner}: the summary network needs '{Keys.SummaryVariables}'; the " +
                $"adapted data has {ShapeText.Keys(adapted.Keys)}.");
        var shape = adapted.Shape(Keys.SummaryVariables);
        if (shape.Length != 3 || shape[2] != net.InputDim)
            throw new ArgumentException($"{_owner}: '{Keys.SummaryVariables}' has shape " +
                $"{ShapeText.Format(shape.ToArray())}; expected (B, N, {net.InputDim}).");
        var values = adapted.Get(Keys.SummaryVariables);
        float[]? maskValues = adapted.Contains(Keys.SummaryMask)
            ? HostData(_owner, adapted, Keys.SummaryMask, [shape[0], shape[1]]) : null;
        if (maskValues is not null)
        {
            // Checked here, on the host copy, so a device mask needs no download to be validated.
            for (int i = 0; i < maskValues.Length; i++)
                if (maskValues[i] != 0f && maskValues[i] != 1f)
                    throw new ArgumentException($"{_owner}: '{Keys.SummaryMask}' entry {i} is {maskValues[i]}; " +
                        "entries must be 0 (padding) or 1 (observed).");
        }
        if (updateStatistics) _summaryInputs?.Update(values, maskValues);
        var x = Tensor.Upload(values, new Shape(shape[0], shape[1], shape[2]));
        Tensor? mask = maskValues is null ? null : Tensor.Upload(maskValues, new Shape(shape[0], shape[1]));
        if (_summaryInputs is not null) x = _summaryInputs.Standardize(x);
        return net.Forward(x, mask);
    }

    /// <summary>
    /// Writes the standardisation state under "standardize.conditions" and "standardize.summary_inputs".
    /// </summary>
    public void ExportState(Dictionary<string, double[]> state)
    {
        Put(state, "standardize.conditions", _conditions);
        Put(state, "standardize.summary_inputs", _summaryInputs);
    }

    public void ImportState(IReadOnlyDictionary<string, double[]> state)
    {
        Get(_owner, state, "standardize.conditions", _conditions);
        Get(_owner, state, "standardize.summary_inputs", _summaryInputs);
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
