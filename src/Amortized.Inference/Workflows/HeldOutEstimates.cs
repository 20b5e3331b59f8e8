using Amortized.Inference.Approximators;
using Amortized.Inference.Diagnostics;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.Workflows;

/// <summary>
/// The checks of point and model-comparison approximators on fresh simulations (the counterpart of
/// <see cref="HeldOutDiagnostics"/>): simulate held-out data sets from a batch index training never reaches, hide
/// the truths, ask the approximator, and hand estimates and truths to the pure functions of Diagnostics.
/// </summary>
public static class HeldOutEstimates
{
    /// <summary>
    /// Simulates <paramref name="numDatasets"/> data sets (seed <paramref name="seed"/>), estimates
    /// <paramref name="parameterKey"/> with every rule, and computes recovery and quantile coverage.
    /// </summary>
    /// <param name="approximator">A trained point approximator whose adapter maps <paramref name="parameterKey"/>.</param>
    /// <param name="simulator">The simulator it was trained on.</param>
    /// <param name="parameterKey">Batch key of the parameters, shape (N, D...) in the simulations.</param>
    /// <param name="numDatasets">N, at least 2.</param>
    /// <param name="seed">Seed of the simulations.</param>
    /// <param name="parameterNames">D names; default the simulator's when it is a benchmark task, else theta[i].
    /// </param>
    public static PointDiagnosticsReport Point(PointApproximator approximator, ISimulator simulator,
        string parameterKey, int numDatasets = 300, ulong seed = 0, IReadOnlyList<string>? parameterNames = null)
    {
        ArgumentNullException.ThrowIfNull(approximator);
        var (observed, truths) = Simulate(simulator, parameterKey, numDatasets, seed, nameof(Point));
        int d = truths.Length / numDatasets;
        var estimates = approximator.Estimate(observed);
        var rules = new List<PointRuleValues>();
        foreach (var rule in approximator.Rules)
        {
            var values = estimates[rule.Name].Values;
            if (!values.Contains(parameterKey))
                throw new ArgumentException($"Point: the estimates of rule '{rule.Name}' have no key " +
                    $"'{parameterKey}'; they have [{string.Join(", ", values.Keys)}].", nameof(parameterKey));
            rules.Add(new PointRuleValues(rule.Name, values.Get(parameterKey), (rule as QuantileScore)?.Levels));
        }
        if (parameterNames is null && simulator is Tasks.BenchmarkTask task
            && task.ParameterKey == parameterKey && task.ParameterDim == d)
            parameterNames = task.ParameterNames;
        return PointDiagnosticsReport.Compute(rules, truths, d, parameterNames);
    }

    /// <summary>
    /// Simulates <paramref name="numDatasets"/> data sets with their model indicator (seed <paramref name="seed"/>),
    /// predicts the model probabilities from the data alone, and computes accuracy, the confusion matrix and
    /// calibration over <paramref name="numBins"/> bins.
    /// </summary>
    public static ModelComparisonReport ModelComparison(ModelComparisonApproximator approximator, ISimulator simulator,
        int numDatasets = 1000, ulong seed = 0, int numBins = 10)
    {
        ArgumentNullException.ThrowIfNull(approximator);
        var (observed, targets) = Simulate(simulator, approximator.Options.ModelIndicesKey, numDatasets, seed,
            nameof(ModelComparison));
        if (targets.Length != numDatasets * approximator.ModelCount)
            throw new ArgumentException($"ModelComparison: the model indicator '{approximator.Options.ModelIndicesKey}'" +
                $" has {targets.Length / numDatasets} columns; the approximator compares K = " +
                $"{approximator.ModelCount} models.", nameof(simulator));
        var probabilities = approximator.PredictProbabilities(observed);
        var names = new string[approximator.ModelCount];
        for (int k = 0; k < names.Length; k++) names[k] = approximator.ModelName(k);
        return ModelComparisonReport.Compute(probabilities, targets, names, numBins);
    }

    /// <summary>Held-out simulations with <paramref name="key"/> removed, and that key's values (N, ...).</summary>
    private static (SimulationBatch Observed, float[] Truths) Simulate(ISimulator simulator, string key,
        int numDatasets, ulong seed, string method)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (numDatasets < 2) throw new ArgumentOutOfRangeException(nameof(numDatasets), numDatasets,
            $"{method}: expected at least 2 data sets.");
        // The same held-out batch index as HeldOutDiagnostics: training never reaches it.
        var simulations =
            simulator.Sample(numDatasets, seed, new SampleOptions { BatchIndex = StreamRegistry.HeldOutBatch.First });
        if (!simulations.Contains(key))
            throw new ArgumentException($"{method}: the simulator's batch has no key '{key}'; it has " +
                $"[{string.Join(", ", simulations.Keys)}].", nameof(key));
        float[] truths = simulations.Get(key);
        // The approximator sees the data only, so nothing of the truth can leak into its conditions.
        var observed = simulations.Clone();
        observed.Remove(key);
        return (observed, truths);
    }
}
