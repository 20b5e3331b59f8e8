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
        ArgumentException.ThrowIfNullOrEmpty(parameterKey);
        return Point(approximator, simulator, [parameterKey], numDatasets, seed, parameterNames);
    }

    /// <summary>
    /// <see cref="Point(PointApproximator, ISimulator, string, int, ulong, IReadOnlyList{string})"/> for parameters
    /// held in several keys of any shapes (the keys of <c>inference_variables</c>, see
    /// <see cref="ParameterLayout.InferenceKeys"/>): each key's estimates are laid side by side in the keys' order,
    /// and the D parameters are named after the keys (<c>beta[0]</c>, <c>beta[1]</c>, <c>sigma</c>).
    /// </summary>
    public static PointDiagnosticsReport Point(PointApproximator approximator, ISimulator simulator,
        IReadOnlyList<string> parameterKeys, int numDatasets = 300, ulong seed = 0,
        IReadOnlyList<string>? parameterNames = null)
    {
        ArgumentNullException.ThrowIfNull(approximator);
        ArgumentNullException.ThrowIfNull(parameterKeys);
        if (parameterKeys.Count == 0)
            throw new ArgumentException("Point: name at least one parameter key.", nameof(parameterKeys));
        var (observed, simulations) = Simulate(simulator, parameterKeys, numDatasets, seed, nameof(Point));
        var layout = ParameterLayout.FromBatch(simulations, parameterKeys);
        float[] truths = layout.Flatten(simulations);
        var estimates = approximator.Estimate(observed);
        var rules = new List<PointRuleValues>();
        foreach (var rule in approximator.Rules)
        {
            var values = estimates[rule.Name].Values;
            foreach (string key in parameterKeys)
                if (!values.Contains(key))
                    throw new ArgumentException($"Point: the estimates of rule '{rule.Name}' have no key " +
                        $"'{key}'; they have [{string.Join(", ", values.Keys)}].", nameof(parameterKeys));
            // A quantile rule's keys are (N, Q, ...): gathered like draws, (N, Q, D); a point rule's (N, ...): (N, D).
            float[] flat = rule is QuantileScore
                ? layout.Draws(values).Values.ToArray()
                : layout.Flatten(values);
            rules.Add(new PointRuleValues(rule.Name, flat, (rule as QuantileScore)?.Levels));
        }
        if (parameterNames is null && parameterKeys.Count == 1 && simulator is Tasks.BenchmarkTask task
            && task.ParameterKey == parameterKeys[0] && task.ParameterDim == layout.Dimension)
            parameterNames = task.ParameterNames;
        return PointDiagnosticsReport.Compute(rules, truths, layout.Dimension, parameterNames ?? layout.Names);
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
        var (observed, simulations) = Simulate(simulator, [approximator.Options.ModelIndicesKey], numDatasets, seed,
            nameof(ModelComparison));
        float[] targets = simulations.Get(approximator.Options.ModelIndicesKey);
        if (targets.Length != numDatasets * approximator.ModelCount)
            throw new ArgumentException($"ModelComparison: the model indicator '{approximator.Options.ModelIndicesKey}'" +
                $" has {targets.Length / numDatasets} columns; the approximator compares K = " +
                $"{approximator.ModelCount} models.", nameof(simulator));
        var probabilities = approximator.PredictProbabilities(observed);
        var names = new string[approximator.ModelCount];
        for (int k = 0; k < names.Length; k++) names[k] = approximator.ModelName(k);
        return ModelComparisonReport.Compute(probabilities, targets, names, numBins);
    }

    /// <summary>Held-out simulations with <paramref name="keys"/> removed, and the whole batch (for the truths).</summary>
    private static (SimulationBatch Observed, SimulationBatch Simulations) Simulate(ISimulator simulator,
        IReadOnlyList<string> keys, int numDatasets, ulong seed, string method)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        if (numDatasets < 2) throw new ArgumentOutOfRangeException(nameof(numDatasets), numDatasets,
            $"{method}: expected at least 2 data sets.");
        // The same held-out batch index as HeldOutDiagnostics: training never reaches it.
        var simulations =
            simulator.Sample(numDatasets, seed, new SampleOptions { BatchIndex = StreamRegistry.HeldOutBatch.First });
        // The approximator sees the data only, so nothing of the truth can leak into its conditions.
        var observed = simulations.Clone();
        foreach (string key in keys)
        {
            ArgumentException.ThrowIfNullOrEmpty(key);
            if (!simulations.Contains(key))
                throw new ArgumentException($"{method}: the simulator's batch has no key '{key}'; it has " +
                    $"[{string.Join(", ", simulations.Keys)}].", nameof(keys));
            observed.Remove(key);
        }
        return (observed, simulations);
    }
}
