using Amortized.Inference.Approximators;
using System.CommandLine;
using Amortized.Inference.Serialization;

namespace Amortized.Cli.Commands;

/// <summary>
/// <c>amortized diagnose DIR [--datasets 300] [--samples 1000]</c>: recomputes the metrics and the report.
/// </summary>
internal static class DiagnoseCommand
{
    public static Command Create(CliContext ctx)
    {
        var dir = new Argument<string>("DIR") { Description = "Run folder written by 'amortized fit'" };
        var datasets = Options.Int("--datasets", "Held-out data sets to check calibration on", 300, 2, 100_000);
        var samples = Options.Int("--samples", "Posterior draws per data set", 1000, 10, 1_000_000);
        var seed = Options.Seed();
        var output = new Option<string?>("--out")
        {
            Description = "Write metrics.json, figures/ and report.html to this folder instead of the run folder's",
        };
        var varianceContraction = Options.VarianceContraction();
        var command = new Command("diagnose",
            "Recompute the diagnostics, figures and report of a trained model")
        {
            dir, datasets, samples, seed, output, varianceContraction,
        };
        command.SetAction(r => CliErrors.Guard(ctx, () =>
            Run(ctx, r.GetValue(dir)!, r.GetValue(datasets), r.GetValue(samples), r.GetValue(seed),
                r.GetValue(output), r.GetValue(varianceContraction))));
        return command;
    }

    public static int Run(CliContext ctx, string dir, int datasets, int samples, ulong seed, string? outDir = null,
        bool varianceContraction = false)
    {
        RunFolder.Open(dir);   // exists and is a run folder, before the lock creates anything
        // The report replaces the old one as a unit: written into the staging folder, then committed, so a full
        // disk or a kill leaves the previous figures and report whole. Taken first, the lock also keeps a fit
        // from replacing the model while it is checked.
        using var writer = RunFolderWriter.Acquire(outDir ?? dir, outDir is null ? "model folder" : "--out");
        var (folder, run, model) = RunFolder.LoadAny(dir, ctx.ModelKey());
        if (model is not ContinuousApproximator && varianceContraction)
            throw new UsageException($"--contraction-variance is a check of posterior draws; this is a {run.Method} " +
                "run, which draws none.");
        string report;
        try
        {
            report = model is ContinuousApproximator approximator
                ? RunReporter.Produce(ctx, folder, run, approximator, datasets, samples, seed,
                    writer.Staged.Path, varianceContraction)
                : RunReporter.ProduceEstimator(ctx, folder, run, model, datasets, seed, writer.Staged.Path);
            writer.Commit(RunFolder.ReportFiles);
        }
        catch (IOException e) when (writer.InUserTerms(e.Message) is var message && message != e.Message)
        {
            throw new IOException(message, e);   // a full disk names report.html, not a hidden staged file
        }
        ctx.Log($"report: {Path.Combine(writer.Folder.Path, Path.GetFileName(report))}");
        return CliErrors.Ok;
    }
}
