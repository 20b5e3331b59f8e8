using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Amortized.Inference.Diagnostics;
using Amortized.Inference.FileFormats;

namespace Amortized.Plots;

/// <summary>What a report of a point or model-comparison approximator shows besides its diagnostics.</summary>
public sealed record EstimatorReportContext
{
    /// <summary>The page title.</summary>
    public required string Title { get; init; }

    /// <summary>Training loss per epoch; none, no loss figure.</summary>
    public IReadOnlyList<double>? TrainLoss { get; init; }

    /// <summary>Validation loss per epoch (null where an epoch had none), beside <see cref="TrainLoss"/>.</summary>
    public IReadOnlyList<double?>? ValidationLoss { get; init; }

    /// <summary>Rows of the "Run" table (what was trained, how, where).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Run { get; init; } = [];

    /// <summary>Fields written at the top of <c>metrics.json</c> beside the diagnostics (task, method).</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Metadata { get; init; } = [];

    /// <summary>Paragraphs shown after the run table.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The network tree as text, shown last; none, not shown.</summary>
    public string? Architecture { get; init; }
}

/// <summary>
/// Writes the report of a point approximator (recovery of each estimate, coverage of the quantile intervals) or of a
/// model-comparison approximator (calibration curves, confusion matrix, accuracy) into a folder, as
/// <see cref="PosteriorReport"/> does for a posterior: <c>figures/</c> (PNG and SVG), <c>metrics.json</c> and one
/// self-contained <c>report.html</c>, each file atomically.
/// </summary>
public static class EstimatorReports
{
    /// <summary>Writes the report of <paramref name="report"/> into <paramref name="folder"/>.</summary>
    /// <returns>The path of <c>report.html</c>.</returns>
    public static string WritePoint(string folder, PointDiagnosticsReport report, EstimatorReportContext context)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(context);
        var figures = new ReportFigures(folder);
        figures.Loss(context.TrainLoss, context.ValidationLoss, "Training and validation loss (summed scores) per epoch.");
        int n = report.Datasets, d = report.Parameters;
        double[] truths = [.. report.Truths.Select(t => (double)t)];
        foreach (var recovery in report.Recovery)
        {
            string estimate = recovery.Estimate;
            figures.Add($"recovery_{FileName(estimate)}",
                $"Point estimate '{estimate}' against the true value on {n} held-out data sets; r is the correlation.",
                () => Figures.Recovery(truths, recovery.Estimates, new double[recovery.Estimates.Length], n, report.Names,
                    recovery.Correlation, $"Recovery: {estimate}", yLabel: $"estimate ({estimate})",
                    legend: estimate));
        }
        foreach (var coverage in report.Coverage)
            figures.Add($"quantile_coverage_{FileName(coverage.Rule)}",
                $"Fraction of the {n} held-out truths inside each central interval of '{coverage.Rule}' against its " +
                "nominal level (bars: ±1.96 binomial standard errors of a calibrated estimator).",
                () => Figures.QuantileCoverage(coverage.Nominal, coverage.Coverage, n, report.Names,
                    $"Quantile interval coverage: {coverage.Rule}"));

        WriteMetrics(folder, context, report.ToJson());
        var html = new HtmlReport(context.Title);
        html.AddParagraph($"Point estimates checked on {n} held-out data sets of {d} parameter(s): recovery (R², " +
            "the fraction of the truths' variance the estimate explains, and NRMSE) for each estimate, and the " +
            "coverage of each quantile rule's central intervals against their nominal level.");
        if (context.Run.Count > 0) html.AddKeyValues("Run", context.Run);
        foreach (string note in context.Notes) html.AddParagraph(note);
        html.AddTable("Recovery", ["estimate", "parameter", "r", "R²", "NRMSE"],
            report.Recovery.SelectMany(r => Enumerable.Range(0, d).Select(j => (IReadOnlyList<string>)
                [r.Estimate, report.Names[j], G(r.Correlation[j]), G(r.RSquared[j]), G(r.Nrmse[j])])));
        if (report.Coverage.Count > 0)
            html.AddTable("Quantile interval coverage", ["rule", "interval", "nominal", "parameter", "coverage",
                    "within ±1.96 se"],
                report.Coverage.SelectMany(c => Enumerable.Range(0, c.Nominal.Length).SelectMany(l =>
                    Enumerable.Range(0, d).Select(j =>
                    {
                        double se = Math.Sqrt(c.Nominal[l] * (1 - c.Nominal[l]) / n);
                        return (IReadOnlyList<string>)[c.Rule, $"[{G(c.Lower[l])}, {G(c.Upper[l])}]", G(c.Nominal[l]),
                            report.Names[j], G(c.At(l, j)),
                            Math.Abs(c.At(l, j) - c.Nominal[l]) <= 1.96 * se ? "yes" : "no"];
                    }))));
        return figures.Finish(html, context.Architecture);
    }

    /// <summary>Writes the report of <paramref name="report"/> into <paramref name="folder"/>.</summary>
    /// <returns>The path of <c>report.html</c>.</returns>
    public static string WriteModelComparison(string folder, ModelComparisonReport report,
        EstimatorReportContext context)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(context);
        var figures = new ReportFigures(folder);
        figures.Loss(context.TrainLoss, context.ValidationLoss, "Training and validation loss (cross-entropy) per epoch.");
        int n = report.Datasets, k = report.ModelNames.Count;
        var trueModels = new int[n];
        for (int i = 0; i < n; i++)
            for (int m = 1; m < k; m++)
                if (report.Targets[i * k + m] > report.Targets[i * k + trueModels[i]]) trueModels[i] = m;
        int bins = report.Calibration[0].Counts.Length;
        figures.Add("calibration", $"Calibration per model on {n} held-out data sets: mean predicted probability " +
            "against the observed frequency of that model per bin; a calibrated classifier lies on the diagonal.",
            () => Figures.ModelComparisonCalibration([.. report.Probabilities.Select(p => Math.Clamp((double)p, 0, 1))],
                trueModels, n, report.ModelNames, bins));
        figures.Add("confusion_matrix", "Confusion matrix: rows are the true model, columns the most probable one.",
            () => Figures.ConfusionMatrix(report.Confusion, report.ModelNames));

        WriteMetrics(folder, context, report.ToJson());
        var html = new HtmlReport(context.Title);
        html.AddParagraph($"Model probabilities checked on {n} held-out data sets from {k} models: the most probable " +
            $"model is the true one for {(report.Accuracy * 100).ToString("F1", CultureInfo.InvariantCulture)}% of them.");
        if (context.Run.Count > 0) html.AddKeyValues("Run", context.Run);
        foreach (string note in context.Notes) html.AddParagraph(note);
        html.AddTable("Calibration", ["model", "expected calibration error", "data sets"],
            report.Calibration.Select(c => (IReadOnlyList<string>)[report.ModelNames[c.Model],
                G(c.ExpectedCalibrationError), report.Targets.Where((t, i) => i % k == c.Model && t > 0.5f).Count()
                    .ToString(CultureInfo.InvariantCulture)]));
        return figures.Finish(html, context.Architecture);
    }

    private static string G(double value) =>
        double.IsFinite(value) ? value.ToString("G4", CultureInfo.InvariantCulture) : "n/a";

    /// <summary>"quantiles@0.5" -> "quantiles_0_5": a name safe in any file system.</summary>
    private static string FileName(string name) =>
        new([.. name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);

    private static void WriteMetrics(string folder, EstimatorReportContext context, string diagnosticsJson)
    {
        var root = new JsonObject();
        foreach (var (key, value) in context.Metadata) root[key] = value;
        root["diagnostics"] = JsonNode.Parse(diagnosticsJson);
        AtomicFile.WriteAllText(Path.Combine(folder, PosteriorReport.MetricsFile), root.ToJsonString(
            new JsonSerializerOptions { WriteIndented = true, TypeInfoResolver = JsonTypeInfoResolver.Combine() }));
    }
}

/// <summary>
/// The figures of one report: each drawn, saved under <c>figures/</c> as PNG and SVG, and kept with its caption for
/// the HTML page.
/// </summary>
internal sealed class ReportFigures
{
    private readonly string _folder;
    private readonly string _figuresFolder;
    private readonly List<(string Caption, byte[] Png)> _figures = [];

    public ReportFigures(string folder)
    {
        _folder = folder;
        _figuresFolder = Path.Combine(folder, PosteriorReport.FiguresFolder);
        Directory.CreateDirectory(_figuresFolder);
    }

    public IReadOnlyList<(string Caption, byte[] Png)> All => _figures;

    public void Add(string file, string caption, Func<ScottPlot.Plot> draw)
    {
        try
        {
            var plot = draw();
            var (w, h) = Figures.SuggestedSize(plot);
            _figures.Add((caption, FigureFiles.Save(plot, Path.Combine(_figuresFolder, file), w, h)));
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException)
        {
            // A native AOT binary copied without its two Skia libraries fails here with a bare type-initializer error.
            throw new InvalidOperationException(
                "figures need libSkiaSharp.so and libHarfBuzzSharp.so next to the program " +
                "(they come with its publish folder); copy them there, or skip the report.", e);
        }
    }

    /// <summary>The loss figure, when there is a history.</summary>
    public void Loss(IReadOnlyList<double>? train, IReadOnlyList<double?>? validation, string caption)
    {
        if (train is not { Count: > 0 }) return;
        double?[] v = validation is { } given ? [.. given] : new double?[train.Count];
        Add("loss", caption, () => Figures.Loss([.. train], v));
    }

    /// <summary>Adds the figures and the architecture to <paramref name="html"/> and saves it as report.html.
    /// </summary>
    public string Finish(HtmlReport html, string? architecture)
    {
        foreach (var (caption, png) in _figures) html.AddFigure(caption, png);
        if (architecture is not null) html.AddCollapsible("Architecture", architecture);
        string path = Path.Combine(_folder, PosteriorReport.HtmlFile);
        html.Save(path);
        return path;
    }
}
