using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Amortized.Inference.Diagnostics;
using Amortized.Inference.FileFormats;

namespace Amortized.Plots;

/// <summary>
/// What a posterior report shows: the diagnostics of held-out data sets, and optionally the loss history, draws of
/// the first data set with prior draws for the pairs plot, the misspecification test, facts about the run and notes.
/// Shapes: D parameters (<see cref="Diagnostics"/>.Parameters), S draws, P prior draws.
/// </summary>
public sealed record PosteriorReportContent
{
    /// <summary>The page title.</summary>
    public required string Title { get; init; }

    /// <summary>The checks on N held-out data sets (<see cref="DiagnosticsReport.Compute"/>).</summary>
    public required DiagnosticsReport Diagnostics { get; init; }

    /// <summary>
    /// Posterior draws (S, D) of the first held-out data set, for the pairs plot; none, no pairs plot.
    /// </summary>
    public float[]? FirstDatasetDraws { get; init; }

    /// <summary>
    /// Prior draws (P, D) drawn in grey under the pairs plot; none, the plot shows the posterior alone.
    /// </summary>
    public float[]? PriorDraws { get; init; }

    /// <summary>Training loss per epoch; none, no loss figure.</summary>
    public IReadOnlyList<double>? TrainLoss { get; init; }

    /// <summary>Validation loss per epoch (null where an epoch had none), beside <see cref="TrainLoss"/>.</summary>
    public IReadOnlyList<double?>? ValidationLoss { get; init; }

    /// <summary>The misspecification test of held-out simulations against the model's reference, if one ran.</summary>
    public MmdTestResult? Misspecification { get; init; }

    /// <summary>Rows of the "Run" table (what was trained, how, where).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Run { get; init; } = [];

    /// <summary>Fields written at the top of <c>metrics.json</c> beside the diagnostics (task, method).</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Metadata { get; init; } = [];

    /// <summary>Paragraphs shown after the run table (caveats about the data checked).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>What the page advises when fewer than 100 data sets were checked.</summary>
    public string FewDatasetsAdvice { get; init; } = "check 300 or more";

    /// <summary>The network tree as text, shown last; none, not shown.</summary>
    public string? Architecture { get; init; }
}

/// <summary>
/// Writes a posterior report into a folder: <c>figures/</c> (PNG and SVG: loss, calibration ECDF, rank histograms,
/// recovery, z-score against contraction, pairs, MMD null), <c>metrics.json</c> and one self-contained
/// <c>report.html</c>, each file atomically. The command line's <c>fit</c> and <c>diagnose</c> use it; so can any
/// program that computed a <see cref="DiagnosticsReport"/>.
/// </summary>
public static class PosteriorReport
{
    /// <summary>The report's file name inside the folder.</summary>
    public const string HtmlFile = "report.html";

    /// <summary>The metrics file's name inside the folder.</summary>
    public const string MetricsFile = "metrics.json";

    /// <summary>The figures' folder name inside the folder.</summary>
    public const string FiguresFolder = "figures";

    /// <summary>
    /// Writes the report of <paramref name="content"/> into <paramref name="folder"/> (created if needed).
    /// </summary>
    /// <returns>The path of <c>report.html</c>.</returns>
    public static string Write(string folder, PosteriorReportContent content)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(content);
        var report = content.Diagnostics;
        var collected = new ReportFigures(folder);
        var figures = collected.All;
        void Figure(string file, string caption, Func<ScottPlot.Plot> draw) => collected.Add(file, caption, draw);

        int n = report.Datasets, s = report.Draws, d = report.Parameters;
        var names = report.Names;
        collected.Loss(content.TrainLoss, content.ValidationLoss,
            "Training and validation loss (negative log density) per epoch.");
        Figure("calibration_ecdf", $"Rank ECDF minus the uniform CDF per parameter, with the simultaneous " +
            $"{Percent(report.Band.Confidence)} band: inside the band is consistent with calibration.",
            // Mid-ranks (r + 0.5) / (S + 1), the values the band verdict tests, so figure and table
            // agree at z = 0 and 1.
            () => Figures.CalibrationEcdf(SimulationBasedCalibration.MidRanks(report.Ranks, s), n, names, report.Band.Z,
                report.Band.LowerDifference, report.Band.UpperDifference, report.Band.Confidence));
        Figure("rank_histograms", "SBC rank histograms with the pointwise 99% binomial band of a calibrated posterior.",
            () => Figures.RankHistograms(report.Ranks, n, s, names));
        Figure("recovery",
            "Posterior median (bars: median absolute deviation) against the true value; r is the correlation.",
            () => Figures.Recovery([.. report.Truths.Select(t => (double)t)], report.Recovery.Medians,
                report.Recovery.Mads, n, names, report.Recovery.Correlation));
        Figure("z_score_contraction",
            "Posterior z-score against contraction: good posteriors sit at high contraction with |z| below about 3.",
            () => Figures.ZScoreContraction(report.ZScores, report.Contraction, n, names));
        if (content.FirstDatasetDraws is { } first)
        {
            float[] prior = content.PriorDraws ?? [];
            int numPrior = Math.Min(prior.Length / d, 2000);
            Figure("pairs",
                "Posterior draws for the first held-out data set (blue), prior draws (grey) and the true value (red).",
                () => Figures.Pairs(first, first.Length / d, names, prior.AsSpan(0, numPrior * d).ToArray(), numPrior,
                    report.Truths.AsSpan(0, d).ToArray()));
        }
        if (content.Misspecification is { } mmd)
            Figure("mmd_null", "Squared MMD in summary space between held-out simulations and the model's reference, " +
                "against its bootstrap null distribution.",
                () => Figures.MmdNull(mmd.NullDistribution, mmd.Mmd, mmd.PValue));

        WriteMetrics(Path.Combine(folder, MetricsFile), content);
        string html = Path.Combine(folder, HtmlFile);
        WriteHtml(html, content, figures);
        return html;
    }

    private static string Percent(double fraction) =>
        (fraction * 100).ToString("G3", CultureInfo.InvariantCulture) + "%";

    private static void WriteMetrics(string path, PosteriorReportContent content)
    {
        var root = new JsonObject();
        foreach (var (key, value) in content.Metadata) root[key] = value;
        root["calibrated"] = content.Diagnostics.Calibrated;
        root["diagnostics"] = JsonNode.Parse(content.Diagnostics.ToJson());
        if (content.Misspecification is { } mmd)
            root["misspecification"] = new JsonObject
            {
                ["mmd_squared"] = mmd.Mmd,
                ["p_value"] = mmd.PValue,
                ["observed_datasets"] = mmd.ObservedCount,
                ["reference_datasets"] = mmd.ReferenceCount,
            };
        AtomicFile.WriteAllText(path, root.ToJsonString(
            new JsonSerializerOptions { WriteIndented = true, TypeInfoResolver = JsonTypeInfoResolver.Combine() }));
    }

    private static void WriteHtml(string path, PosteriorReportContent content,
        IReadOnlyList<(string Caption, byte[] Png)> figures)
    {
        var report = content.Diagnostics;
        int datasets = report.Datasets;
        var html = new HtmlReport(content.Title);
        if (datasets < 100)
            html.AddParagraph($"Only {datasets} held-out data sets were checked: with so few, these checks can miss " +
                $"a miscalibrated posterior ({content.FewDatasetsAdvice}).");
        html.AddParagraph(report.Calibrated
            ? $"Verdict: the posterior is calibrated on {datasets} held-out data sets (every parameter's rank " +
                $"ECDF stays inside its simultaneous {Percent(report.Band.Confidence)} band, and every calibration " +
                "error is below its threshold)."
            : $"Verdict: the posterior is NOT calibrated on {datasets} held-out data sets; see the failing checks " +
                "below before trusting its draws.");
        var outside = report.FailedOutsideVerdict;
        if (report.Calibrated && outside.Count > 0)
        {
            // The headline rests on the band and the calibration error; say so where other checks disagree.
            html.AddParagraph($"{outside.Count} supporting check{(outside.Count == 1 ? "" : "s")} outside the " +
                $"verdict failed: {string.Join(", ", outside.Select(r => $"{r.Metric} ({r.Parameter})"))}. They are " +
                "marked in the table below; read them before trusting the draws for those parameters.");
        }
        if (content.Run.Count > 0) html.AddKeyValues("Run", content.Run);
        foreach (string note in content.Notes) html.AddParagraph(note);
        html.AddMetricsTable("Metrics", report.Rows.Select(r =>
            (r.Metric, r.Parameter, r.Value.ToString("G4", CultureInfo.InvariantCulture),
                r.Criterion, r.Passed, r.Verdict, DiagnosticsReport.InVerdict(r.Metric))));
        if (content.Misspecification is { } mmd)
            html.AddParagraph($"Misspecification check (MMD in summary space, held-out simulations vs the stored " +
                $"reference): squared MMD {mmd.Mmd:G4}, p = {mmd.PValue:G3} ({(mmd.PValue < 0.05
                    ? "flagged: the held-out simulations look unlike the reference"
                    : "no evidence of misspecification, as expected for simulated data")}). " +
                "The same check runs on every 'amortized sample' call and warns when p < 0.05.");
        foreach (var (caption, png) in figures) html.AddFigure(caption, png);
        if (content.Architecture is { } architecture) html.AddCollapsible("Architecture", architecture);
        html.Save(path);
    }
}
