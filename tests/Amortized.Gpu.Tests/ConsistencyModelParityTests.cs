using Amortized.Inference;
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Xunit;

namespace Amortized.Gpu.Tests;

/// <summary>
/// The consistency model on the GPU backend: the same seed trains the same weights as on the CPU (within 1e-4 after 3
/// steps, dropout and the curriculum's host-drawn noise levels included) and multistep sampling draws the same
/// posterior samples (within 1e-3).
/// </summary>
public sealed class ConsistencyModelParityTests(GpuBackendFixture fixture) : IClassFixture<GpuBackendFixture>
{
    private readonly GpuBackend _gpu = fixture.Backend;

    [Fact]
    public void TrainAndSample_MatchCpu()
    {
        static ContinuousApproximator Fresh() => ContinuousApproximator.Build(new ApproximatorSpec
        {
            VariableDim = 2,
            ConditionDim = 2,
            Seed = 11,
            Inference = InferenceNetworkKind.ConsistencyModel,
            ConsistencyModel = new ConsistencyModelOptions { Widths = [8, 8], Dropout = 0.05f, SamplingSteps = 3 },
        }, new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions));
        var task = new TwoMoons();
        SimulationBatch data = task.Sample(30, seed: 1), observed = task.Sample(2, seed: 9);
        var options = new TrainingOptions { Epochs = 1, BatchSize = 8, Seed = 5, ValidationFraction = 0.2 };
        var cpu = Fresh();
        new Trainer(cpu, options).FitOffline(data);
        var gpu = Fresh();
        gpu.Store.MoveTo(_gpu);
        var history = new Trainer(gpu, options).FitOffline(data);
        Assert.Equal(3, history.Steps);
        Assert.Same(_gpu, gpu.Store.Backend);
        ApproximatorParityTests.AssertWeightsClose(cpu, gpu);
        // Trained: the output layer left zero.
        Assert.Contains(cpu.Store.Find("inference.net.output.kernel")!.ToArray(), v => v != 0f);
        OpParityTests.AssertClose(cpu.Sample(observed, 16, seed: 3).Get("theta"),
            gpu.Sample(observed, 16, seed: 3).Get("theta"), "posterior draws", rtol: 1e-3f, atol: 1e-3f);
    }
}
