using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators.Benchmarks;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Xunit;

namespace Amortized.Inference.Tests.Workflows;

public class ResumeTests
{
    private static ContinuousApproximator Fresh() => ContinuousApproximator.Build(new ApproximatorSpec
    {
        VariableDim = 2,
        ConditionDim = 2,
        Seed = 11,
        CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [16, 16] },   // dropout 0.05 on: its stream must resume too
    }, new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions));

    private static TrainingOptions Options(int epochs) => new() { Epochs = epochs, BatchesPerEpoch = 15, BatchSize = 32, Seed = 5, ValidationSimulations = 64 };

    [Fact]
    public void FitOnline_InterruptedAndResumed_EqualsUninterruptedBitwise()
    {
        var task = new TwoMoons();
        var straight = Fresh();
        new Trainer(straight, Options(4)).FitOnline(task);

        // The same run, captured at the end of epoch 2 as a checkpoint would be, then abandoned.
        var first = Fresh();
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

        var resumed = Fresh();
        resumed.Store.ImportValues(values!);
        resumed.ImportState(approximatorState!);
        var second = new Trainer(resumed, Options(4));
        second.ImportState(trainerState!);
        var history = second.FitOnline(task);

        Assert.Equal(4, history.Epochs.Count);
        Assert.Equal(straight.Store.Values.ToArray(), resumed.Store.Values.ToArray());
    }

    [Fact]
    public void FitOffline_SameSeed_SameModelBitwise()
    {
        var data = new TwoMoons().Sample(500, seed: 1);
        var a = Fresh();
        var b = Fresh();
        new Trainer(a, Options(3)).FitOffline(data);
        new Trainer(b, Options(3)).FitOffline(data);
        Assert.Equal(a.Store.Values.ToArray(), b.Store.Values.ToArray());
    }
}
