using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
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
internal static class RunReporter
{
    /// <summary>Likelihood models are sampled by MCMC per data set, so their calibration check uses fewer data sets.</summary>
    public const int MaxLikelihoodDatasets = 40, MaxLikelihoodSamples = 500;

    public static void Produce(CliContext ctx, RunFolder folder, RunInfo run, ContinuousApproximator approximator, int datasets, int samples, ulong seed)
    {
        var clock = Stopwatch.StartNew();
        if (run.Method == "likelihood")
        {
            datasets = Math.Min(datasets, MaxLikelihoodDatasets);
            samples = Math.Min(samples, MaxLikelihoodSamples);
        }
        var (heldOut, truths, priorDraws) = HeldOut(folder, run, datasets, seed);
        int b = heldOut.BatchSize, d = run.ParameterNames.Length;
        ctx.Log($"diagnostics: {b} held-out data sets x {samples} posterior draws{(run.Method == "likelihood" ? " (MCMC on the learned likelihood)" : "")}");
        float[] draws = PosteriorDrawing.Draw(run, approximator, heldOut, samples, seed ^ StreamRegistry.ReportDrawsSalt);
        var priorSd = PosteriorMetrics.PriorSd(priorDraws, d);
        var report = DiagnosticsReport.Compute(new PosteriorDraws(draws, b, samples, d, run.ParameterNames), truths, priorSd,
            new DiagnosticsOptions { Seed = seed });

        MmdTestResult? mmd = null;
        // For a run on data files the reference is the held-out split itself, so testing it again says nothing.
        if (approximator.MisspecificationReference is { } reference && run.Method == "posterior" && run.Task is not null)
        {
            // Held-out simulations are in distribution by construction: the check should pass on them.
            int count = Math.Min(b, Math.Max(1, reference.Count / 4));
            mmd = approximator.TestMisspecification(heldOut.Slice(0, count), bootstrap: 500, seed: seed);
        }

        Directory.CreateDirectory(folder.Figures);
        var figures = new List<(string Caption, byte[] Png)>();
        void Figure(string file, string caption, Func<ScottPlot.Plot> draw)
        {
            try
            {
                var plot = draw();
                var (w, h) = Figures.SuggestedSize(plot);
                figures.Add((caption, FigureFiles.Save(plot, Path.Combine(folder.Figures, file), w, h)));
            }
            catch (Exception e) when (e is TypeInitializationException or DllNotFoundException)
            {
                // A native AOT binary copied without its two Skia libraries fails here with a bare type-initializer error.
                throw new InvalidOperationException("figures need libSkiaSharp.so and libHarfBuzzSharp.so next to the amortized binary " +
                    "(they come with its publish folder); copy them there, or pass --no-report to fit.", e);
            }
        }

        var history = File.Exists(folder.History) ? Csv.ReadTable(folder.History) : null;
        if (history is { RowCount: > 0 })
        {
            double[] train = [.. history.Values("train_loss").Select(v => (double)v)];
            double?[] validation = [.. history.Values("validation_loss").Select(v => float.IsFinite(v) ? (double?)v : null)];
            Figure("loss", "Training and validation loss (negative log density) per epoch.", () => Figures.Loss(train, validation));
        }
        Figure("calibration_ecdf", $"Rank ECDF minus the uniform CDF per parameter, with the simultaneous {Percent(report.Band.Confidence)} band: inside the band is consistent with calibration.",
            // Mid-ranks (r + 0.5) / (S + 1), the values the band verdict tests, so figure and table agree at z = 0 and 1.
            () => Figures.CalibrationEcdf(SimulationBasedCalibration.MidRanks(report.Ranks, samples), b, run.ParameterNames, report.Band.Z, report.Band.LowerDifference, report.Band.UpperDifference, report.Band.Confidence));
        Figure("rank_histograms", "SBC rank histograms with the pointwise 99% binomial band of a calibrated posterior.",
            () => Figures.RankHistograms(report.Ranks, b, samples, run.ParameterNames));
        Figure("recovery", "Posterior median (bars: median absolute deviation) against the true value; r is the correlation.",
            () => Figures.Recovery(ToDouble(truths), report.Recovery.Medians, report.Recovery.Mads, b, run.ParameterNames, report.Recovery.Correlation));
        Figure("z_score_contraction", "Posterior z-score against contraction: good posteriors sit at high contraction with |z| below about 3.",
            () => Figures.ZScoreContraction(report.ZScores, report.Contraction, b, run.ParameterNames));
        float[] first = draws.AsSpan(0, samples * d).ToArray();
        int numPrior = Math.Min(priorDraws.Length / d, 2000);
        Figure("pairs", "Posterior draws for the first held-out data set (blue), prior draws (grey) and the true value (red).",
            () => Figures.Pairs(first, samples, run.ParameterNames, priorDraws.AsSpan(0, numPrior * d).ToArray(), numPrior, truths.AsSpan(0, d).ToArray()));
        if (mmd is not null)
            Figure("mmd_null", "Squared MMD in summary space between held-out simulations and the model's reference, against its bootstrap null distribution.",
                () => Figures.MmdNull(mmd.NullDistribution, mmd.Mmd, mmd.PValue));

        WriteMetrics(folder.Metrics, run, report, mmd);
        WriteHtml(folder.Report, run, report, mmd, figures, b, samples, clock.Elapsed);
        ctx.Log($"diagnostics: {(report.Calibrated ? "calibrated" : "NOT calibrated")} ({report.Rows.Count(r => r.Passed)}/{report.Rows.Count} checks passed) in {clock.Elapsed.TotalSeconds:F1} s" +
            (b < 100 ? $"; only {b} data sets, so the checks have little power" : ""));
    }

    /// <summary>Data sets (parameters removed), their true parameters (B, D) and prior draws (P, D).</summary>
    private static (SimulationBatch Data, float[] Truths, float[] Prior) HeldOut(RunFolder folder, RunInfo run, int datasets, ulong seed)
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
            if (!File.Exists(folder.HeldOut)) throw new UsageException($"run folder '{folder.Path}' has no heldout.npz to diagnose on.");
            all = Npy.ReadBatch(folder.HeldOut);
            if (all.BatchSize > datasets) all = all.Slice(0, datasets);
        }
        float[] truths = run.FlattenParameters(all.Get, all.BatchSize);
        prior ??= truths;
        var data = new SimulationBatch(all.BatchSize);
        foreach (var input in run.Inputs) data.Set(input.Name, all.Get(input.Name), all.Shape(input.Name).ToArray());
        return (data, truths, prior);
    }

    private static string Percent(double fraction) => (fraction * 100).ToString("G3", CultureInfo.InvariantCulture) + "%";

    private static double[] ToDouble(float[] values) => [.. values.Select(v => (double)v)];

    private static void WriteMetrics(string path, RunInfo run, DiagnosticsReport report, MmdTestResult? mmd)
    {
        var root = new JsonObject
        {
            ["task"] = run.Task,
            ["method"] = run.Method,
            ["calibrated"] = report.Calibrated,
            ["diagnostics"] = JsonNode.Parse(report.ToJson()),
        };
        if (mmd is not null)
            root["misspecification"] = new JsonObject
            {
                ["mmd_squared"] = mmd.Mmd,
                ["p_value"] = mmd.PValue,
                ["observed_datasets"] = mmd.ObservedCount,
                ["reference_datasets"] = mmd.ReferenceCount,
            };
        AtomicFile.WriteAllText(path, root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true, TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.Combine() }));
    }

    private static void WriteHtml(string path, RunInfo run, DiagnosticsReport report, MmdTestResult? mmd,
        List<(string Caption, byte[] Png)> figures, int datasets, int samples, TimeSpan diagnosticsTime)
    {
        string subject = run.Task ?? Path.GetFileName(run.DataSource ?? "data");
        var html = new HtmlReport($"amortized: {subject} ({run.Method})");
        if (datasets < 100)
            html.AddParagraph($"Only {datasets} held-out data sets were checked: with so few, these checks can miss a miscalibrated posterior (run 'amortized diagnose' with --datasets 300 or more).");
        html.AddParagraph(report.Calibrated
            ? $"Verdict: the posterior is calibrated on {datasets} held-out data sets (every parameter's rank ECDF stays inside its simultaneous {Percent(report.Band.Confidence)} band, and every calibration error is below its threshold)."
            : $"Verdict: the posterior is NOT calibrated on {datasets} held-out data sets; see the failing checks below before trusting its draws.");
        html.AddKeyValues("Run", new Dictionary<string, string>
        {
            ["task / data"] = subject,
            ["method"] = run.Method == "likelihood" ? "likelihood (NLE; posterior by MCMC)" : "posterior (NPE)",
            ["inference network"] = run.InferenceNetwork,
            ["summary network"] = run.SummaryNetwork,
            ["parameters"] = string.Join(", ", run.ParameterNames),
            ["training"] = run.Simulations is int n ? $"offline on {n:N0} simulations" : $"online, {run.Epochs} epochs x {run.BatchesPerEpoch} batches",
            ["batch size"] = run.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["seed"] = run.Seed.ToString(CultureInfo.InvariantCulture),
            ["trainable parameters"] = run.ParameterCount.ToString("N0", CultureInfo.InvariantCulture),
            ["optimizer steps"] = run.Steps.ToString("N0", CultureInfo.InvariantCulture),
            ["training time"] = $"{run.TrainingSeconds:F1} s ({run.StopReason})",
            ["threads"] = run.Threads.ToString(CultureInfo.InvariantCulture),
            ["machine"] = run.Machine,
            ["finished"] = run.Created,
            ["diagnostics"] = $"{datasets} held-out data sets x {samples} draws, {diagnosticsTime.TotalSeconds:F1} s",
        });
        if (run.DataSource is { } source && Directory.Exists(source))
            html.AddParagraph("Note: this model streamed a sharded folder from disk, so the data sets checked here (a tenth of shard 0) were also seen in training; the metrics are optimistic.");
        html.AddMetricsTable("Metrics", report.Rows.Select(r =>
            (r.Metric, r.Parameter, r.Value.ToString("G4", CultureInfo.InvariantCulture), r.Criterion, r.Passed, r.Verdict)));
        if (mmd is not null)
            html.AddParagraph($"Misspecification check (MMD in summary space, held-out simulations vs the stored reference): squared MMD {mmd.Mmd:G4}, p = {mmd.PValue:G3} ({(mmd.PValue < 0.05 ? "flagged: the held-out simulations look unlike the reference" : "no evidence of misspecification, as expected for simulated data")}). The same check runs on every 'amortized sample' call and warns when p < 0.05.");
        foreach (var (caption, png) in figures) html.AddFigure(caption, png);
        html.AddPreformatted("Architecture", run.Architecture);
        html.Save(path);
    }
}
