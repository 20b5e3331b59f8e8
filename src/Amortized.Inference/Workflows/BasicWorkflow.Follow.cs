using System.Diagnostics;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.Workflows;

public sealed partial class BasicWorkflow
{
    /// <summary>
    /// Trains on the shards of <paramref name="folder"/> while a producer (a Dask cluster, a Spark job, a script)
    /// is still writing them: training starts once the folder holds a batch of rows and picks up new shards as they
    /// land. See <see cref="FitFollow(ShardedDataset, TrainingOptions, FollowOptions?)"/>.
    /// </summary>
    /// <param name="folder">A manifest-free folder (it must exist; it may be empty).</param>
    /// <param name="options">Training options: <see cref="TrainingOptions.Epochs"/> epochs of
    /// <see cref="TrainingOptions.BatchesPerEpoch"/> steps of <see cref="TrainingOptions.BatchSize"/> rows.</param>
    /// <param name="follow">How the folder is followed (defaults: poll every 200 ms, stop after 10 minutes without a
    /// new shard).</param>
    public TrainingHistory FitFollow(string folder, TrainingOptions options, FollowOptions? follow = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        return FitFollow(ShardedDataset.OpenGrowing(folder, follow?.Limits), options, follow);
    }

    /// <summary>
    /// Trains on a folder that is still being filled, scanning it again before every epoch.
    /// </summary>
    /// <remarks>
    /// <para>
    /// An epoch is <see cref="TrainingOptions.BatchesPerEpoch"/> steps, as in online training, so the learning-rate
    /// schedule's length (<see cref="TrainingOptions.Epochs"/> of them) is known before the data are. Before each
    /// epoch new shards join the pool; the epoch's batches come from the shards of the pool, those not trained on
    /// yet first, then shuffled passes over the whole pool, re-using rows when the pool holds fewer than the epoch
    /// needs. While the folder holds fewer rows than one batch, training waits (polling every
    /// <see cref="FollowOptions.PollInterval"/>).
    /// </para>
    /// <para>
    /// Training ends after <see cref="TrainingOptions.Epochs"/> epochs, at <see cref="TrainingOptions.TimeBudget"/>,
    /// on cancellation, before the first epoch at which <see cref="FollowOptions.Simulations"/> rows have arrived
    /// and every one has been trained on, or before the first epoch after <see cref="FollowOptions.IdleTimeout"/>
    /// without a new shard while the folder lacks <c>_SUCCESS</c> (the marker a producer writes when it is done,
    /// after which training no longer waits for anything). <see cref="TrainingHistory.StopReason"/> says which.
    /// Stopping early cuts the cosine schedule short, so size <see cref="TrainingOptions.Epochs"/> for the run.
    /// </para>
    /// <para>
    /// Validation: with <see cref="FollowOptions.HoldOutFirstShard"/>, a tenth of the first shard
    /// (<see cref="TrainingDefaults.Split"/> with the seed) is held out and never trained on; it is the validation
    /// set unless <see cref="TrainingOptions.ValidationData"/> is given.
    /// </para>
    /// <para>
    /// Resume (<see cref="Resume"/>) restores the weights, optimizer, history and position exactly; the data order
    /// is not replayed: the resumed run sees every shard present by then at once, and which shards had been trained
    /// on is not recorded, so it starts over with them. Every choice is seeded, so a run on a folder that is already
    /// complete is reproducible.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentException">The dataset has a manifest (it is fixed: use <see cref="FitDisk"/>).
    /// </exception>
    /// <exception cref="TimeoutException">No batch of rows arrived within the idle timeout.</exception>
    /// <exception cref="InvalidDataException">A shard is corrupt or disagrees with the first one, or the folder was
    /// marked complete with fewer rows than one batch.</exception>
    public TrainingHistory FitFollow(ShardedDataset dataset, TrainingOptions options, FollowOptions? follow = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        follow ??= new FollowOptions();
        if (dataset.HasManifest)
            throw new ArgumentException($"BasicWorkflow.FitFollow: {dataset.DirectoryPath} has a manifest, so it " +
                "does not grow; train on it with FitDisk.", nameof(dataset));
        var folder = new FolderFollower(dataset, follow);
        folder.WaitForRows(1, options.Cancellation);
        SimulationBatch first = dataset.ReadShard(0);
        SimulationBatch? firstTraining = null, validation = options.ValidationData;
        if (follow.HoldOutFirstShard && first.BatchSize >= 3)
        {
            var (train, heldOut) = TrainingDefaults.Split(first, options.Seed);
            firstTraining = train;
            validation ??= heldOut;
        }
        EnsureBuilt(() => first.Slice(0, Math.Min(4, first.BatchSize)));
        Approximator?.ClearMisspecificationReference();
        return History = NewTrainer(options).FitFollow(folder, validation, firstTraining);
    }
}

/// <summary>How <see cref="BasicWorkflow.FitFollow(ShardedDataset, TrainingOptions, FollowOptions?)"/> follows a
/// folder that a producer fills.</summary>
public sealed record FollowOptions
{
    /// <summary>How often the folder is scanned while training waits for rows (default 200 ms).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Training stops (before the next epoch) when no new shard has arrived for this long and the folder lacks
    /// <c>_SUCCESS</c>; waiting for the first batch of rows fails after it (default 10 minutes).
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A budget of simulations (rows): the shards that arrive until it is reached form the pool (later ones are not
    /// used), and training stops before the first epoch at which they have all been trained on. Null: no budget.
    /// </summary>
    public long? Simulations { get; init; }

    /// <summary>Shards whose rows are mixed together in the batches (memory holds this many; default 4).</summary>
    public int BufferShards { get; init; } = 4;

    /// <summary>Hold out a tenth of the first shard for validation, never trained on (default true).</summary>
    public bool HoldOutFirstShard { get; init; } = true;

    /// <summary>Bounds of every shard read (default <see cref="ReadLimits.Default"/>).</summary>
    public ReadLimits? Limits { get; init; }

    /// <summary>Called before each epoch with the pool it trains on.</summary>
    public Action<FollowEpoch>? OnEpochStart { get; init; }

    /// <summary>Receives one-line notes: waiting for rows, the budget reached, the idle timeout.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>The pool one epoch of follow mode trains on.</summary>
/// <param name="Epoch">The epoch (0-based).</param>
/// <param name="Shards">Shards in the pool.</param>
/// <param name="Rows">Rows in the pool (the first shard's held-out rows included).</param>
/// <param name="NewShards">Shards that joined since the previous epoch.</param>
/// <param name="TrainedShards">Shards whose every row has been trained on.</param>
/// <param name="Complete">Whether the folder holds <c>_SUCCESS</c>.</param>
public sealed record FollowEpoch(int Epoch, int Shards, long Rows, int NewShards, int TrainedShards, bool Complete);

/// <summary>
/// A manifest-free folder being followed (see <see cref="BasicWorkflow.FitFollow(ShardedDataset, TrainingOptions,
/// FollowOptions?)"/>): scans it, remembers when a shard last arrived, and waits for rows.
/// </summary>
/// <param name="dataset">The folder, opened with <see cref="ShardedDataset.OpenGrowing"/>.</param>
/// <param name="options">Poll interval, idle timeout and log.</param>
public sealed class FolderFollower(ShardedDataset dataset, FollowOptions options)
{
    /// <summary>The file a producer writes once every shard is written (as Spark and Hadoop do).</summary>
    public const string SuccessMarker = ShardFolder.SuccessMarker;

    /// <summary>The followed dataset.</summary>

    private readonly Stopwatch _sinceNewShard = Stopwatch.StartNew();

    public ShardedDataset Dataset => dataset;

    /// <summary>The options it follows with.</summary>
    public FollowOptions Options => options;

    /// <summary>Whether the producer marked the folder complete.</summary>
    public bool Complete => dataset.IsComplete;

    /// <summary>Time since a shard last arrived (or following began).</summary>
    public TimeSpan SinceNewShard => _sinceNewShard.Elapsed;

    /// <summary>No new shard for the idle timeout, and no <c>_SUCCESS</c>.</summary>
    public bool Idle => !Complete && _sinceNewShard.Elapsed > options.IdleTimeout;

    /// <summary>Scans the folder; returns the shards added.</summary>
    public int Refresh()
    {
        int added = dataset.Refresh();
        if (added > 0) _sinceNewShard.Restart();
        return added;
    }

    /// <summary>
    /// Returns once the folder holds at least <paramref name="rows"/> rows, polling. Throws
    /// <see cref="InvalidDataException"/> when it is marked complete with fewer and <see cref="TimeoutException"/>
    /// when idle for the timeout.
    /// </summary>
    public void WaitForRows(long rows, CancellationToken cancellation)
    {
        bool noted = false;
        while (true)
        {
            Refresh();
            if (dataset.Count >= rows) return;
            if (Complete)
                throw new InvalidDataException($"{dataset.DirectoryPath}: the producer marked it complete " +
                    $"({SuccessMarker}) with {dataset.Count} rows in {dataset.ShardCount} shards; training needs at " +
                    $"least {rows}.");
            if (Idle)
                throw new TimeoutException($"{dataset.DirectoryPath}: no new shard for {SinceNewShard:g} and no " +
                    $"{SuccessMarker}; it holds {dataset.Count} rows, and training needs {rows} to start. Is the " +
                    "producer running? (FollowOptions.IdleTimeout, --follow-timeout, sets how long to wait.)");
            if (!noted)
            {
                options.Log?.Invoke($"waiting for shards in {dataset.DirectoryPath}: {dataset.Count} rows, " +
                    $"{rows} needed");
                noted = true;
            }
            cancellation.WaitHandle.WaitOne(options.PollInterval);
            cancellation.ThrowIfCancellationRequested();
        }
    }
}
