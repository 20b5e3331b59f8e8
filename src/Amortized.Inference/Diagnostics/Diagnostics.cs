using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Simulators.Benchmarks;

namespace Amortized.Inference.Diagnostics;

/// <summary>
/// The whole posterior check in one call: SBC ranks with the simultaneous ECDF band and log gamma, coverage and
/// calibration error, TARP, z-scores, contraction, recovery and NRMSE, plus a verdict per metric and parameter.
/// Shapes: draws (N, S, D), truths (N, D), priorSd (D).
/// </summary>
public static class Diagnostics
{
    /// <summary>The simulator batch index <see cref="Run"/> draws its held-out data sets from.</summary>
    public const ulong HeldOutBatchIndex = ulong.MaxValue - 7;

    /// <summary>Computes every metric on given draws and truths.</summary>
    /// <param name="draws">Posterior draws (N, S, D), N &gt;= 2.</param>
    /// <param name="truths">The parameters that generated each data set (N, D).</param>
    /// <param name="priorSd">Prior standard deviation per parameter (D), for contraction and the NRMSE rule.</param>
    /// <param name="options">Levels, thresholds and the seed.</param>
    public static DiagnosticsReport Compute(PosteriorDraws draws, ReadOnlySpan<float> truths, ReadOnlySpan<double> priorSd,
        DiagnosticsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(draws);
        options ??= new DiagnosticsOptions();
        draws.CheckTruths(truths, nameof(Compute));
        PosteriorMetrics.CheckPriorSd(priorSd, draws.Parameters, nameof(Compute));
        if (draws.Datasets < 2) throw new ArgumentException($"Compute: the draws hold N = {draws.Datasets} data set; calibration needs at least 2.", nameof(draws));
        SimulationBasedCalibration.CheckLevel(options.Confidence, nameof(options), nameof(Compute));

        int n = draws.Datasets, p = draws.Parameters;
        ulong seed = options.Seed;
        int[] ranks = SimulationBasedCalibration.Ranks(draws, truths);
        var fractional = new double[ranks.Length];
        for (int i = 0; i < ranks.Length; i++) fractional[i] = (double)ranks[i] / draws.Draws;
        double[] midRanks = SimulationBasedCalibration.MidRanks(ranks, draws.Draws);
        EcdfBand band = SimulationBasedCalibration.SimultaneousBand(n, options.Confidence, options.BandPoints, options.Simulations, seed);
        CoverageResult coverage = PosteriorMetrics.ExpectedCoverage(draws, truths, options.CalibrationLevels);
        double[] contraction = PosteriorMetrics.Contraction(draws, priorSd, options.ContractionVarianceRatio);
        var medianContraction = new double[p];
        var column = new double[n];
        for (int d = 0; d < p; d++)
        {
            for (int i = 0; i < n; i++) column[i] = contraction[i * p + d];
            medianContraction[d] = SampleStatistics.MedianInPlace(column);
        }

        var report = new DiagnosticsReport(draws, truths.ToArray(), priorSd.ToArray(), options)
        {
            Ranks = ranks,
            FractionalRanks = fractional,
            Band = band,
            Ecdf = SimulationBasedCalibration.Ecdf(midRanks, p, band.Z),
            WithinBand = SimulationBasedCalibration.WithinBand(midRanks, p, band),
            MaxEcdfDeviation = SimulationBasedCalibration.MaxEcdfDeviation(midRanks, p, band.Z),
            // Band, log-gamma null and TARP references use seeds seed, seed + 1, seed + 2: three independent streams.
            LogGamma = SimulationBasedCalibration.CalibrationLogGamma(ranks, p, draws.Draws, options.Simulations, options.LogGammaQuantile, seed + 1),
            Coverage = coverage,
            CalibrationError = PosteriorMetrics.CalibrationError(coverage),
            ZScores = PosteriorMetrics.ZScores(draws, truths),
            Contraction = contraction,
            MedianContraction = medianContraction,
            Recovery = PosteriorMetrics.Recovery(draws, truths),
            Nrmse = PosteriorMetrics.NormalizedRmse(draws, truths),
            Tarp = PosteriorMetrics.Tarp(draws, truths, resolution: options.TarpResolution, seed: seed + 2),
        };
        // The verdicts read the finished numbers, so they are attached last.
        report.Rows = DiagnosticsVerdicts.Rows(report);
        return report;
    }

    /// <summary>
    /// Simulates <paramref name="numDatasets"/> held-out data sets (seed <paramref name="seed"/>), draws
    /// <paramref name="numSamples"/> posterior samples of <paramref name="parameterKey"/> for each (seed + 1), and
    /// computes the report. The prior sd comes from 10^4 fresh prior draws when the simulator is a
    /// <see cref="BenchmarkTask"/> (seed + 2), else from the simulated truths.
    /// </summary>
    /// <param name="approximator">A trained approximator whose adapter maps <paramref name="parameterKey"/>.</param>
    /// <param name="simulator">The simulator it was trained on.</param>
    /// <param name="parameterKey">Batch key of the parameters, shape (N, D...) in the simulations.</param>
    /// <param name="numDatasets">N.</param>
    /// <param name="numSamples">S.</param>
    /// <param name="seed">Seed of the simulations; sampling and prior draws use seed + 1 and seed + 2.</param>
    /// <param name="options">Diagnostics options.</param>
    /// <param name="parameterNames">D names; default the task's names for a benchmark task, else theta[i].</param>
    public static DiagnosticsReport Run(ContinuousApproximator approximator, ISimulator simulator, string parameterKey,
        int numDatasets = 300, int numSamples = 1000, ulong seed = 0, DiagnosticsOptions? options = null,
        IReadOnlyList<string>? parameterNames = null)
    {
        ArgumentNullException.ThrowIfNull(approximator);
        ArgumentNullException.ThrowIfNull(simulator);
        ArgumentException.ThrowIfNullOrEmpty(parameterKey);
        if (numDatasets < 2) throw new ArgumentOutOfRangeException(nameof(numDatasets), numDatasets, "Run: expected at least 2 data sets.");
        if (numSamples < 2) throw new ArgumentOutOfRangeException(nameof(numSamples), numSamples, "Run: expected at least 2 samples per data set.");

        // A batch index training never reaches (Trainer simulates batches 0, 1, ... with its own seed), so these data
        // sets are fresh even when the seeds coincide.
        SimulationBatch simulations = simulator.Sample(numDatasets, seed, new SampleOptions { BatchIndex = HeldOutBatchIndex });
        if (!simulations.Contains(parameterKey))
            throw new ArgumentException($"Run: the simulator's batch has no key '{parameterKey}'; it has [{string.Join(", ", simulations.Keys)}].", nameof(parameterKey));
        float[] truths = simulations.Get(parameterKey);
        // The approximator sees the data only: the truths are removed so nothing can leak into the conditions.
        SimulationBatch observed = simulations.Clone();
        observed.Remove(parameterKey);
        SimulationBatch sampled = approximator.Sample(observed, numSamples, seed + 1);
        if (!sampled.Contains(parameterKey))
            throw new ArgumentException($"Run: the approximator's samples have no key '{parameterKey}'; they have [{string.Join(", ", sampled.Keys)}].", nameof(parameterKey));

        int d = truths.Length / numDatasets;
        if (parameterNames is null && simulator is BenchmarkTask task && task.ParameterKey == parameterKey && task.ParameterDim == d)
            parameterNames = task.ParameterNames;
        var draws = PosteriorDraws.FromBatch(sampled, parameterKey, parameterNames);
        if (draws.Parameters != d || draws.Datasets != numDatasets)
            throw new InvalidOperationException(
                $"Run: draws of '{parameterKey}' are ({draws.Datasets}, {draws.Draws}, {draws.Parameters}) but the truths are ({numDatasets}, {d}).");

        double[] priorSd = simulator is BenchmarkTask benchmark && benchmark.ParameterKey == parameterKey
            ? PosteriorMetrics.PriorSd(benchmark.SamplePrior(10_000, seed + 2).Get(parameterKey), d)
            : PosteriorMetrics.PriorSd(truths, d);
        return Compute(draws, truths, priorSd, options);
    }
}
