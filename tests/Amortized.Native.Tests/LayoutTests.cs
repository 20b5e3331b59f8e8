using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;
using Amortized.Inference.Simulators;
using Amortized.Networks.Flows;
using Xunit;

namespace Amortized.Native.Tests;

/// <summary>
/// The observation layout: tracing raw keys and shapes back through each kind of adapter transform, the
/// ObservationShapes JSON, and a model without conditions.
/// </summary>
public sealed class LayoutTests
{
    /// <summary>
    /// Fits the adapter on a batch of 2 (so concatenate sizes, set ranks and broadcast shapes are recorded as in
    /// a saved model), traces it, and checks the traced layout really produces the network inputs.
    /// </summary>
    private static List<KeyValuePair<string, int[]?>> FitAndTrace(Adapter adapter, SimulationBatch raw, ApproximatorSpec spec)
    {
        SimulationBatch adapted = adapter.Forward(raw);
        var traced = AdapterKeyFlow.Trace(Adapter.FromJson(adapter.ToJson()), spec);
        if (traced.All(k => k.Value is not null && k.Value.All(d => d > 0)))
        {
            var zeros = new SimulationBatch(1);
            foreach (var (key, shape) in traced) zeros.Set(key, new float[shape!.Aggregate(1, (p, d) => p * d)], [1, .. shape!]);
            SimulationBatch probe = adapter.Forward(zeros, strict: false);
            foreach (string key in (string[])[Keys.InferenceConditions, Keys.SummaryVariables, Keys.SummaryMask])
                if (adapted.Contains(key)) Assert.Equal(adapted.Shape(key)[1..].ToArray(), probe.Shape(key)[1..].ToArray());
        }
        return traced;
    }

    private static string Describe(List<KeyValuePair<string, int[]?>> traced) =>
        string.Join(", ", traced.Select(k => $"{k.Key} {KeyLayout.FormatShape(k.Value)}"));

    [Fact]
    public void Trace_SetModel_LeavesSetSizesOpenAndKeepsTheMask()
    {
        var raw = new SimulationBatch(2).Set("mu", new float[2], 2, 1).Set("n", [3, 4], 2)
            .Set("x", new float[10], 2, 5).Set("observed", new float[10], 2, 5);
        var adapter = new Adapter().ExpandDims("x", -1).Sqrt("n").Concatenate(["mu"], Keys.InferenceVariables)
            .Concatenate(["n"], Keys.InferenceConditions).Rename("x", Keys.SummaryVariables).Rename("observed", Keys.SummaryMask);
        var spec = new ApproximatorSpec { VariableDim = 1, ConditionDim = 1, Summary = SummaryNetworkKind.DeepSet, SummaryInputDim = 1 };
        Assert.Equal("x (?,), n (), observed (?,)", Describe(FitAndTrace(adapter, raw, spec)));
    }

    [Fact]
    public void Trace_SetWithoutMask_DropsTheOptionalMask()
    {
        var raw = new SimulationBatch(2).Set("mu", new float[2], 2, 1).Set("x", new float[10], 2, 5);
        var adapter = new Adapter().Concatenate(["mu"], Keys.InferenceVariables).AsSet("x").Rename("x", Keys.SummaryVariables);
        var spec = new ApproximatorSpec { VariableDim = 1, Summary = SummaryNetworkKind.DeepSet, SummaryInputDim = 1 };
        Assert.Equal("x (?,)", Describe(FitAndTrace(adapter, raw, spec)));
    }

    [Fact]
    public void Trace_BroadcastIntoSet_RecoversThePerRowShape()
    {
        var raw = new SimulationBatch(2).Set("mu", new float[2], 2, 1).Set("n", [3, 4], 2).Set("x", new float[10], 2, 5);
        var adapter = new Adapter().Concatenate(["mu"], Keys.InferenceVariables).AsSet("x").Broadcast(["n"], to: "x")
            .Concatenate(["x", "n"], Keys.SummaryVariables);
        var spec = new ApproximatorSpec { VariableDim = 1, Summary = SummaryNetworkKind.DeepSet, SummaryInputDim = 2 };
        Assert.Equal("x (?,), n ()", Describe(FitAndTrace(adapter, raw, spec)));
    }

    [Fact]
    public void Trace_SplitOneHotSqueezeAndElementwise_GiveRawShapes()
    {
        var raw = new SimulationBatch(2).Set("theta", new float[4], 2, 2)
            .Set("data", new float[12], 2, 6).Set("label", [0, 2], 2).Set("z", new float[6], 2, 1, 3).Set("w", new float[4], 2, 2);
        var adapter = new Adapter()
            .Concatenate(["theta"], Keys.InferenceVariables)
            .Split("data", ["a", "b"], [2, 4]).Drop("a")
            .OneHot("label", 3)
            .Squeeze("z", 1).Log1p("z")
            .Standardize("w", 1.0, 2.0)
            .Concatenate(["b", "label", "z", "w"], Keys.InferenceConditions);
        var spec = new ApproximatorSpec { VariableDim = 2, ConditionDim = 4 + 3 + 3 + 2 };
        Assert.Equal("data (6,), label (), z (1, 3), w (2,)", Describe(FitAndTrace(adapter, raw, spec)));
    }

    [Fact]
    public void Trace_TakeAndNanToNumMask_MarkWhatTheModelDoesNotFix()
    {
        var raw = new SimulationBatch(2).Set("theta", new float[2], 2, 1).Set("w", new float[10], 2, 5).Set("x", new float[8], 2, 4);
        var adapter = new Adapter().Concatenate(["theta"], Keys.InferenceVariables)
            .Take("w", [0, 3], axis: -1).Concatenate(["w"], Keys.InferenceConditions)
            .AsSet("x").NanToNum("x", 0, maskKey: "m").Squeeze("m", -1).Rename("m", Keys.SummaryMask).Rename("x", Keys.SummaryVariables);
        var spec = new ApproximatorSpec { VariableDim = 1, ConditionDim = 2, Summary = SummaryNetworkKind.DeepSet, SummaryInputDim = 1 };
        Assert.Equal("w (?,), x (?,)", Describe(FitAndTrace(adapter, raw, spec)));
    }

    [Fact]
    public void Trace_NetworkKeysGivenDirectly_AreRawKeys()
    {
        var raw = new SimulationBatch(2).Set("theta", new float[2], 2, 1).Set(Keys.InferenceConditions, new float[6], 2, 3);
        var adapter = new Adapter().Concatenate(["theta"], Keys.InferenceVariables);
        Assert.Equal("inference_conditions (3,)", Describe(FitAndTrace(adapter, raw, new ApproximatorSpec { VariableDim = 1, ConditionDim = 3 })));
    }

    [Fact]
    public void ObservationShapes_FormatAndParse_RoundTripInOrder()
    {
        string json = ObservationShapes.Format([new("x", [100, 2]), new("n", []), new("a", [1])]);
        Assert.Equal("{\"x\":[100,2],\"n\":[],\"a\":[1]}", json);
        var parsed = ObservationShapes.Parse(json);
        Assert.Equal(["x", "n", "a"], parsed.Select(p => p.Key));
        Assert.Equal([100, 2], parsed[0].Value);
        Assert.Empty(parsed[1].Value);
        Assert.Throws<ArgumentException>(() => ObservationShapes.Format([new("x", [3]), new("x", [3])]));
        Assert.Throws<ArgumentException>(() => ObservationShapes.Format([new("x", [-1])]));
        Assert.Throws<FormatException>(() => ObservationShapes.Parse("{\"x\": [1.5]}"));
        Assert.Throws<FormatException>(() => ObservationShapes.Parse("{\"x\": 3}"));
        Assert.Throws<FormatException>(() => ObservationShapes.Parse("{\"x\": [1], \"x\": [2]}"));
    }

    [Fact]
    public void UnconditionalModel_HasNoObservationsAndSamplesOneSetAtATime()
    {
        var adapter = new Adapter().Concatenate(["theta"], Keys.InferenceVariables);
        var approximator = ContinuousApproximator.Build(new ApproximatorSpec
        {
            VariableDim = 2,
            Seed = 4,
            CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [8] },
        }, adapter);
        adapter.Forward(new SimulationBatch(1).Set("theta", [0.5f, -0.5f], 1, 2));   // records the split sizes, as training does
        string path = Path.Combine(TestModels.Instance.Root, "unconditional.amz");
        ApproximatorFile.Save(path, approximator);

        nint model = Api.LoadOrThrow(path);
        try
        {
            Assert.Equal(Api.Ok, Api.ObservationSize(model, out long size));
            Assert.Equal(0, size);
            var draws = new float[30 * 2];
            Assert.Equal(Api.Ok, Api.Sample(model, null, 1, 30, 9, draws));
            Assert.Equal(ApproximatorFile.Load(path).Sample(new SimulationBatch(1), 30, 9).Get("theta"), draws);
            Assert.Equal(Api.InvalidArgument, Api.Sample(model, null, 2, 30, 9, new float[120]));
            Assert.Contains("unconditional", Api.LastError());
        }
        finally
        {
            Api.Free(model);
        }
    }
}
