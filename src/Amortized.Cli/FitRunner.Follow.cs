using System.CommandLine;
using System.Globalization;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;

namespace Amortized.Cli;

/// <summary>
/// <c>amortized fit --data FOLDER --follow</c>: training while a producer (a Dask cluster, a Spark job, a script)
/// writes shards into FOLDER. The rules are <see cref="BasicWorkflow.FitFollow(ShardedDataset, TrainingOptions,
/// FollowOptions?)"/>'s; this file parses the options, waits for the first shard (whose shapes build the networks)
/// and logs the pool each epoch trains on.
/// </summary>
internal static partial class FitRunner
{
    /// <summary>How long --follow waits without a new shard (and no _SUCCESS) before it stops.</summary>
    public static readonly TimeSpan DefaultFollowTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The --follow and --follow-timeout options of <c>fit</c>.</summary>
    internal static (Option<bool> Follow, Option<TimeSpan?> Timeout) FollowCommandOptions() =>
    (
        new Option<bool>("--follow")
        {
            Description = "With --data FOLDER: train while a producer (e.g. a Dask cluster) writes shards into it, " +
                "picking up new ones before each epoch of --batches-per-epoch steps; ends after --epochs, at " +
                "--time-budget, once --simulations rows have arrived and each was trained on, or when no shard " +
                "arrived for --follow-timeout; a producer writes _SUCCESS when done",
        },
        Options.Duration("--follow-timeout", "With --follow: stop when no new shard has arrived for this long and " +
            $"the folder has no _SUCCESS (default {DefaultFollowTimeout.TotalMinutes:F0}m)")
    );

    /// <summary>
    /// Checks the --follow options and, with --follow, waits (logging once) until FOLDER holds a shard: the networks
    /// are built from its shapes. Before the run folder is locked, so a long wait holds nothing.
    /// </summary>
    private static void WaitForFirstShard(CliContext ctx, FitSettings s)
    {
        if (!s.Follow)
        {
            if (s.FollowTimeout is not null) throw new UsageException("--follow-timeout is an option of --follow.");
            return;
        }
        if (s.Task is not null || s.Data.Length != 1)
            throw new UsageException("--follow trains on one folder that a producer fills: give one --data FOLDER " +
                $"and no TASK (got {(s.Task is not null ? $"task '{s.Task}'" : $"{s.Data.Length} --data paths")}).");
        if (!CliChoices.IsDensity(s.Method))
            throw new UsageException($"--follow trains a posterior; --method {CliChoices.Methods.Word(s.Method)} " +
                "does not support it.");
        string folder = s.Data[0];
        if (File.Exists(folder))
            throw new UsageException($"--follow: {folder} is a file; --follow needs the folder the producer writes.");
        if (!Directory.Exists(folder))
            throw new UsageException($"--follow: the folder {folder} does not exist; create it (or start the " +
                "producer, which does) first.");
        var follower = new FolderFollower(ShardedDataset.OpenGrowing(folder), Follow(ctx, s));
        follower.WaitForRows(1, CancellationToken.None);
    }

    /// <summary>The followed folder, holding a shard by now, and that shard's rows.</summary>
    private static (ShardedDataset Shards, SimulationBatch First) OpenFollowed(FitSettings s)
    {
        var dataset = ShardedDataset.OpenGrowing(s.Data[0]);
        if (dataset.ShardCount == 0)
            throw new UsageException($"--follow: {s.Data[0]} holds no rows any more; its shards were removed.");
        return (dataset, dataset.ReadShard(0));
    }

    private static TrainingHistory FitFollow(CliContext ctx, FitSettings s, BasicWorkflow workflow,
        ShardedDataset shards, TrainingOptions options) =>
        workflow.FitFollow(shards, options, Follow(ctx, s) with
        {
            OnEpochStart = e => ctx.Log(string.Create(CultureInfo.InvariantCulture,
                $"follow: epoch {e.Epoch + 1} trains on {e.Shards} shards, {e.Rows:N0} rows ({e.NewShards} new, " +
                $"{e.TrainedShards} trained on so far{(e.Complete ? ", folder complete" : "")})")),
        });

    private static FollowOptions Follow(CliContext ctx, FitSettings s) => new()
    {
        IdleTimeout = s.FollowTimeout ?? DefaultFollowTimeout,
        Simulations = s.Simulations,
        Log = line => ctx.Log("follow: " + line),
    };
}
