using System.CommandLine;
using Amortized.Inference.FileFormats;
using Amortized.Parquet;

namespace Amortized.Cli.Commands;

/// <summary>
/// <c>amortized simulate TASK --n N --out PATH [--format npz|csv|parquet] [--shards K] [--seed S]</c>.
/// </summary>
internal static class SimulateCommand
{
    /// <summary>The file formats simulations are written in.</summary>
    internal enum DataFormat
    {
        Npz,
        Csv,
        Parquet,
    }

    private static readonly Choices<DataFormat> Formats =
        new(("npz", DataFormat.Npz), ("csv", DataFormat.Csv), ("parquet", DataFormat.Parquet));

    public static Command Create(CliContext ctx)
    {
        var task = new Argument<string>("TASK") { Description = "Built-in task (see 'amortized tasks')" };
        var n = Options.Int("--n", "Number of simulations", 1000, 1, 100_000_000);
        var output = Options.RequiredPath("--out",
            "Output file (.npz, .csv or .parquet), or with --shards a folder of shards");
        var format = Options.OptionalChoice("--format", "File format (default: from the --out extension; npz for " +
            "a folder)", Formats);
        var shards = Options.OptionalInt("--shards", "Write a folder of K shards: npz shards with manifest.json, or " +
            "K Parquet files part-00000.parquet, ...", 1, 100_000);
        var seed = Options.Seed();
        var command = new Command("simulate", "Simulate (theta, x) pairs from a built-in task")
        {
            task, n, output, format, shards, seed,
        };
        command.SetAction(r => CliErrors.Guard(ctx, () =>
            Run(ctx, r.GetValue(task)!, r.GetValue(n), r.GetValue(output)!, r.GetValue(seed), r.GetValue(format),
                r.GetValue(shards))));
        return command;
    }

    public static int Run(CliContext ctx, string taskName, int n, string outPath, ulong seed,
        DataFormat? format = null, int? shards = null)
    {
        var task = TaskNames.Create(taskName);
        DataFormat chosen = format ?? FromExtension(outPath, shards is not null);
        if (shards is { } k)
        {
            if (chosen == DataFormat.Csv)
                throw new UsageException("--shards writes npz or parquet shards; CSV has no sharded form (use " +
                    "--format npz or parquet).");
            if (k > n) throw new UsageException($"--shards {k} is more than --n {n}; every shard needs a row.");
            if (File.Exists(outPath))
                throw new UsageException($"--out '{outPath}' is a file; with --shards it names a folder of shards.");
        }
        else
        {
            OutputPaths.EnsureFile(outPath);
            string expected = "." + Formats.Word(chosen);
            if (!string.Equals(Path.GetExtension(outPath), expected, StringComparison.OrdinalIgnoreCase))
                throw new UsageException($"--out '{outPath}' must end in {expected} for --format {Formats.Word(chosen)}.");
        }

        var batch = task.Sample(n, seed);
        string what;
        if (shards is { } count)
        {
            int written;
            try
            {
                if (chosen == DataFormat.Parquet) written = ParquetFiles.WriteShards(outPath, batch, count).Count;
                else
                {
                    // Equal shards of ceil(n / K) rows, the last shorter: K shards, or fewer when n / K rounds up.
                    using var writer = new ShardedDatasetWriter(outPath, (n + count - 1) / count);
                    writer.Append(batch);
                    writer.Complete();
                    written = writer.ShardCount;
                }
            }
            catch (IOException e) when (e is not FileNotFoundException)
            {
                throw new UsageException($"cannot write --out '{outPath}': {e.Message}");
            }
            what = $"{written} {Formats.Word(chosen)} shards in {outPath}";
        }
        else
        {
            switch (chosen)
            {
                case DataFormat.Npz: Npy.WriteNpz(outPath, batch); break;
                case DataFormat.Csv: Csv.Write(outPath, batch); break;
                default: ParquetFiles.Write(outPath, batch); break;
            }
            what = outPath;
        }
        ctx.Log($"wrote {n:N0} simulations of {task.Name} " +
            $"({string.Join(", ", batch.Keys.Select(key => $"{key} {Observations.Format(batch.Shape(key))}"))}) to " +
            $"{what}");
        return CliErrors.Ok;
    }

    /// <summary>The format an --out path's extension names (a folder without one holds npz shards).</summary>
    private static DataFormat FromExtension(string outPath, bool folder)
    {
        string ext = Path.GetExtension(outPath).ToLowerInvariant();
        return ext switch
        {
            ".npz" => DataFormat.Npz,
            ".csv" => DataFormat.Csv,
            ".parquet" => DataFormat.Parquet,
            "" when folder => DataFormat.Npz,
            _ => throw new UsageException($"--out '{outPath}' must end in .npz, .csv or .parquet (or give --format)."),
        };
    }
}
