using System.Text.Json;

namespace Amortized.Inference.Diagnostics;

/// <summary>
/// Everything the diagnostic figures and tables need, computed once by <see cref="Compute"/>. Shapes
/// use N data sets, S draws, D parameters and K band points; arrays are row-major.
/// </summary>
public sealed class DiagnosticsReport
{
    /// <summary>
    /// The whole posterior check in one call: SBC ranks with the simultaneous ECDF band and log gamma, coverage and
    /// calibration error, TARP, z-scores, contraction, recovery and NRMSE, plus a verdict per metric and parameter.
    /// Shapes: draws (N, S, D), truths (N, D), priorSd (D).
    /// </summary>
    /// <param name="draws">Posterior draws (N, S, D), N &gt;= 2.</param>
    /// <param name="truths">The parameters that generated each data set (N, D).</param>
    /// <param name="priorSd">Prior standard deviation per parameter (D), for contraction and the NRMSE rule.</param>
    /// <param name="options">Levels, thresholds and the seed.</param>
    public static DiagnosticsReport Compute(PosteriorDraws draws,
        ReadOnlySpan<float> truths, ReadOnlySpan<double> priorSd,
        DiagnosticsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(draws);
        options ??= new DiagnosticsOptions();
        draws.CheckTruths(truths, nameof(Compute));
        PosteriorMetrics.CheckPriorSd(priorSd, draws.Parameters, nameof(Compute));
        if (draws.Datasets < 2) throw new ArgumentException(
            $"Compute: the draws hold N = {draws.Datasets} data set; calibration needs at least 2.", nameof(draws));
        SimulationBasedCalibration.CheckLevel(options.Confidence, nameof(options), nameof(Compute));

        int n = draws.Datasets, p = draws.Parameters;
        ulong seed = options.Seed;
        int[] ranks = SimulationBasedCalibration.Ranks(draws, truths);
        var fractional = new double[ranks.Length];
        for (int i = 0; i < ranks.Length; i++) fractional[i] = (double)ranks[i] / draws.Draws;
        double[] midRanks = SimulationBasedCalibration.MidRanks(ranks, draws.Draws);
        EcdfBand band = SimulationBasedCalibration.SimultaneousBand(n, options.Confidence,
            options.BandPoints, options.Simulations, seed);
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
            LogGamma = SimulationBasedCalibration.CalibrationLogGamma(ranks, p, draws.Draws, options.Simulations,
                options.LogGammaQuantile, seed + 1),
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

    internal DiagnosticsReport(PosteriorDraws draws, float[] truths, double[] priorSd, DiagnosticsOptions options)
    {
        Names = draws.Names;
        Datasets = draws.Datasets;
        Draws = draws.Draws;
        Parameters = draws.Parameters;
        Truths = truths;
        PriorSd = priorSd;
        Options = options;
    }

    /// <summary>Parameter names (D).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>N.</summary>
    public int Datasets { get; }

    /// <summary>S.</summary>
    public int Draws { get; }

    /// <summary>D.</summary>
    public int Parameters { get; }

    /// <summary>The options the report was computed with.</summary>
    public DiagnosticsOptions Options { get; }

    /// <summary>True parameters (N, D).</summary>
    public float[] Truths { get; }

    /// <summary>Prior standard deviations used for contraction (D).</summary>
    public double[] PriorSd { get; }

    /// <summary>SBC ranks #{draws &lt; truth} (N, D), in 0..S.</summary>
    public int[] Ranks { get; internal init; } = [];

    /// <summary>Fractional ranks rank / S (N, D).</summary>
    public double[] FractionalRanks { get; internal init; } = [];

    /// <summary>The simultaneous ECDF band for N ranks.</summary>
    public EcdfBand Band { get; internal init; } = null!;

    /// <summary>
    /// ECDF at <see cref="EcdfBand.Z"/> of each parameter's <see cref="SimulationBasedCalibration.MidRanks"/> (D, K):
    /// the curve to draw inside <see cref="Band"/> (subtract Z for the difference plot).
    /// </summary>
    public double[] Ecdf { get; internal init; } = [];

    /// <summary>Whether each parameter's rank ECDF stays inside the band (D).</summary>
    public bool[] WithinBand { get; internal init; } = [];

    /// <summary>Largest |ECDF(z) - z| of <see cref="Ecdf"/> per parameter (D).</summary>
    public double[] MaxEcdfDeviation { get; internal init; } = [];

    /// <summary>Log gamma per parameter (D); &gt;= 0 is consistent with calibration.</summary>
    public double[] LogGamma { get; internal init; } = [];

    /// <summary>Coverage of central credible intervals (levels L, table (L, D)).</summary>
    public CoverageResult Coverage { get; internal init; } = null!;

    /// <summary>Calibration error per parameter (D).</summary>
    public double[] CalibrationError { get; internal init; } = [];

    /// <summary>Posterior z-scores (N, D).</summary>
    public double[] ZScores { get; internal init; } = [];

    /// <summary>
    /// Posterior contraction (N, D), in the form chosen by <see cref="DiagnosticsOptions.ContractionVarianceRatio"/>.
    /// </summary>
    public double[] Contraction { get; internal init; } = [];

    /// <summary>Median contraction over data sets per parameter (D).</summary>
    public double[] MedianContraction { get; internal init; } = [];

    /// <summary>Posterior medians, MADs and their correlation with the truths.</summary>
    public RecoveryResult Recovery { get; internal init; } = null!;

    /// <summary>Normalized RMSE per parameter (D).</summary>
    public double[] Nrmse { get; internal init; } = [];

    /// <summary>Joint TARP calibration curve.</summary>
    public TarpResult Tarp { get; internal init; } = null!;

    /// <summary>One verdict per metric and parameter, grouped by metric.</summary>
    public IReadOnlyList<MetricRow> Rows { get; internal set; } = [];

    /// <summary>
    /// The headline verdict: every parameter's rank ECDF stays inside its simultaneous band and every calibration
    /// error is below its threshold. Log gamma and TARP keep their own rows but do not enter it: log gamma is a
    /// scalar summary of the same rank ECDF the band tests, and each extra 5% test would add its own false alarms
    /// (four tests on two parameters flag a perfectly calibrated posterior about a quarter of the time).
    /// </summary>
    public bool Calibrated
    {
        get
        {
            foreach (var row in Rows)
                if (InVerdict(row.Metric) && !row.Passed) return false;
            return true;
        }
    }

    /// <summary>
    /// Whether rows of <paramref name="metric"/> decide <see cref="Calibrated"/> (the ECDF band and calibration
    /// error); the other rows support it and are shown beside it.
    /// </summary>
    public static bool InVerdict(string metric) =>
        metric is DiagnosticsVerdicts.EcdfBand or DiagnosticsVerdicts.CalibrationError;

    /// <summary>The failed rows that <see cref="Calibrated"/> does not rest on, in table order.</summary>
    public IReadOnlyList<MetricRow> FailedOutsideVerdict => [.. Rows.Where(r => !r.Passed && !InVerdict(r.Metric))];

    /// <summary>
    /// The metric rows and per-parameter summary numbers as indented snake_case JSON (no per-data-set arrays).
    /// Source-generated serialization, so it is trim- and AOT-safe; NaN is written as the string "NaN".
    /// </summary>
    public string ToJson() => JsonSerializer.Serialize(DiagnosticsJson.Document(this),
        DiagnosticsJsonContext.Default.DiagnosticsJsonDocument);

    /// <inheritdoc/>
    public override string ToString()
    {
        int failed = 0;
        foreach (var row in Rows) if (!row.Passed) failed++;
        return $"DiagnosticsReport(N={Datasets}, S={Draws}, D={Parameters}: {Rows.Count - failed}/{Rows.Count} " +
            $"checks passed, {(Calibrated ? "calibrated" : "not calibrated")})";
    }
}
