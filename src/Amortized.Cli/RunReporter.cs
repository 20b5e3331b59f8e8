using System.Diagnostics;
using System.Globalization;
using Amortized.Inference;
using Amortized.Inference.Approximators;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Diagnostics;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Plots;

namespace Amortized.Cli;

/// <summary>
/// Diagnostics of a run folder: simulation-based calibration and recovery on held-out data sets (fresh simulations
/// for a task, the held-out split for a run on data), the misspecification check of held-out simulations against
/// the model's reference, figures (PNG and SVG), <c>metrics.json</c> and one self-contained <c>report.html</c>.
/// </summary>
internal static partial class RunReporter
{
    /// <summary>
    /// Likelihood models are sampled by MCMC per data set, so their calibration check uses fewer data sets.
    /// </summary>
    public const int MaxLikelihoodDatasets = 40, MaxLikelihoodSamples = 500;

    /// <summary>
    /// Checks the run's model on held-out data sets and writes figures, metrics.json and report.html into
    /// <paramref name="outDir"/> (the run folder when null); returns the report's path.
    /// </summary>
    public static string Produce(CliContext ctx, RunFolder folder, RunInfo run, ContinuousApproximator approximator,
        int datasets, int samples, ulong seed, string? outDir = null, bool varianceContraction = false)
    {
        var clock = Stopwatch.StartNew();
        if (run.MethodKind == FitMethod.Likelihood)
        {
            datasets = Math.Min(datasets, MaxLikelihoodDatasets);
            samples = Math.Min(samples, MaxLikelihoodSamples);
        }
        var (heldOut, truths, priorDraws) = HeldOut(folder, run, datasets, seed);
        int b = heldOut.BatchSize, d = run.ParameterNames.Length;
        ctx.Log($"diagnostics: {b} held-out data sets x {samples} posterior " +
            $"draws{(run.MethodKind == FitMethod.Likelihood ? " (MCMC on the learned likelihood)" : "")}");
        float[] draws =
            PosteriorDrawing.Draw(run, approximator, heldOut, samples, seed ^ StreamRegistry.ReportDrawsSalt);
        var priorSd = PosteriorMetrics.PriorSd(priorDraws, d);
        var report = DiagnosticsReport.Compute(
            new PosteriorDraws(draws, b, samples, d, run.ParameterNames), truths, priorSd,
            new DiagnosticsOptions { Seed = seed, ContractionVarianceRatio = varianceContraction });

        MmdTestResult? mmd = null;
        // For a run on data files the reference is the held-out split itself, so testing it again says nothing.
        if (approximator.MisspecificationReference is { } reference
            && run.MethodKind == FitMethod.Posterior && run.Task is not null)
        {
            // Held-out simulations are in distribution by construction: the check should pass on them.
            int count = Math.Min(b, Math.Max(1, reference.Count / 4));
            mmd = approximator.TestMisspecification(heldOut.Slice(0, count), bootstrap: 500, seed: seed);
        }

        var history = File.Exists(folder.History) ? Csv.ReadTable(folder.History) : null;
        bool hasHistory = history is { RowCount: > 0 };
        string subject = run.Task ?? Path.GetFileName(run.DataSource ?? "data");
        string reportPath = PosteriorReport.Write(outDir ?? folder.Path, new PosteriorReportContent
        {
            Title = $"amortized: {subject} ({run.Method})",
            Diagnostics = report,
            FirstDatasetDraws = draws.AsSpan(0, samples * d).ToArray(),
            PriorDraws = priorDraws,
            TrainLoss = hasHistory ? [.. history!.Values("train_loss").Select(v => (double)v)] : null,
            ValidationLoss = hasHistory
                ? [.. history!.Values("validation_loss").Select(v => float.IsFinite(v) ? (double?)v : null)] : null,
            Misspecification = mmd,
            Run = RunTable(run, subject, b, samples, clock.Elapsed),
            Metadata = [new("task", run.Task), new("method", run.Method)],
            Notes = run.DataSource is { } source && Directory.Exists(source)
                ? ["Note: this model streamed a sharded folder from disk, so the data sets checked here (a tenth of " +
                    "shard 0) were also seen in training; the metrics are optimistic."]
                : [],
            FewDatasetsAdvice = "run 'amortized diagnose' with --datasets 300 or more",
            Architecture = run.Architecture,
        });
        ctx.Log($"diagnostics: {(report.Calibrated ? "calibrated" : "NOT calibrated")} " +
            $"({report.Rows.Count(r => r.Passed)}/{report.Rows.Count} checks passed) in " +
            $"{clock.Elapsed.TotalSeconds:F1} s" +
            (b < 100 ? $"; only {b} data sets, so the checks have little power" : ""));
        return reportPath;
    }

    /// <summary>Data sets (parameters removed), their true parameters (B, D) and prior draws (P, D).</summary>
    private static (SimulationBatch Data, float[] Truths, float[] Prior) HeldOut(RunFolder folder,
        RunInfo run, int datasets, ulong seed)
    {
        SimulationBatch all;
        float[]? prior = null;   // for a run on data the held-out truths stand in for prior draws
        if (run.Task is not null)
        {
            var task = TaskNames.Create(run.Task);
            // A batch index no training batch uses, so these simulations are fresh.
            all = task.Sample(datasets, seed, new SampleOptions { BatchIndex = StreamRegistry.HeldOutBatch.First });
            prior = task.SamplePrior(4000, seed ^ StreamRegistry.ReportPriorSalt).Get(task.ParameterKey);
        }
        else
        {
            if (!File.Exists(folder.HeldOut))
                throw new UsageException($"run folder '{folder.Path}' has no heldout.npz to diagnose on.");
            all = Npy.ReadBatch(folder.HeldOut);
            if (all.BatchSize > datasets) all = all.Slice(0, datasets);
        }
        float[] truths = run.FlattenParameters(all.Get, all.BatchSize);
        prior ??= truths;
        var data = new SimulationBatch(all.BatchSize);
        foreach (var input in run.Inputs) data.Set(input.Name, all.Get(input.Name), all.Shape(input.Name).ToArray());
        return (data, truths, prior);
    }

    /// <summary>The rows of the run table every method shares: how and where it was trained.</summary>
    private static KeyValuePair<string, string>[] TrainingRows(RunInfo run) =>
    [
        new("training", run.Simulations is int n ? $"offline on {n:N0} simulations"
            : $"online, {run.Epochs} epochs x {run.BatchesPerEpoch} batches"),
        new("batch size", run.BatchSize.ToString(CultureInfo.InvariantCulture)),
        new("seed", run.Seed.ToString(CultureInfo.InvariantCulture)),
        new("trainable parameters", run.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)),
        new("optimizer steps", run.Steps.ToString("N0", CultureInfo.InvariantCulture)),
        new("training time", $"{run.TrainingSeconds:F1} s ({run.StopReason})"),
        new("threads", run.Threads.ToString(CultureInfo.InvariantCulture)),
        new("machine", run.Machine),
        new("finished", run.Created),
    ];

    private static KeyValuePair<string, string>[] RunTable(RunInfo run, string subject, int datasets,
        int samples, TimeSpan diagnosticsTime) =>
    [
        new("task / data", subject),
        new("method", run.MethodKind == FitMethod.Likelihood
            ? "likelihood (NLE; posterior by MCMC)" : "posterior (NPE)"),
        new("inference network", run.InferenceNetwork),
        new("summary network", run.SummaryNetwork),
        new("parameters", string.Join(", ", run.ParameterNames)),
        .. TrainingRows(run),
        new("diagnostics", $"{datasets} held-out data sets x {samples} draws, {diagnosticsTime.TotalSeconds:F1} s"),
    ];
}
