using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Amortized.Networks.Optim;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Xunit;

namespace Amortized.Inference.Tests.Workflows;

public class TrainerBehaviourTests
{
    private static ContinuousApproximator Small(ulong seed = 11) => ContinuousApproximator.Build(new ApproximatorSpec
    {
        VariableDim = 2,
        ConditionDim = 2,
        Seed = seed,
        CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [16, 16], Dropout = 0f },
    }, new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions));

    [Fact]
    public void FitOffline_NonFiniteRows_AreDroppedAndCounted()
    {
        var data = new TwoMoons().Sample(300, seed: 1);
        var x = data.Get("x");
        x[0] = float.NaN;
        x[21] = float.PositiveInfinity;
        var history = new Trainer(Small(), new TrainingOptions { Epochs = 1, BatchSize = 300, Seed = 2 }).FitOffline(data);
        Assert.Equal(2, history.Epochs[0].DroppedRows);
        Assert.True(double.IsFinite(history.Epochs[0].TrainLoss));
    }

    [Fact]
    public void Fit_RepeatedNonFiniteLoss_StopsWithClearErrorAndKeepsBestWeights()
    {
        // The loss turns NaN from step 30 on (as a diverging model's would): steps are skipped, and after 5 in a
        // row training stops with an error while the weights of the best epoch stay in place.
        var inner = Small();
        var poisoned = new PoisonedApproximator(inner, fromStep: 30);
        var trainer = new Trainer(poisoned, new TrainingOptions { Epochs = 10, BatchesPerEpoch = 10, BatchSize = 16, Seed = 3, MaxConsecutiveNonFinite = 5 });
        var ex = Assert.Throws<InvalidOperationException>(() => trainer.FitOnline(new TwoMoons()));
        Assert.Contains("consecutive steps had a non-finite loss", ex.Message);
        Assert.Equal(3, trainer.History.Epochs.Count);
        Assert.Equal(30, trainer.History.Steps);
        Assert.All(inner.Store.Values.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    private sealed class PoisonedApproximator(ContinuousApproximator inner, long fromStep) : ITrainableApproximator
    {
        private long _step;

        public Adapter Adapter => inner.Adapter;
        public Amortized.Networks.ParameterStore Store => inner.Store;
        public bool Training { get => inner.Training; set => inner.Training = value; }
        public void BeginStep(ulong seed, long step)
        {
            _step = step;
            inner.BeginStep(seed, step);
        }
        public Tensor Loss(SimulationBatch adapted, bool updateStatistics)
        {
            var loss = inner.Loss(adapted, updateStatistics);
            return _step >= fromStep ? loss * float.NaN : loss;
        }
        public IReadOnlyDictionary<string, double[]> ExportState() => inner.ExportState();
        public void ImportState(IReadOnlyDictionary<string, double[]> state) => inner.ImportState(state);
    }

    [Fact]
    public void Fit_CancelledOrOverBudget_StopsCleanlyWithReason()
    {
        var task = new TwoMoons();
        using var cts = new CancellationTokenSource();
        int reports = 0;
        var progress = new SynchronousProgress(p => { if (++reports == 25) cts.Cancel(); });
        var history = new Trainer(Small(), new TrainingOptions { Epochs = 50, BatchesPerEpoch = 10, BatchSize = 16, Seed = 4, Cancellation = cts.Token, Progress = progress }).FitOnline(task);
        Assert.Equal("cancelled", history.StopReason);
        Assert.Equal(25, reports);
        Assert.Equal(25, history.Steps);

        var timed = new Trainer(Small(), new TrainingOptions { Epochs = 100_000, BatchesPerEpoch = 10, BatchSize = 16, Seed = 4, TimeBudget = TimeSpan.FromMilliseconds(300) }).FitOnline(task);
        Assert.Equal("time budget", timed.StopReason);
        Assert.True(timed.Epochs.Count < 100_000);
    }

    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    [Fact]
    public void FitDisk_ShardedDataset_TrainsAndMatchesOfflineLossScale()
    {
        var dir = Directory.CreateTempSubdirectory("amortized-disk-").FullName;
        try
        {
            var task = new TwoMoons();
            using (var writer = new ShardedDatasetWriter(dir, rowsPerShard: 256))
                for (int i = 0; i < 6; i++) writer.Append(task.Sample(200, seed: (ulong)i));
            var dataset = ShardedDataset.Open(dir);
            Assert.Equal(1200, dataset.Count);
            var history = new Trainer(Small(), new TrainingOptions { Epochs = 3, BatchSize = 64, Seed = 5 }).FitDisk(dataset);
            Assert.Equal(3, history.Epochs.Count);
            Assert.True(history.Epochs[^1].TrainLoss < history.Epochs[0].TrainLoss, $"loss {history.Epochs[0].TrainLoss} -> {history.Epochs[^1].TrainLoss}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void FitOffline_SeparateValidationSet_ReportsValidationLossAndStopsEarly()
    {
        var task = new TwoMoons();
        var history = new Trainer(Small(), new TrainingOptions
        {
            Epochs = 200, BatchSize = 32, Seed = 6, LearningRate = 3e-3f,
            ValidationData = task.Sample(200, seed: 77), EarlyStoppingPatience = 2,
        }).FitOffline(task.Sample(100, seed: 1));
        Assert.All(history.Epochs, e => Assert.True(e.ValidationLoss is { } v && double.IsFinite(v)));
        Assert.Equal("early stopping", history.StopReason);
        Assert.True(history.Epochs.Count < 200);
        Assert.Equal(history.Epochs.MinBy(e => e.ValidationLoss!.Value)!.Epoch, history.BestEpoch);
    }

    [Fact]
    public void OwnTrainingLoop_WithAnyOptimizer_ReducesLoss()
    {
        // Like Keras users writing their own loop after compile: the approximator's Loss is all it takes.
        var approximator = Small();
        var adapter = approximator.Adapter;
        var adam = new Adam(approximator.Store, new AdamOptions { LearningRate = LearningRateSchedule.Constant(1e-3f), WeightDecay = 1e-3f });
        var tape = new Tape();
        var task = new TwoMoons();
        double first = 0, last = 0;
        for (int step = 0; step < 150; step++)
        {
            var adapted = adapter.Forward(task.Sample(64, seed: (ulong)step));
            approximator.Store.ZeroGrad();
            using (tape.Record())
            {
                var loss = approximator.Loss(adapted, updateStatistics: true);
                tape.Backward(loss);
                if (step == 0) first = loss.Item();
                last = loss.Item();
            }
            adam.Update();
        }
        Assert.True(last < first - 0.5, $"loss {first:F3} -> {last:F3}");
    }

    [Fact]
    public void TwoMoons_PosteriorAtOrigin_HasTwoCrescents()
    {
        // x_1 depends on |theta1 + theta2|, so for x = (0, 0) the posterior is two crescents with
        // theta1 + theta2 of about +-(0.2 .. 0.5); both must hold draws.
        var workflow = new BasicWorkflow(
            new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions),
            new ApproximatorSpec { Seed = 7, CouplingFlow = new CouplingFlowOptions { Depth = 4, SubnetWidths = [64, 64], Transform = CouplingTransformKind.Spline, Dropout = 0f } },
            new TwoMoons());
        workflow.FitOnline(new TrainingOptions { Epochs = 10, BatchesPerEpoch = 100, BatchSize = 128, LearningRate = 1e-3f, Seed = 8 });
        var draws = workflow.Sample(new SimulationBatch(1).Set("x", [0f, 0f], 1, 2), 2000, seed: 9).Get("theta");
        int positive = 0, negative = 0;
        for (int i = 0; i < 2000; i++)
        {
            float s = draws[2 * i] + draws[2 * i + 1];
            if (s > 0.1f) positive++;
            else if (s < -0.1f) negative++;
        }
        Assert.True(positive > 300 && negative > 300, $"draws with theta1 + theta2 > 0.1: {positive}, < -0.1: {negative}");
    }
}
