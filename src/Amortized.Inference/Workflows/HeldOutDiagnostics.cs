using Amortized.Inference.Approximators;
using Amortized.Inference.Diagnostics;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.Workflows;

/// <summary>
/// Everything one held-out check produced: the report, the posterior draws it was computed from, the data sets the
/// approximator saw (parameters removed), the parameter layout and, when the simulator is an <see cref="IPrior"/>
/// of the only parameter key, the prior draws its spread came from.
/// </summary>
/// <param name="Report">The checks (<see cref="DiagnosticsReport.Compute"/>).</param>
/// <param name="Draws">Posterior draws (N, S, D), named as the report's parameters.</param>
/// <param name="Data">The N data sets passed to the sampler, every parameter key removed.</param>
/// <param name="Layout">The parameter keys and shapes that make up the D columns.</param>
/// <param name="PriorDraws">Prior draws (P, D), or null when the prior spread came from the truths.</param>
public sealed record HeldOutCheck(DiagnosticsReport Report, PosteriorDraws Draws, SimulationBatch Data,
    ParameterLayout Layout, float[]? PriorDraws);

/// <summary>
/// The posterior checks on held-out data sets: fresh simulations or data the caller supplies, sampled by the
/// approximator, then <see cref="DiagnosticsReport.Compute"/> on the draws and the true parameters. The parameters
/// are every raw key the adapter concatenates into <c>inference_variables</c> (any number, any shapes, found with
/// <see cref="ParameterLayout.InferenceKeys"/>); all of them are removed from the data before sampling, so no truth
/// can leak into the conditions, and the report names each scalar after its key (<c>beta[0]</c>, <c>sigma</c>).
/// </summary>
public static class HeldOutDiagnostics
{
    /// <summary>Prior draws taken for the prior spread when the simulator is an <see cref="IPrior"/>.</summary>
    private const int PriorDrawCount = 10_000;

    /// <summary>
    /// Simulates <paramref name="numDatasets"/> held-out data sets (seed <paramref name="seed"/>), draws
    /// <paramref name="numSamples"/> posterior samples for each (seed + 1), and computes the report. The prior sd of
    /// a key comes from 10^4 fresh prior draws when the simulator is an <see cref="IPrior"/> of that key (seed + 2),
    /// else from the simulated truths.
    /// </summary>
    /// <param name="approximator">A trained approximator.</param>
    /// <param name="simulator">The simulator it was trained on.</param>
    /// <param name="numDatasets">N, at least 2.</param>
    /// <param name="numSamples">S, at least 2.</param>
    /// <param name="seed">Seed of the simulations; sampling and prior draws use seed + 1 and seed + 2.</param>
    /// <param name="options">Diagnostics options.</param>
    /// <param name="parameterKeys">The parameter keys to report, in this order; default every key of
    /// <c>inference_variables</c> in the adapter's concatenation order.</param>
    /// <param name="parameterNames">D names; default from the keys (a benchmark task's own names for its key).</param>
    public static DiagnosticsReport Run(ContinuousApproximator approximator, ISimulator simulator,
        int numDatasets = 300, int numSamples = 1000, ulong seed = 0, DiagnosticsOptions? options = null,
        IReadOnlyList<string>? parameterKeys = null, IReadOnlyList<string>? parameterNames = null) =>
        Check(approximator, simulator, numDatasets, numSamples, seed, options, parameterKeys, parameterNames).Report;

    /// <summary>
    /// <see cref="Run(ContinuousApproximator, ISimulator, int, int, ulong, DiagnosticsOptions?, IReadOnlyList{string}?, IReadOnlyList{string}?)"/>
    /// reporting the one key <paramref name="parameterKey"/> (the other parameter keys are still removed from the
    /// data before sampling).
    /// </summary>
    /// <param name="approximator">A trained approximator whose adapter maps <paramref name="parameterKey"/>.</param>
    /// <param name="simulator">The simulator it was trained on.</param>
    /// <param name="parameterKey">Batch key of the parameters, shape (N, D...) in the simulations.</param>
    /// <param name="numDatasets">N.</param>
    /// <param name="numSamples">S.</param>
    /// <param name="seed">Seed of the simulations; sampling and prior draws use seed + 1 and seed + 2.</param>
    /// <param name="options">Diagnostics options.</param>
    /// <param name="parameterNames">D names; default the simulator's names when it has them (a benchmark task),
    /// else from the key.</param>
    public static DiagnosticsReport Run(ContinuousApproximator approximator, ISimulator simulator, string parameterKey,
        int numDatasets = 300, int numSamples = 1000, ulong seed = 0, DiagnosticsOptions? options = null,
        IReadOnlyList<string>? parameterNames = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(parameterKey);
        return CheckSimulated(approximator, simulator, numDatasets, numSamples, seed, options, [parameterKey],
            parameterNames, nameof(parameterKey)).Report;
    }

    /// <summary>
    /// The checks on <paramref name="testData"/>, data sets the caller supplies with their true parameters: every
    /// parameter key (B, ...) and the observed keys, as the simulator writes them. Draws use seed + 1; the prior sd
    /// comes from <paramref name="prior"/> for its key (10^4 draws, seed + 2), else from the truths.
    /// </summary>
    /// <param name="approximator">A trained approximator.</param>
    /// <param name="testData">N data sets with their parameters, N at least 2.</param>
    /// <param name="numSamples">S, at least 2.</param>
    /// <param name="seed">Sampling uses seed + 1, prior draws seed + 2 (as for simulated data).</param>
    /// <param name="options">Diagnostics options.</param>
    /// <param name="parameterKeys">The parameter keys to report; default all of <c>inference_variables</c>.</param>
    /// <param name="prior">The prior of one parameter key, for its spread; none, the truths' spread.</param>
    /// <param name="parameterNames">D names; default from the keys.</param>
    public static DiagnosticsReport Run(ContinuousApproximator approximator, SimulationBatch testData,
        int numSamples = 1000, ulong seed = 0, DiagnosticsOptions? options = null,
        IReadOnlyList<string>? parameterKeys = null, IPrior? prior = null,
        IReadOnlyList<string>? parameterNames = null) =>
        Check(approximator, testData, numSamples, seed, options, parameterKeys, prior, parameterNames).Report;

    /// <summary>
    /// <see cref="Run(ContinuousApproximator, ISimulator, int, int, ulong, DiagnosticsOptions?, IReadOnlyList{string}?, IReadOnlyList{string}?)"/>
    /// keeping the draws, the data and the layout (for figures and reports).
    /// </summary>
    public static HeldOutCheck Check(ContinuousApproximator approximator, ISimulator simulator,
        int numDatasets = 300, int numSamples = 1000, ulong seed = 0, DiagnosticsOptions? options = null,
        IReadOnlyList<string>? parameterKeys = null, IReadOnlyList<string>? parameterNames = null) =>
        CheckSimulated(approximator, simulator, numDatasets, numSamples, seed, options, parameterKeys,
            parameterNames, nameof(parameterKeys));

    /// <summary>
    /// <see cref="Run(ContinuousApproximator, SimulationBatch, int, ulong, DiagnosticsOptions?, IReadOnlyList{string}?, IPrior?, IReadOnlyList{string}?)"/>
    /// keeping the draws, the data and the layout (for figures and reports).
    /// </summary>
    public static HeldOutCheck Check(ContinuousApproximator approximator, SimulationBatch testData,
        int numSamples = 1000, ulong seed = 0, DiagnosticsOptions? options = null,
        IReadOnlyList<string>? parameterKeys = null, IPrior? prior = null,
        IReadOnlyList<string>? parameterNames = null)
    {
        ArgumentNullException.ThrowIfNull(approximator);
        ArgumentNullException.ThrowIfNull(testData);
        if (testData.BatchSize < 2)
            throw new ArgumentException($"HeldOutDiagnostics: the test data hold {testData.BatchSize} data set(s); " +
                "calibration needs at least 2.", nameof(testData));
        return Compute(approximator, testData, numSamples, seed, options, parameterKeys, prior, null,
            parameterNames, nameof(parameterKeys));
    }

    /// <summary>The simulated check; <paramref name="keysParameter"/> names the caller's key argument in errors.</summary>
    internal static HeldOutCheck CheckSimulated(ContinuousApproximator approximator, ISimulator simulator,
        int numDatasets, int numSamples, ulong seed, DiagnosticsOptions? options,
        IReadOnlyList<string>? parameterKeys, IReadOnlyList<string>? parameterNames, string keysParameter)
    {
        ArgumentNullException.ThrowIfNull(approximator);
        ArgumentNullException.ThrowIfNull(simulator);
        if (numDatasets < 2) throw new ArgumentOutOfRangeException(nameof(numDatasets), numDatasets,
            "HeldOutDiagnostics: expected at least 2 data sets.");
        // A batch index training never reaches (Trainer simulates batches 0, 1, ... with its own seed), so these data
        // sets are fresh even when the seeds coincide.
        SimulationBatch simulations =
            simulator.Sample(numDatasets, seed, new SampleOptions { BatchIndex = StreamRegistry.HeldOutBatch.First });
        return Compute(approximator, simulations, numSamples, seed, options, parameterKeys, simulator as IPrior,
            simulator as Tasks.BenchmarkTask, parameterNames, keysParameter);
    }

    private static HeldOutCheck Compute(ContinuousApproximator approximator, SimulationBatch data, int numSamples,
        ulong seed, DiagnosticsOptions? options, IReadOnlyList<string>? parameterKeys, IPrior? prior,
        Tasks.BenchmarkTask? task, IReadOnlyList<string>? parameterNames, string keysParameter)
    {
        if (numSamples < 2) throw new ArgumentOutOfRangeException(nameof(numSamples), numSamples,
            "HeldOutDiagnostics: expected at least 2 samples per data set.");
        IReadOnlyList<string> inferenceKeys = ParameterLayout.InferenceKeys(approximator.Adapter);
        if (parameterKeys is { Count: 0 })
            throw new ArgumentException("HeldOutDiagnostics: parameterKeys is empty; name at least one key or pass " +
                "null for all of them.", keysParameter);
        foreach (string key in parameterKeys ?? inferenceKeys)
        {
            if (!inferenceKeys.Contains(key))
                throw new ArgumentException($"HeldOutDiagnostics: '{key}' is not a parameter of the model; the " +
                    $"adapter concatenates [{string.Join(", ", inferenceKeys)}] into " +
                    $"'{Adapters.Keys.InferenceVariables}'.", keysParameter);
            if (!data.Contains(key))
                throw new ArgumentException($"HeldOutDiagnostics: the data have no parameter key '{key}'; they have " +
                    $"[{string.Join(", ", data.Keys)}].", keysParameter);
        }

        // The approximator sees the data only: every parameter key is left out, so nothing can leak into the
        // conditions (arrays are shared, not copied).
        var observed = new SimulationBatch(data.BatchSize);
        foreach (string key in data.Keys)
            if (!inferenceKeys.Contains(key))
                observed.SetCore(key, data.Get(key), data.Shape(key).ToArray(), data.IsInteger(key));
        SimulationBatch sampled = approximator.Sample(observed, numSamples, seed + 1);

        // Default order: the order the adapter's inverse writes the keys, i.e. its concatenation order.
        IReadOnlyList<string> keys = parameterKeys
            ?? [.. sampled.Keys.Where(inferenceKeys.Contains), .. inferenceKeys.Where(k => !sampled.Contains(k))];
        foreach (string key in keys)
            if (!sampled.Contains(key))
                throw new InvalidOperationException($"HeldOutDiagnostics: the approximator's samples have no key " +
                    $"'{key}'; they have [{string.Join(", ", sampled.Keys)}].");
        var layout = ParameterLayout.FromBatch(data, keys);
        int d = layout.Dimension, n = data.BatchSize;
        float[] truths = layout.Flatten(data);
        if (parameterNames is null && task is not null && keys.Count == 1 && task.ParameterKey == keys[0]
            && task.ParameterDim == d)
            parameterNames = task.ParameterNames;
        PosteriorDraws draws = layout.Draws(sampled, parameterNames);
        if (draws.Datasets != n)
            throw new InvalidOperationException($"HeldOutDiagnostics: the draws hold {draws.Datasets} data sets but " +
                $"the data {n}.");

        double[] priorSd = PosteriorMetrics.PriorSd(truths, d);
        float[]? priorDraws = null;
        int index = prior is null ? -1 : IndexOf(keys, prior.ParameterKey);
        if (index >= 0 && ShapeText.Product(layout.Shape(index)) == prior!.ParameterDim)
        {
            float[] fromPrior = prior.SamplePrior(PriorDrawCount, seed + 2).Get(prior.ParameterKey);
            int offset = 0;
            for (int k = 0; k < index; k++) offset += ShapeText.Product(layout.Shape(k));
            PosteriorMetrics.PriorSd(fromPrior, prior.ParameterDim).CopyTo(priorSd, offset);
            if (keys.Count == 1) priorDraws = fromPrior;
        }
        var report = DiagnosticsReport.Compute(draws, truths, priorSd, options);
        return new HeldOutCheck(report, draws, observed, layout, priorDraws);
    }

    private static int IndexOf(IReadOnlyList<string> keys, string key)
    {
        for (int i = 0; i < keys.Count; i++)
            if (keys[i] == key) return i;
        return -1;
    }
}
