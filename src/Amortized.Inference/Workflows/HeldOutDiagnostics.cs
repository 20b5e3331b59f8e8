using Amortized.Inference.Approximators;
using Amortized.Inference.Diagnostics;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.Workflows;

/// <summary>
/// The posterior checks on fresh simulations: simulates held-out data sets, samples the approximator for each, and
/// computes <see cref="DiagnosticsReport.Compute"/> on the draws and the true parameters.
/// </summary>
public static class HeldOutDiagnostics
{
    /// <summary>
    /// Simulates <paramref name="numDatasets"/> held-out data sets (seed <paramref name="seed"/>), draws
    /// <paramref name="numSamples"/> posterior samples of <paramref name="parameterKey"/> for each (seed + 1), and
    /// computes the report. The prior sd comes from 10^4 fresh prior draws when the simulator is a
    /// <see cref="IPrior"/> of that key (seed + 2), else from the simulated truths.
    /// </summary>
    /// <param name="approximator">A trained approximator whose adapter maps <paramref name="parameterKey"/>.</param>
    /// <param name="simulator">The simulator it was trained on.</param>
    /// <param name="parameterKey">Batch key of the parameters, shape (N, D...) in the simulations.</param>
    /// <param name="numDatasets">N.</param>
    /// <param name="numSamples">S.</param>
    /// <param name="seed">Seed of the simulations; sampling and prior draws use seed + 1 and seed + 2.</param>
    /// <param name="options">Diagnostics options.</param>
    /// <param name="parameterNames">D names; default the simulator's names when it has them (a benchmark task),
    /// else theta[i].</param>
    public static DiagnosticsReport Run(ContinuousApproximator approximator, ISimulator simulator, string parameterKey,
        int numDatasets = 300, int numSamples = 1000, ulong seed = 0, DiagnosticsOptions? options = null,
        IReadOnlyList<string>? parameterNames = null)
    {
        ArgumentNullException.ThrowIfNull(approximator);
        ArgumentNullException.ThrowIfNull(simulator);
        ArgumentException.ThrowIfNullOrEmpty(parameterKey);
        if (numDatasets < 2) throw new ArgumentOutOfRangeException(nameof(numDatasets), numDatasets,
            "Run: expected at least 2 data sets.");
        if (numSamples < 2) throw new ArgumentOutOfRangeException(nameof(numSamples), numSamples,
            "Run: expected at least 2 samples per data set.");

        // A batch index training never reaches (Trainer simulates batches 0, 1, ... with its own seed), so these data
        // sets are fresh even when the seeds coincide.
        SimulationBatch simulations =
            simulator.Sample(numDatasets, seed, new SampleOptions { BatchIndex = StreamRegistry.HeldOutBatch.First });
        if (!simulations.Contains(parameterKey))
            throw new ArgumentException($"Run: the simulator's batch has no key '{parameterKey}'; it has " +
                $"[{string.Join(", ", simulations.Keys)}].", nameof(parameterKey));
        float[] truths = simulations.Get(parameterKey);
        // The approximator sees the data only: the truths are removed so nothing can leak into the conditions.
        SimulationBatch observed = simulations.Clone();
        observed.Remove(parameterKey);
        SimulationBatch sampled = approximator.Sample(observed, numSamples, seed + 1);
        if (!sampled.Contains(parameterKey))
            throw new ArgumentException($"Run: the approximator's samples have no key '{parameterKey}'; they have " +
                $"[{string.Join(", ", sampled.Keys)}].", nameof(parameterKey));

        int d = truths.Length / numDatasets;
        if (parameterNames is null && simulator is Tasks.BenchmarkTask task
            && task.ParameterKey == parameterKey && task.ParameterDim == d)
            parameterNames = task.ParameterNames;
        var draws = PosteriorDraws.FromBatch(sampled, parameterKey, parameterNames);
        if (draws.Parameters != d || draws.Datasets != numDatasets)
            throw new InvalidOperationException(
                $"Run: draws of '{parameterKey}' are ({draws.Datasets}, {draws.Draws}, {draws.Parameters}) but the " +
                $"truths are ({numDatasets}, {d}).");

        double[] priorSd = simulator is IPrior prior && prior.ParameterKey == parameterKey
            ? PosteriorMetrics.PriorSd(prior.SamplePrior(10_000, seed + 2).Get(parameterKey), d)
            : PosteriorMetrics.PriorSd(truths, d);
        return DiagnosticsReport.Compute(draws, truths, priorSd, options);
    }
}
