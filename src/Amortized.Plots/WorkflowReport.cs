using System.Diagnostics;
using System.Globalization;
using Amortized.Inference.Approximators;
using Amortized.Inference.Diagnostics;
using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;

namespace Amortized.Plots;

/// <summary>
/// What <see cref="WorkflowReport.WriteReport"/> checks and shows. Every setting has a default, so
/// <c>workflow.WriteReport("report")</c> alone checks 300 fresh simulations with 1000 draws each.
/// </summary>
public sealed record WorkflowReportOptions
{
    /// <summary>The page title; default "amortized: posterior report".</summary>
    public string? Title { get; init; }

    /// <summary>N, fresh held-out simulations checked (ignored with <see cref="TestData"/> or <see cref="Check"/>).</summary>
    public int Datasets { get; init; } = 300;

    /// <summary>S, posterior draws per data set.</summary>
    public int Samples { get; init; } = 1000;

    /// <summary>Seed of the held-out simulations, the draws and the misspecification test.</summary>
    public ulong Seed { get; init; }

    /// <summary>Band level, thresholds and the other settings of the checks.</summary>
    public DiagnosticsOptions? Diagnostics { get; init; }

    /// <summary>
    /// Data sets with their true parameters to check instead of fresh simulations (every parameter key (N, ...) and
    /// the observed keys); the truths then stand in for prior draws in the pairs plot.
    /// </summary>
    public SimulationBatch? TestData { get; init; }

    /// <summary>A check already computed (<see cref="BasicWorkflow.CheckHeldOut(int, int, ulong, IReadOnlyList{string}?, DiagnosticsOptions?)"/>), reused as is.</summary>
    public HeldOutCheck? Check { get; init; }

    /// <summary>The training history for the loss figure; default the workflow's last fit.</summary>
    public TrainingHistory? History { get; init; }

    /// <summary>Whether to test held-out data against a stored misspecification reference (when the model has one).</summary>
    public bool Misspecification { get; init; } = true;

    /// <summary>Rows added to the "Run" table (what the model is, where it ran).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Run { get; init; } = [];

    /// <summary>Paragraphs shown after the run table.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>
/// A trained <see cref="BasicWorkflow"/>'s report in one call: the command line's HTML report, figures and
/// <c>metrics.json</c> (<see cref="PosteriorReport"/>), from held-out simulations or the caller's test data.
/// </summary>
public static class WorkflowReport
{
    /// <summary>
    /// Checks the workflow's posterior on held-out data (<see cref="WorkflowReportOptions"/>; by default 300 fresh
    /// simulations x 1000 draws) and writes <c>figures/</c>, <c>metrics.json</c> and <c>report.html</c> into
    /// <paramref name="folder"/>, each file atomically. Parameters are named after their keys (<c>beta[0]</c>,
    /// <c>sigma</c>). A point-estimation workflow gets recovery and quantile coverage, a model-comparison workflow
    /// accuracy, confusion and calibration (<see cref="EstimatorReports"/>), on <see cref="WorkflowReportOptions.Datasets"/>
    /// fresh simulations.
    /// </summary>
    /// <returns>The path of <c>report.html</c>.</returns>
    public static string WriteReport(this BasicWorkflow workflow, string folder, WorkflowReportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(workflow);
        return workflow.Kind switch
        {
            // Point estimates and model comparison have their own checks (recovery and quantile coverage;
            // accuracy, confusion and calibration), the same reports `amortized fit --method ...` writes.
            ApproximatorKind.Point => EstimatorReports.WritePoint(folder,
                workflow.ComputePointDiagnostics(options?.Datasets ?? 300, options?.Seed ?? 0),
                EstimatorContext(workflow, options, "amortized: point estimates report")),
            ApproximatorKind.ModelComparison => EstimatorReports.WriteModelComparison(folder,
                workflow.ComputeModelComparisonDiagnostics(options?.Datasets ?? 1000, options?.Seed ?? 0),
                EstimatorContext(workflow, options, "amortized: model comparison report")),
            _ => PosteriorReport.Write(folder, workflow.ReportContent(options)),
        };
    }

    private static EstimatorReportContext EstimatorContext(BasicWorkflow workflow, WorkflowReportOptions? options,
        string title)
    {
        var history = options?.History ?? workflow.History;
        bool hasHistory = history is { Epochs.Count: > 0 };
        return new EstimatorReportContext
        {
            Title = options?.Title ?? title,
            TrainLoss = hasHistory ? [.. history!.Epochs.Select(e => e.TrainLoss)] : null,
            ValidationLoss = hasHistory ? [.. history!.Epochs.Select(e => e.ValidationLoss)] : null,
            Run = options?.Run ?? [],
            Notes = options?.Notes ?? [],
        };
    }

    /// <summary>
    /// The default diagnostics figures only (<see cref="Figures.WriteDefault(string, PosteriorReportContent)"/>) of
    /// the same check as <see cref="WriteReport"/>, written into <paramref name="folder"/>.
    /// </summary>
    public static IReadOnlyList<FigureFile> WriteFigures(this BasicWorkflow workflow, string folder,
        WorkflowReportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        return Figures.WriteDefault(folder, workflow.ReportContent(options));
    }

    /// <summary>
    /// What <see cref="WriteReport"/> shows, without writing it: the held-out check, the loss history, the first
    /// data set's draws (S, D) with prior draws (P, D) for the pairs plot (from the simulator when it is an
    /// <see cref="IPrior"/> of the only parameter key, else the held-out truths, which fresh simulations draw from
    /// the prior), the misspecification test and the run table.
    /// </summary>
    public static PosteriorReportContent ReportContent(this BasicWorkflow workflow, WorkflowReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        options ??= new WorkflowReportOptions();
        ContinuousApproximator approximator = workflow.Approximator
            ?? throw new InvalidOperationException("WriteReport: train or load the workflow's model first.");
        var clock = Stopwatch.StartNew();
        HeldOutCheck check = options.Check
            ?? (options.TestData is { } test
                ? workflow.CheckHeldOut(test, options.Samples, options.Seed, options: options.Diagnostics)
                : workflow.CheckHeldOut(options.Datasets, options.Samples, options.Seed, options: options.Diagnostics));
        var report = check.Report;
        int n = report.Datasets, s = report.Draws, d = report.Parameters;

        MmdTestResult? mmd = null;
        if (options.Misspecification && approximator.MisspecificationReference is { } reference)
        {
            // As the command line does: a quarter of the reference's size, enough for the test's power.
            int count = Math.Min(n, Math.Max(1, reference.Count / 4));
            mmd = approximator.TestMisspecification(check.Data.Slice(0, count), bootstrap: 500, seed: options.Seed);
        }

        var history = options.History ?? workflow.History;
        bool hasHistory = history is { Epochs.Count: > 0 };
        var run = new List<KeyValuePair<string, string>>
        {
            new("parameters", string.Join(", ", report.Names)),
            new("inference network", workflow.Spec.Inference.ToString()),
            new("summary network", workflow.Spec.Summary.ToString()),
            new("trainable parameters", approximator.Store.Count.ToString("N0", CultureInfo.InvariantCulture)),
        };
        if (hasHistory)
            run.Add(new("training", string.Create(CultureInfo.InvariantCulture,
                $"{history!.Epochs.Count} epochs, {history.Steps:N0} steps, {history.Seconds:F1} s ({history.StopReason})")));
        run.Add(new("diagnostics", string.Create(CultureInfo.InvariantCulture,
            $"{n} {(options.Check is null && options.TestData is null ? "held-out simulations" : "data sets")} x " +
            $"{s} draws, {clock.Elapsed.TotalSeconds:F1} s")));
        run.AddRange(options.Run);

        var architecture = new System.Text.StringBuilder();
        if (approximator.SummaryNetwork is { } summary) architecture.AppendLine(summary.ToString());
        architecture.Append(approximator.InferenceNetwork.ToString());

        return new PosteriorReportContent
        {
            Title = options.Title ?? "amortized: posterior report",
            Diagnostics = report,
            FirstDatasetDraws = check.Draws.Values[..(s * d)].ToArray(),
            PriorDraws = check.PriorDraws ?? report.Truths,
            TrainLoss = hasHistory ? [.. history!.Epochs.Select(e => e.TrainLoss)] : null,
            ValidationLoss = hasHistory ? [.. history!.Epochs.Select(e => e.ValidationLoss)] : null,
            Misspecification = mmd,
            Run = run,
            Metadata = [new("method", "posterior"), new("parameter_keys", string.Join(",", check.Layout.Keys))],
            Notes = options.Notes,
            FewDatasetsAdvice = "pass WorkflowReportOptions { Datasets = 300 } or more",
            Architecture = architecture.ToString(),
        };
    }
}
