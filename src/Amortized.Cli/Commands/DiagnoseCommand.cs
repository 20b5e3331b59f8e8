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
        var folder = RunFolder.Open(dir);
        var run = RunInfo.Load(folder.Run);
        var approximator = ApproximatorFile.Load(folder.Model);
        if (outDir is not null && File.Exists(outDir))
            throw new UsageException($"--out '{outDir}' is a file; expected a folder (it is created if missing).");
        if (outDir is not null) Directory.CreateDirectory(outDir);
        string report = RunReporter.Produce(ctx, folder, run, approximator, datasets, samples, seed, outDir,
            varianceContraction);
        ctx.Log($"report: {report}");
        return CliErrors.Ok;
    }
}
