using System.CommandLine;
using System.CommandLine.Parsing;
using Amortized.Inference.FileFormats;
using Amortized.Workloads;

namespace Amortized.Cli.Commands;

/// <summary>
/// <c>amortized bench [--threads 1,2] [--only W1,W3] [--runs N] [--json FILE] [--profile]</c>: the reference workloads
/// W1-W4 (../shared/WORKLOADS.md) with warm-up and median-of-N timing, one line per figure, as
/// <c>W1 threads=1 steps_per_s=412.3</c>. The same runner as the BenchmarkDotNet project's <c>quick</c> verb and
/// benchmarks/compare.sh, so the native binary can be timed with exactly the work the peers do.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CliContext ctx)
    {
        var threads = new Option<IReadOnlyList<int>>("--threads")
        {
            Description = "Comma-separated kernel thread counts, run in turn (default: 1 and all cores)",
            DefaultValueFactory = _ => new QuickOptions().Threads,
            CustomParser = r => ParseList(r, QuickOptions.ParseThreads) ?? [],
        };
        var only = new Option<IReadOnlyList<string>>("--only")
        {
            Description = "Comma-separated workloads: W1 (flow training step), W2 (DeepSet + flow), W3 (1000 " +
                "draws and densities), W4 (GEMM)",
            DefaultValueFactory = _ => QuickOptions.AllWorkloads,
            CustomParser = r => ParseList(r, QuickOptions.ParseWorkloads) ?? [],
        };
        var runs = Options.Int("--runs", "Timed runs per figure (the figure is their median)", 5, 1, 1000);
        var json = new Option<string?>("--json") { Description = "Also write every figure, the machine and " +
            "the date to this JSON file" };
        var profile = new Option<bool>("--profile") { Description = "Also print the forward / backward / Adam " +
            "time of the W1 and W2 steps" };
        var device = Options.Choice("--device", "Run W1-W3 on cpu, or on a GPU through ILGPU in the JIT build (cuda, " +
            "opencl; ilgpu-cpu emulates one)", DeviceChoice.Cpu, CliChoices.Devices);
        var batch =
            Options.OptionalInt("--batch", "W1/W2 batch size (default: 512 for W1, 128 data sets for W2)", 1, 1 << 20);
        var width = Options.OptionalInt("--width",
            "Hidden width of the W1/W2 coupling subnets (default: 128), to see cost as work grows", 1, 1 << 16);
        var command = new Command("bench",
            "Time the reference workloads W1-W4 (training steps/s, sampling latency, GEMM GFLOP/s)")
        {
            threads, only, runs, json, profile, device, batch, width,
        };
        command.SetAction(r => CliErrors.Guard(ctx, () =>
        {
            var backend = DeviceSelection.Open(r.GetValue(device));
            if (backend is not Tensors.Backends.CpuBackend) ctx.Output.WriteLine(
                $"# device {CliChoices.Devices.Word(r.GetValue(device))} '{(backend as Gpu.GpuBackend)?.Name}'");
            return Run(ctx, new QuickOptions
            {
                Threads = r.GetValue(threads)!,
                Only = r.GetValue(only)!,
                Runs = r.GetValue(runs),
                Profile = r.GetValue(profile),
                Backend = backend,
                Batch = r.GetValue(batch),
                Width = r.GetValue(width),
            }, r.GetValue(json));
        }));
        return command;
    }

    public static int Run(CliContext ctx, QuickOptions options, string? jsonPath)
    {
        // Check the output folder before minutes of timing, not after.
        string? folder = jsonPath is null ? null : Path.GetDirectoryName(Path.GetFullPath(jsonPath));
        if (folder is not null && !Directory.Exists(folder))
            throw new UsageException($"--json '{jsonPath}': the folder {folder} does not exist.");
        var report = QuickRunner.Run(options, ctx.Output);
        if (jsonPath is not null)
        {
            AtomicFile.WriteAllText(jsonPath, report.ToJson());
            ctx.Error.WriteLine($"wrote {report.Figures.Count} figures to {jsonPath}");
        }
        return CliErrors.Ok;
    }

    // The library's parsers throw ArgumentException with a one-line message; System.CommandLine wants
    // it as a parse error.
    private static T? ParseList<T>(ArgumentResult r, Func<string, T> parse) where T : class
    {
        string token = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
        try
        {
            return parse(token);
        }
        catch (ArgumentException e)
        {
            r.AddError(e.Message);
            return null;
        }
    }
}
