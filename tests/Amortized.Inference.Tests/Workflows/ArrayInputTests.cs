using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Amortized.Networks.Summaries;
using Xunit;

namespace Amortized.Inference.Tests.Workflows;

/// <summary>The fluent path: chained RowContext.Set, plain arrays into Sample, SimulationBatch.From.</summary>
public class ArrayInputTests
{
    /// <summary>A set x of n ~ U{5..14} points around mu, plus a fixed-size covariate z (2,).</summary>
    private static BasicWorkflow Workflow()
    {
        var simulator = Simulator.Build()
            .Context(r => r.Set("n", r.Integer(5, 15)))
            .Prior(r => r.Set("mu", r.Normal(0, 1)).Set("z", [r.Normal(), r.Normal()]))
            .Likelihood(r => r.Set("x", [.. Enumerable.Range(0, r.GetInt("n")).Select(_ => r.Normal(r.Get("mu"), 1))]));
        var adapter = new Adapter().AsSet("x").Sqrt("n")
            .Concatenate(["mu"], Keys.InferenceVariables)
            .Concatenate(["n", "z"], Keys.InferenceConditions)
            .Concatenate(["x"], Keys.SummaryVariables);
        var workflow = new BasicWorkflow(adapter, new ApproximatorSpec
        {
            CouplingFlow = new CouplingFlowOptions { Depth = 1, SubnetWidths = [8] },
            Summary = SummaryNetworkKind.DeepSet,
            DeepSet = new DeepSetOptions { SummaryDim = 4 },
        }, simulator);
        workflow.FitOnline(new TrainingOptions { Epochs = 1, BatchesPerEpoch = 2, BatchSize = 8 });
        return workflow;
    }

    [Fact]
    public void ChainedSet_SetsEveryKey()
    {
        var batch = Simulator.Build().Prior(r => r.Set("a", 1f).Set("b", 2).Set("c", [3f, 4f]).Set("d", [5f, 6f], 1, 2))
            .Sample(2, seed: 0);
        Assert.Equal(["a", "b", "c", "d"], batch.Keys);
        Assert.Equal([2, 1, 2], batch.Shape("d").ToArray());
        Assert.True(batch.IsInteger("b"));
    }

    [Fact]
    public void From_AddsTheBatchAxis()
    {
        var batch = SimulationBatch.From(("x", [1f, 2f, 3f, 4f, 5f, 6f], [3, 2]), ("n", [3f], []));
        Assert.Equal(1, batch.BatchSize);
        Assert.Equal([1, 3, 2], batch.Shape("x").ToArray());
        Assert.Equal([1], batch.Shape("n").ToArray());
        var e = Assert.Throws<ArgumentException>(() => SimulationBatch.From(("x", [1f, 2f, 3f], [2])));
        Assert.Contains("'x'", e.Message);
    }

    [Fact]
    public void Sample_PlainArrays_TakeTheModelsShapes()
    {
        var workflow = Workflow();
        float[] x = [0.5f, 1.5f, 1.0f, 0.2f, 0.9f, 1.1f, 0.7f];
        var arrays = new Dictionary<string, float[]> { ["x"] = x, ["n"] = [x.Length], ["z"] = [0.1f, -0.2f] };
        var observation = workflow.Observation(arrays);
        Assert.Equal([1, 7], observation.Shape("x").ToArray());   // a set of open size
        Assert.Equal([1], observation.Shape("n").ToArray());      // a scalar
        Assert.Equal([1, 2], observation.Shape("z").ToArray());   // a fixed vector
        var fromArrays = workflow.Sample(arrays, numSamples: 50, seed: 3);
        var fromBatch = workflow.Sample(SimulationBatch.From(("x", x, [7]), ("n", [7f], []), ("z", [0.1f, -0.2f], [2])), 50, 3);
        Assert.Equal([1, 50], fromArrays.Shape("mu").ToArray());
        Assert.Equal(fromBatch.Get("mu"), fromArrays.Get("mu"));

        arrays["z"] = [1f, 2f, 3f];
        var e = Assert.Throws<ArgumentException>(() => workflow.Observation(arrays));
        Assert.Contains("'z'", e.Message);
        Assert.Contains("3 values", e.Message);
        Assert.Contains("(2)", e.Message);
    }
}
