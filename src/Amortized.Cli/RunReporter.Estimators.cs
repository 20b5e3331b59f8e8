using System.Diagnostics;
using System.Globalization;
using Amortized.Inference.Approximators;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Workflows;
using Amortized.Plots;

namespace Amortized.Cli;

// Reports of point and model-comparison runs: their own checks on fresh simulations, their own figures.
internal static partial class RunReporter
{
    /// <summary>
    /// Checks a point run (recovery, quantile coverage) or a model-comparison run (calibration, confusion, accuracy)
    /// on <paramref name="datasets"/> fresh simulations and writes figures, metrics.json and report.html into
    /// <paramref name="outDir"/> (the run folder when null); returns the report's path.
    /// </summary>
    public static string ProduceEstimator(CliContext ctx, RunFolder folder, RunInfo run, Approximator approximator,
        int datasets, ulong seed, string? outDir = null)
    {
        var clock = Stopwatch.StartNew();
        var history = File.Exists(folder.History) ? Csv.ReadTable(folder.History) : null;
        bool hasHistory = history is { RowCount: > 0 };
        string subject = run.Task ?? string.Join(" vs ", run.Models ?? []);
        EstimatorReportContext Context(int checkedDatasets) => new()
        {
            Title = $"amortized: {subject} ({run.Method})",
            TrainLoss = hasHistory ? [.. history!.Values("train_loss").Select(v => (double)v)] : null,
            ValidationLoss = hasHistory
                ? [.. history!.Values("validation_loss").Select(v => float.IsFinite(v) ? (double?)v : null)] : null,
            Run = EstimatorRunTable(run, subject, checkedDatasets, clock.Elapsed),
            Metadata = run.Models is { } models
                ? [new("models", string.Join(",", models)), new("method", run.Method)]
                : [new("task", run.Task), new("method", run.Method)],
            Architecture = run.Architecture,
        };
        switch (approximator)
        {
            case PointApproximator point:
            {
                var task = TaskNames.Create(run.Task ?? throw new InvalidDataException(
                    $"run file '{folder.Run}': a point run names its task; task is missing."));
                ctx.Log($"diagnostics: point estimates of {datasets} held-out data sets");
                var report = HeldOutEstimates.Point(point, task, task.ParameterKey, datasets, seed, run.ParameterNames);
                string path = EstimatorReports.WritePoint(outDir ?? folder.Path, report, Context(report.Datasets));
                var mean = report.Recovery[0];
                ctx.Log($"diagnostics: {mean.Estimate} R^2 {Format(mean.RSquared.Average())} (average over " +
                    $"{report.Parameters} parameters)" + (report.Coverage.Count > 0
                        ? $", widest interval covers {Format(Enumerable.Range(0, report.Parameters).Average(d => report.Coverage[0].At(0, d)))} " +
                          $"(nominal {Format(report.Coverage[0].Nominal[0])})" : "") +
                    $" in {clock.Elapsed.TotalSeconds:F1} s");
                return path;
            }
            case ModelComparisonApproximator classifier:
            {
                var (tasks, _) = ModelChoices.Parse(run.Models ?? [], run.Seed);
                ctx.Log($"diagnostics: model probabilities of {datasets} held-out data sets");
                var report = HeldOutEstimates.ModelComparison(classifier, ModelChoices.Simulator(tasks), datasets, seed);
                string path = EstimatorReports.WriteModelComparison(outDir ?? folder.Path, report,
                    Context(report.Datasets));
                ctx.Log($"diagnostics: accuracy {Format(report.Accuracy)}, expected calibration error " +
                    $"{string.Join(" / ", report.Calibration.Select(c => Format(c.ExpectedCalibrationError)))} in " +
                    $"{clock.Elapsed.TotalSeconds:F1} s");
                return path;
            }
            default:
                throw new ArgumentException($"ProduceEstimator: a {approximator.GetType().Name} is not an estimator.",
                    nameof(approximator));
        }
    }

    private static string Format(double value) => value.ToString("F3", CultureInfo.InvariantCulture);

    private static KeyValuePair<string, string>[] EstimatorRunTable(RunInfo run, string subject, int datasets,
        TimeSpan diagnosticsTime) =>
    [
        new(run.Models is null ? "task" : "models", subject),
        new("method", run.MethodKind == FitMethod.Point
            ? $"point estimates ({string.Join(", ", run.ScoringRules ?? [])}; quantile levels " +
                $"{string.Join(", ", (run.QuantileLevels ?? []).Select(l => l.ToString(CultureInfo.InvariantCulture)))})"
            : "model comparison (posterior model probabilities, equal prior probabilities)"),
        new("summary network", run.SummaryNetwork),
        .. TrainingRows(run),
        new("diagnostics", $"{datasets} held-out data sets, {diagnosticsTime.TotalSeconds:F1} s"),
    ];
}
