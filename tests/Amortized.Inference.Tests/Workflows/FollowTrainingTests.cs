using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Inference.Tests.Workflows;

/// <summary>
/// Follow mode: training on a folder while another thread writes shards into it, as a Dask or Spark producer would
/// (atomically: a temporary name, then a rename).
/// </summary>
public sealed class FollowTrainingTests : IDisposable
{
    private const int ShardRows = 400;
    private const float NoiseSd = 0.5f;
    private readonly string _dir = Directory.CreateTempSubdirectory("amortized-follow-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>theta ~ N(0, I_2), x = theta + N(0, 0.5^2 I_2): shard <paramref name="index"/>'s rows, from its seed.</summary>
    private void WriteShard(int index)
    {
        var rng = Rng.Derive(77, (ulong)index);
        var theta = new float[ShardRows * 2];
        var x = new float[ShardRows * 2];
        for (int i = 0; i < theta.Length; i++)
        {
            theta[i] = rng.Normal();
            x[i] = theta[i] + NoiseSd * rng.Normal();
        }
        // Npy.WriteNpz goes through AtomicFile: a hidden temporary name, then a rename.
        Npy.WriteNpz(Path.Combine(_dir, $"part-{index}.npz"),
            [new("theta", NpyArray.FromFloats(theta, ShardRows, 2)), new("x", NpyArray.FromFloats(x, ShardRows, 2))],
            compress: index % 2 == 0);
    }

    private static BasicWorkflow Workflow() => new(
        new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions),
        new ApproximatorSpec { CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [32, 32] } });

    [Fact]
    public void ShardsLandWhileTraining_PoolGrows_EndsAtBudget_PosteriorMatchesAnalytic()
    {
        // The writer thread adds shard k + 1 when epoch k starts and the epoch waits until it has landed, so the
        // pool grows by one shard per epoch whatever the machine's speed; after 5 shards it writes _SUCCESS.
        using var next = new SemaphoreSlim(0);
        using var written = new SemaphoreSlim(0);
        Exception? failure = null;
        var writer = new Thread(() =>
        {
            try
            {
                Thread.Sleep(300);   // training starts by waiting for the first shard
                WriteShard(0);
                for (int k = 1; k < 5; k++)
                {
                    if (!next.Wait(TimeSpan.FromMinutes(2))) throw new TimeoutException("the trainer stopped asking");
                    WriteShard(k);
                    if (k == 4) File.WriteAllText(Path.Combine(_dir, "_SUCCESS"), "");
                    written.Release();
                }
            }
            catch (Exception e) { failure = e; }
        });
        writer.Start();
        var epochs = new List<FollowEpoch>();
        var notes = new List<string>();
        var workflow = Workflow();
        var history = workflow.FitFollow(_dir,
            new TrainingOptions { Epochs = 8, BatchesPerEpoch = 40, BatchSize = 64, Seed = 3 },
            new FollowOptions
            {
                PollInterval = TimeSpan.FromMilliseconds(20),
                OnEpochStart = e =>
                {
                    epochs.Add(e);
                    if (e.Epoch >= 4) return;
                    next.Release();
                    Assert.True(written.Wait(TimeSpan.FromMinutes(2)), "the writer did not write its shard");
                },
                Log = notes.Add,
            });
        writer.Join();
        Assert.Null(failure);

        Assert.Equal("completed", history.StopReason);
        Assert.Equal(8, history.Epochs.Count);
        Assert.Contains(notes, n => n.StartsWith("waiting for shards in"));
        // Each epoch's rescan found the shard written during the one before: the pool grew from 1 to all 5.
        Assert.Equal([1, 2, 3, 4, 5, 5, 5, 5], epochs.Select(e => e.Shards));
        Assert.Equal([1, 1, 1, 1, 1, 0, 0, 0], epochs.Select(e => e.NewShards));
        Assert.False(epochs[3].Complete);
        Assert.True(epochs[^1].Complete);
        Assert.Equal(5 * ShardRows, epochs[^1].Rows);
        Assert.Equal(5, epochs[^1].TrainedShards);
        Assert.All(history.Epochs, e => Assert.True(double.IsFinite(e.ValidationLoss!.Value)));

        // Posterior of theta given x: N(x / (1 + s^2), s^2 / (1 + s^2) I), s = 0.5: mean 0.8 x, sd 0.447.
        var observed = new SimulationBatch(1).Set("x", [1.0f, -1.5f], 1, 2);
        float[] draws = workflow.Sample(observed, 2000, seed: 9).Get("theta");
        double m0 = 0, m1 = 0, v0 = 0;
        for (int i = 0; i < 2000; i++) { m0 += draws[2 * i]; m1 += draws[2 * i + 1]; }
        m0 /= 2000; m1 /= 2000;
        for (int i = 0; i < 2000; i++) v0 += (draws[2 * i] - m0) * (draws[2 * i] - m0);
        Assert.InRange(m0, 0.8 - 0.1, 0.8 + 0.1);
        Assert.InRange(m1, -1.2 - 0.1, -1.2 + 0.1);
        Assert.InRange(Math.Sqrt(v0 / 1999), 0.447 * 0.8, 0.447 * 1.2);
    }

    [Fact]
    public void SimulationBudget_StopsOnceItsShardsAreTrained_LaterShardsUnused()
    {
        for (int k = 0; k < 4; k++) WriteShard(k);   // no _SUCCESS: the budget alone ends the run
        var epochs = new List<FollowEpoch>();
        var notes = new List<string>();
        var history = Workflow().FitFollow(_dir,
            new TrainingOptions { Epochs = 100, BatchesPerEpoch = 5, BatchSize = 64, Seed = 1 },
            new FollowOptions { Simulations = 2 * ShardRows, OnEpochStart = epochs.Add, Log = notes.Add });
        Assert.StartsWith("simulation budget (800 rows delivered", history.StopReason);
        Assert.All(epochs, e => Assert.Equal(2, e.Shards));
        // 800 rows (40 held out) need 760 / 320 = 2.4 epochs of 5 x 64 rows before both shards were served.
        Assert.Equal(3, history.Epochs.Count);
        Assert.Contains(notes, n => n.Contains("800 simulations reached with 2 shards; later shards are not used"));
    }

    [Fact]
    public void CompleteFolder_SameSeedSameRun_AndAResumeContinuesFromTheCheckpoint()
    {
        for (int k = 0; k < 3; k++) WriteShard(k);
        File.WriteAllText(Path.Combine(_dir, "_SUCCESS"), "");
        string checkpoint = Path.Combine(_dir, "_checkpoint.amzc");   // '_': not a shard
        TrainingOptions Options(int epochs) => new()
        {
            Epochs = epochs, BatchesPerEpoch = 8, BatchSize = 64, Seed = 5, CheckpointPath = checkpoint,
        };
        var first = Workflow();
        var a = first.FitFollow(_dir, Options(4));
        var b = Workflow().FitFollow(_dir, Options(4));
        Assert.Equal(a.Epochs.Select(e => e.TrainLoss), b.Epochs.Select(e => e.TrainLoss));
        Assert.Equal(a.Epochs.Select(e => e.ValidationLoss), b.Epochs.Select(e => e.ValidationLoss));

        // Cancelled after 2 of 4 epochs, then resumed: the weights, optimizer and history continue (the data order
        // is the documented exception), and the run ends after epoch 4.
        using var cancel = new CancellationTokenSource();
        var stopped = Workflow().FitFollow(_dir, Options(4) with
        {
            Cancellation = cancel.Token,
            OnEpochEnd = t => { if (t.History.Epochs.Count == 2) cancel.Cancel(); },
        });
        Assert.Equal("cancelled", stopped.StopReason);
        var resumed = Workflow();
        var probe = new SimulationBatch(1).Set("theta", [0f, 0f], 1, 2).Set("x", [0f, 0f], 1, 2);
        resumed.Build(probe);
        Assert.Equal(2, resumed.Resume(checkpoint));
        var c = resumed.FitFollow(_dir, Options(4));
        Assert.Equal(4, c.Epochs.Count);
        Assert.Equal(a.Epochs.Take(2).Select(e => e.TrainLoss), c.Epochs.Take(2).Select(e => e.TrainLoss));
        Assert.Equal(a.Steps, c.Steps);
        Assert.All(c.Epochs, e => Assert.True(double.IsFinite(e.ValidationLoss!.Value)));
    }

    [Fact]
    public void ProducerStops_IdleTimeoutEndsTraining_OrFailsBeforeAnyRow()
    {
        WriteShard(0);
        var notes = new List<string>();
        // More epochs than any machine runs in the 300 ms timeout (1,000 did: 2,000 steps of this small network
        // took under 300 ms once the kernels got faster, and the run completed before the timeout).
        const int epochs = 1_000_000;
        var history = Workflow().FitFollow(_dir,
            new TrainingOptions { Epochs = epochs, BatchesPerEpoch = 2, BatchSize = 32, Seed = 1 },
            new FollowOptions { IdleTimeout = TimeSpan.FromMilliseconds(300), Log = notes.Add });
        Assert.Equal("follow timeout", history.StopReason);
        Assert.InRange(history.Epochs.Count, 1, epochs - 1);
        Assert.Contains(notes, n => n.Contains("no new shard in") && n.Contains("_SUCCESS"));

        string empty = Directory.CreateDirectory(Path.Combine(_dir, "_empty")).FullName;
        var e = Assert.Throws<TimeoutException>(() => Workflow().FitFollow(empty,
            new TrainingOptions { Epochs = 1, BatchSize = 32 },
            new FollowOptions { IdleTimeout = TimeSpan.FromMilliseconds(200), PollInterval = TimeSpan.FromMilliseconds(20) }));
        Assert.Contains("no new shard for", e.Message);
        Assert.Contains("training needs 1 to start", e.Message);

        File.WriteAllText(Path.Combine(empty, "_SUCCESS"), "");
        var done = Assert.Throws<InvalidDataException>(() => Workflow().FitFollow(empty,
            new TrainingOptions { Epochs = 1, BatchSize = 32 }));
        Assert.Contains("marked it complete (_SUCCESS) with 0 rows", done.Message);
    }
}
