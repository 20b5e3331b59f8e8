using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Serialization;
using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Xunit;

namespace Amortized.Inference.Tests.Workflows;

public class ResumeTests
{
    // With conditionalAffine the flow is initialised by least squares before the first step: a resumed run must
    // not initialise again, and the initialisation must be as deterministic as the steps.
    private static ContinuousApproximator Fresh(bool conditionalAffine = false) => ContinuousApproximator.Build(new ApproximatorSpec
    {
        VariableDim = 2,
        ConditionDim = 2,
        Seed = 11,
        CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [16, 16], ConditionalAffine = conditionalAffine },   // dropout 0.05 on: its stream must resume too
    }, new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions));

    private static TrainingOptions Options(int epochs) => new() { Epochs = epochs, BatchesPerEpoch = 15, BatchSize = 32, Seed = 5, ValidationSimulations = 64 };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FitOnline_InterruptedAndResumed_EqualsUninterruptedBitwise(bool conditionalAffine)
    {
        var task = new TwoMoons();
        var straight = Fresh(conditionalAffine);
        new Trainer(straight, Options(4)).FitOnline(task);

        // The same run, captured at the end of epoch 2 as a checkpoint would be, then abandoned.
        var first = Fresh(conditionalAffine);
        Dictionary<string, float[]>? values = null;
        IReadOnlyDictionary<string, double[]>? approximatorState = null;
        TrainerState? trainerState = null;
        var options = Options(4) with
        {
            OnEpochEnd = t =>
            {
                if (t.History.Epochs.Count != 2) return;
                values = first.Store.ExportValues();
                approximatorState = first.ExportState();
                trainerState = t.ExportState();
            },
        };
        new Trainer(first, options).FitOnline(task);

        var resumed = Fresh(conditionalAffine);
        resumed.Store.ImportValues(values!);
        resumed.ImportState(approximatorState!);
        var second = new Trainer(resumed, Options(4));
        second.ImportState(trainerState!);
        var history = second.FitOnline(task);

        Assert.Equal(4, history.Epochs.Count);
        Assert.Equal(straight.Store.Values.ToArray(), resumed.Store.Values.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FitOffline_SameSeed_SameModelBitwise(bool conditionalAffine)
    {
        var data = new TwoMoons().Sample(500, seed: 1);
        var a = Fresh(conditionalAffine);
        var b = Fresh(conditionalAffine);
        new Trainer(a, Options(3)).FitOffline(data);
        new Trainer(b, Options(3)).FitOffline(data);
        Assert.Equal(a.Store.Values.ToArray(), b.Store.Values.ToArray());
    }
}

public class ModelFileWorkflowTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("amortized-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static BasicWorkflow NewWorkflow(bool conditionalAffine = false) => new(
        new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions),
        new ApproximatorSpec
        {
            Seed = 3,
            CouplingFlow = new CouplingFlowOptions
            {
                Depth = 2, SubnetWidths = [16, 16], Transform = CouplingTransformKind.Spline, Permutation = PermutationKind.Learnable,
                ConditionalAffine = conditionalAffine,
            },
        },
        new TwoMoons());

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SaveLoad_RoundTrip_GivesIdenticalDrawsAndDensities(bool conditionalAffine)
    {
        var workflow = NewWorkflow(conditionalAffine);
        workflow.FitOnline(new TrainingOptions { Epochs = 2, BatchesPerEpoch = 10, BatchSize = 32, Seed = 1 });
        string path = Path.Combine(_dir, "model.amz");
        workflow.Save(path, new Dictionary<string, string> { ["task"] = "two_moons" });
        var loaded = BasicWorkflow.Load(path);
        var data = new TwoMoons().Sample(5, seed: 9);
        var observed = new SimulationBatch(5).Set("x", data.Get("x"), 5, 2);
        Assert.Equal(workflow.Sample(observed, 50, seed: 4).Get("theta"), loaded.Sample(observed, 50, seed: 4).Get("theta"));
        Assert.Equal(workflow.LogProb(data), loaded.LogProb(data));
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(workflow.Spec, Amortized.Inference.Serialization.SpecJsonContext.Default.ApproximatorSpec),
            System.Text.Json.JsonSerializer.Serialize(loaded.Spec, Amortized.Inference.Serialization.SpecJsonContext.Default.ApproximatorSpec));
        Assert.DoesNotContain(Directory.GetFiles(_dir), f => f != path);
        Amortized.Inference.Serialization.ApproximatorFile.Load(path, out var metadata);
        Assert.Equal("two_moons", metadata["task"]);
    }

    [Fact]
    public void Load_TruncatedFile_ThrowsInvalidData()
    {
        var workflow = NewWorkflow();
        workflow.FitOnline(new TrainingOptions { Epochs = 1, BatchesPerEpoch = 2, BatchSize = 8, Seed = 1 });
        string path = Path.Combine(_dir, "model.amz");
        workflow.Save(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var ex = Assert.Throws<InvalidDataException>(() => BasicWorkflow.Load(path));
        Assert.Contains(path, ex.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CheckpointResume_FromFile_EqualsUninterruptedBitwise(bool conditionalAffine)
    {
        var options = new TrainingOptions { Epochs = 4, BatchesPerEpoch = 10, BatchSize = 32, Seed = 5, ValidationSimulations = 64 };
        var straight = NewWorkflow(conditionalAffine);
        straight.FitOnline(options);

        // First run writes a checkpoint every epoch and is "killed" after epoch 2 (its later epochs are ignored).
        string checkpoint = Path.Combine(_dir, "run.ckpt");
        string atEpoch2 = Path.Combine(_dir, "epoch2.ckpt");
        var first = NewWorkflow(conditionalAffine);
        first.FitOnline(options with
        {
            CheckpointPath = checkpoint,
            OnEpochEnd = t => { if (t.History.Epochs.Count == 2) File.Copy(checkpoint, atEpoch2); },
        });

        var resumed = NewWorkflow(conditionalAffine);
        resumed.FitOnline(options with { Epochs = 1, BatchesPerEpoch = 1 });   // builds the networks; weights are replaced below
        var approximator = resumed.Approximator!;
        var fresh = Amortized.Inference.Approximators.ContinuousApproximator.Build(approximator.Spec!, approximator.Adapter);
        var trainer = new Trainer(fresh, options);
        trainer.Resume(atEpoch2);
        var history = trainer.FitOnline(new TwoMoons());
        Assert.Equal(4, history.Epochs.Count);
        Assert.Equal(straight.Approximator!.Store.Values.ToArray(), fresh.Store.Values.ToArray());
    }
}
