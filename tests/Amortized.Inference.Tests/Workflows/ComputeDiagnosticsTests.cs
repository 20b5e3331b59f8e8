using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Xunit;

namespace Amortized.Inference.Tests.Workflows;

/// <summary>BasicWorkflow.ComputeDiagnostics: the design sketch's one-call check of a trained workflow.</summary>
public class ComputeDiagnosticsTests
{
    [Fact]
    public void TrainedGaussianLinear_RecoversTheParameters_AndContracts()
    {
        var task = new GaussianLinear();
        var workflow = new BasicWorkflow(task.DefaultAdapter(), new ApproximatorSpec
        {
            CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [32, 32], Dropout = 0f },
            Seed = 4,
        }, task);
        workflow.FitOnline(new TrainingOptions { Epochs = 8, BatchesPerEpoch = 60, BatchSize = 64, LearningRate = 1e-3f, Seed = 5 });
        var report = workflow.ComputeDiagnostics(numDatasets: 120, numSamples: 200, seed: 6);
        Assert.Equal((120, 200, 10), (report.Datasets, report.Draws, report.Parameters));
        // The exact posterior N(x/2, 0.05) has recovery r = sqrt(1/2) = 0.71 and contraction 1 - sqrt(0.5) = 0.29.
        Assert.All(report.Recovery.Correlation, r => Assert.InRange(r, 0.5, 0.9));
        Assert.All(report.MedianContraction, c => Assert.InRange(c, 0.15, 0.45));
    }

    [Fact]
    public void CustomSimulator_FindsTheParameterKeysInTheAdapter()
    {
        var simulator = Simulator.Build().Prior(r => r.Set("mu", [r.Normal(0, 1)])).Likelihood(r => r.Set("x", [r.Normal(r.Get("mu"), 1)]));
        var adapter = new Adapter().Concatenate(["mu"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions);
        var workflow = new BasicWorkflow(adapter, new ApproximatorSpec { CouplingFlow = new CouplingFlowOptions { Depth = 1, SubnetWidths = [8] } }, simulator);
        workflow.FitOnline(new TrainingOptions { Epochs = 1, BatchesPerEpoch = 2, BatchSize = 16 });
        var report = workflow.ComputeDiagnostics(10, 20);
        Assert.Equal(["mu"], report.Names);
        // The old single-key argument still works and gives the same report.
        Assert.Equal(report.Ranks, workflow.ComputeDiagnostics(10, 20, parameterKey: "mu").Ranks);
        var e = Assert.Throws<ArgumentException>(() => workflow.ComputeDiagnostics(10, 20, parameterKey: "x"));
        Assert.Equal("parameterKey", e.ParamName);
        Assert.Contains("[mu]", e.Message);
    }
}
