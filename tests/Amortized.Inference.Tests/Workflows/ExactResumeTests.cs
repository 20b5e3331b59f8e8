using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Serialization;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Xunit;

namespace Amortized.Inference.Tests.Workflows;

/// <summary>
/// A run stopped inside an epoch (cancellation here; a time budget stops the same way) resumes from its checkpoint
/// to the same final weights, bit for bit, as the uninterrupted run; a resume with other settings is refused.
/// </summary>
public sealed class ExactResumeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("amortized-resume-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Dropout and the conditional affine layer on: their streams and initialisation must resume too.
    private static ContinuousApproximator Fresh() => ContinuousApproximator.Build(new ApproximatorSpec
    {
        VariableDim = 2,
        ConditionDim = 2,
        Seed = 11,
        CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [16, 16], ConditionalAffine = true },
    }, new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions));

    private static TrainingOptions Options() =>
        new() { Epochs = 3, BatchesPerEpoch = 12, BatchSize = 32, Seed = 5, ValidationSimulations = 64 };

    private sealed class Inline(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    /// <summary>Trains with <paramref name="fit"/>, cancelled after batch 6 of epoch 1 (of 0..2), checkpointing.</summary>
    private string StopInsideEpoch(Func<Trainer, TrainingHistory> fit, TrainingOptions options)
    {
        string checkpoint = Path.Combine(_dir, "checkpoint.amzc");
        using var cancel = new CancellationTokenSource();
        var history = fit(new Trainer(Fresh(), options with
        {
            CheckpointPath = checkpoint,
            Cancellation = cancel.Token,
            Progress = new Inline(p => { if (p.Epoch == 1 && p.Batch == 6) cancel.Cancel(); }),
        }));
        Assert.Equal("cancelled", history.StopReason);
        return checkpoint;
    }

    private static float[] Resumed(string checkpoint, Func<Trainer, TrainingHistory> fit, TrainingOptions options,
        out TrainingHistory history)
    {
        var resumed = Fresh();
        var trainer = new Trainer(resumed, options);
        trainer.Resume(checkpoint);
        history = fit(trainer);
        return resumed.Store.Values.ToArray();
    }

    public static TheoryData<string> Modes => ["online", "offline", "disk"];

    private Func<Trainer, TrainingHistory> Fit(string mode)
    {
        var task = new TwoMoons();
        switch (mode)
        {
            case "online": return t => t.FitOnline(task);
            case "offline":
                var data = task.Sample(12 * 32, seed: 2);
                return t => t.FitOffline(data);
            default:
                string shards = Path.Combine(_dir, "shards");
                if (!Directory.Exists(shards))
                    using (var writer = new ShardedDatasetWriter(shards, rowsPerShard: 100))
                        writer.Append(task.Sample(12 * 32, seed: 2));
                var dataset = ShardedDataset.Open(shards);
                return t => t.FitDisk(dataset);
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void StoppedInsideEpoch_Resumed_EqualsUninterruptedBitwise(string mode)
    {
        var fit = Fit(mode);
        var straight = Fresh();
        var straightHistory = fit(new Trainer(straight, Options()));

        string checkpoint = StopInsideEpoch(fit, Options());
        var state = Checkpoint.Restore(checkpoint, Fresh());
        Assert.Single(state.Epochs);   // epoch 1 is not recorded as complete
        Assert.Equal(7, state.Position!.NextBatch);
        Assert.Equal(12 + 7, state.Steps);

        float[] resumed = Resumed(checkpoint, fit, Options(), out var history);
        Assert.Equal(straight.Store.Values.ToArray(), resumed);
        Assert.Equal(straightHistory.Steps, history.Steps);
        Assert.Equal(straightHistory.Epochs.Select(e => e.TrainLoss), history.Epochs.Select(e => e.TrainLoss));
    }

    [Fact]
    public void ResumeWithOtherSettings_RefusedNamingTheSetting()
    {
        var fit = Fit("online");
        string checkpoint = StopInsideEpoch(fit, Options());

        var seed = Assert.Throws<ArgumentException>(() => Resumed(checkpoint, fit, Options() with { Seed = 6 }, out _));
        Assert.Contains(checkpoint, seed.Message);
        Assert.Contains("seed 5", seed.Message);
        Assert.Contains("seed 6", seed.Message);

        var batch = Assert.Throws<ArgumentException>(
            () => Resumed(checkpoint, fit, Options() with { BatchSize = 16 }, out _));
        Assert.Contains("batch_size 32", batch.Message);

        var caller = Assert.Throws<ArgumentException>(() => Resumed(checkpoint, fit,
            Options() with { RunSettings = new Dictionary<string, string> { ["threads"] = "2" } }, out _));
        Assert.Contains("threads (not set)", caller.Message);

        var mode = Assert.Throws<ArgumentException>(() => Resumed(checkpoint, Fit("offline"), Options(), out _));
        Assert.Contains("mode online", mode.Message);
        Assert.Contains("mode offline", mode.Message);
    }
}
