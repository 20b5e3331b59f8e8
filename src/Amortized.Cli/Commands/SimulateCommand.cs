using System.CommandLine;
using Amortized.Inference.FileFormats;

namespace Amortized.Cli.Commands;

/// <summary><c>amortized simulate TASK --n N --out FILE.npz [--seed S]</c>.</summary>
internal static class SimulateCommand
{
    public static Command Create(CliContext ctx)
    {
        var task = new Argument<string>("TASK") { Description = "Built-in task (see 'amortized tasks')" };
        var n = Options.Int("--n", "Number of simulations", 1000, 1, 100_000_000);
        var output = Options.RequiredPath("--out", "Output file: .npz (one array per key) or .csv");
        var seed = Options.Seed();
        var command =
            new Command("simulate", "Simulate (theta, x) pairs from a built-in task") { task, n, output, seed };
        command.SetAction(r => CliErrors.Guard(ctx, () =>
            Run(ctx, r.GetValue(task)!, r.GetValue(n), r.GetValue(output)!, r.GetValue(seed))));
        return command;
    }

    public static int Run(CliContext ctx, string taskName, int n, string outPath, ulong seed)
    {
        var task = TaskNames.Create(taskName);
        OutputPaths.EnsureFile(outPath);
        string ext = Path.GetExtension(outPath).ToLowerInvariant();
        if (ext is not (".npz" or ".csv")) throw new UsageException($"--out '{outPath}' must end in .npz or .csv.");
        var batch = task.Sample(n, seed);
        if (ext == ".npz") Npy.WriteNpz(outPath, batch);
        else Csv.Write(outPath, batch);
        ctx.Log($"wrote {n:N0} simulations of {task.Name} " +
            $"({string.Join(", ", batch.Keys.Select(k => $"{k} {Observations.Format(batch.Shape(k))}"))}) to " +
            $"{outPath}");
        return CliErrors.Ok;
    }
}
