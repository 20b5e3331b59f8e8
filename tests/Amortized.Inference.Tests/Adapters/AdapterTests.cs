using Amortized.Inference.Adapters;
using Amortized.Inference.Simulators;
using Amortized.Tensors;
using Amortized.Testing;
using Xunit;

namespace Amortized.Inference.Tests.Adapters;

public sealed class AdapterTests
{
    /// <summary>Positive data in (0.5, 3) so log, sqrt and one-sided constraints apply.</summary>
    private static SimulationBatch Data()
    {
        var rng = new Rng(TestSeeds.Default);
        var a = new float[4 * 3];
        var b = new float[4];
        var set = new float[4 * 5];
        rng.FillUniform(a, 0.5f, 3f);
        rng.FillUniform(b, 0.5f, 3f);
        rng.FillUniform(set, 0.5f, 3f);
        var labels = new float[] { 0, 2, 1, 2 };
        return new SimulationBatch(4).Set("a", a, 4, 3).Set("b", b, 4).Set("set", set, 4, 5).Set("label", labels, 4);
    }

    public static TheoryData<string> InvertibleTransforms() =>
    [
        "rename", "concatenate", "split", "standardize", "standardize_per_feature", "log", "log1p", "sqrt", "scale", "shift",
        "constrain_lower", "constrain_upper", "constrain_both", "constrain_exp", "constrain_reject", "as_set", "as_time_series", "broadcast",
        "expand_dims", "squeeze", "one_hot", "nan_to_num", "to_float32",
    ];

    private static Adapter Make(string name) => name switch
    {
        "rename" => new Adapter().Rename("a", "theta"),
        "concatenate" => new Adapter().Concatenate(["a", "b"], Keys.InferenceVariables),
        "split" => new Adapter().Split("a", ["a1", "a2"], [1, 2]),
        "standardize" => new Adapter().Standardize("a", 1.5, 0.7),
        "standardize_per_feature" => new Adapter().Standardize("a", [1, 2, 3], [0.5, 1, 2]),
        "log" => new Adapter().Log("a", "b"),
        "log1p" => new Adapter().Log1p("a"),
        "sqrt" => new Adapter().Sqrt("b"),
        "scale" => new Adapter().Scale("a", -2.5),
        "shift" => new Adapter().Shift("a", 4),
        "constrain_lower" => new Adapter().Constrain("a", lower: 0.5),
        "constrain_upper" => new Adapter().Constrain("a", upper: 3),
        "constrain_both" => new Adapter().Constrain("a", lower: 0.5, upper: 3),
        "constrain_exp" => new Adapter().Constrain("a", lower: 0, method: ConstraintMethod.Exp),
        "constrain_reject" => new Adapter().Constrain("a", lower: 0.5, upper: 3, method: ConstraintMethod.Reject),
        "as_set" => new Adapter().AsSet("set"),
        "as_time_series" => new Adapter().AsTimeSeries("set"),
        "broadcast" => new Adapter().Broadcast(["b"], "set"),
        "expand_dims" => new Adapter().ExpandDims("a", -1),
        "squeeze" => new Adapter().ExpandDims("a", 1).Squeeze("a", 1),
        "one_hot" => new Adapter().OneHot("label", 3),
        "nan_to_num" => new Adapter().NanToNum("a", 0, "a_mask"),
        "to_float32" => new Adapter().ToFloat32("label"),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(InvertibleTransforms))]
    public void InverseOfForward_EveryInvertibleTransform_GivesBackData(string name)
    {
        SimulationBatch d = Data();
        if (name == "nan_to_num") d.Get("a")[4] = float.NaN;
        Adapter adapter = Make(name);
        SimulationBatch back = adapter.Inverse(adapter.Forward(d), strict: true);
        Assert.Equal(d.Keys.OrderBy(k => k), back.Keys.OrderBy(k => k));
        foreach (string key in d.Keys)
        {
            Assert.Equal(d.Shape(key).ToArray(), back.Shape(key).ToArray());
            float[] expected = d.Get(key), actual = back.Get(key);
            for (int i = 0; i < expected.Length; i++)
            {
                if (float.IsNaN(expected[i])) { Assert.True(float.IsNaN(actual[i]), $"{name} {key}[{i}]"); continue; }
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-5 * Math.Max(1, Math.Abs(expected[i])),
                    $"{name}: {key}[{i}] is {actual[i]}, expected {expected[i]}");
            }
        }
    }

    /// <summary>Every elementwise transform whose log|dy/dx| we check against a central difference in double.</summary>
    public static TheoryData<string> ElementwiseTransforms() =>
        ["standardize", "log", "log1p", "sqrt", "scale", "shift", "constrain_lower", "constrain_upper", "constrain_both", "constrain_exp",
         "constrain_reject"];

    private static ElementwiseTransform Elementwise(string name) => name switch
    {
        "standardize" => new StandardizeTransform(["a"], [1.5], [0.7]),
        "log" => new LogTransform(["a"], false),
        "log1p" => new LogTransform(["a"], true),
        "sqrt" => new SqrtTransform(["a"]),
        "scale" => new ScaleTransform(["a"], -2.5),
        "shift" => new ShiftTransform(["a"], 4),
        "constrain_lower" => new ConstrainTransform(["a"], 0.5, null, ConstraintMethod.Softplus, 1e-6),
        "constrain_upper" => new ConstrainTransform(["a"], null, 3, ConstraintMethod.Softplus, 1e-6),
        "constrain_both" => new ConstrainTransform(["a"], 0.5, 3, ConstraintMethod.Sigmoid, 1e-6),
        "constrain_exp" => new ConstrainTransform(["a"], 0, null, ConstraintMethod.Exp, 1e-6),
        "constrain_reject" => new ConstrainTransform(["a"], 0.5, 3, ConstraintMethod.Reject, 1e-6),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(ElementwiseTransforms))]
    public void LogDerivative_EveryElementwiseTransform_MatchesFiniteDifference(string name)
    {
        ElementwiseTransform t = Elementwise(name);
        foreach (double x in new[] { 0.6, 0.9, 1.3, 2.0, 2.9 })
        {
            const double h = 1e-6;
            double fd = (t.ForwardValue(x + h, 0) - t.ForwardValue(x - h, 0)) / (2 * h);
            Assert.Equal(Math.Log(Math.Abs(fd)), t.LogDerivative(x, 0), 1e-6);
            Assert.Equal(x, t.InverseValue(t.ForwardValue(x, 0), 0), 1e-10);
        }
    }

    [Fact]
    public void ForwardWithLogDet_SumsOverLastAxisAndInverseCancels()
    {
        SimulationBatch d = Data();
        var adapter = new Adapter().Constrain("a", lower: 0.5, upper: 3).Standardize("b", 1, 2).Concatenate(["a", "b"], Keys.InferenceVariables);
        AdapterResult fwd = adapter.ForwardWithLogDet(d);
        float[] ldj = fwd.LogDetJacobian[Keys.InferenceVariables];
        Assert.Equal(4, ldj.Length);
        var constrain = new ConstrainTransform(["a"], 0.5, 3, ConstraintMethod.Sigmoid, 1e-6);
        for (int r = 0; r < 4; r++)
        {
            double expected = -Math.Log(2);
            foreach (float v in d.Row("a", r)) expected += constrain.LogDerivative(v, 0);
            Assert.Equal(expected, ldj[r], 4);
        }
        AdapterResult inv = adapter.InverseWithLogDet(fwd.Data);
        // The inverse splits the keys again, so its log-dets are per original key.
        float[] backA = inv.LogDetJacobian["a"], backB = inv.LogDetJacobian["b"];
        for (int r = 0; r < 4; r++) Assert.Equal(-ldj[r], backA[r] + backB[r], 4);
    }

    [Fact]
    public void Inverse_ConcatenatedSamplesWithSampleAxis_SplitsBack()
    {
        var adapter = new Adapter().Concatenate(["a", "b"], Keys.InferenceVariables);
        adapter.Forward(Data());
        var samples = new SimulationBatch(4).Set(Keys.InferenceVariables, new float[4 * 7 * 4], 4, 7, 4);
        SimulationBatch back = adapter.Inverse(samples);
        Assert.Equal(new[] { 4, 7, 3 }, back.Shape("a").ToArray());
        Assert.Equal(new[] { 4, 7 }, back.Shape("b").ToArray());
    }

    [Fact]
    public void Forward_StrictMissingKey_ListsKeysPresent()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => new Adapter().Log("nope").Forward(Data()));
        Assert.Contains("'nope'", e.Message);
        Assert.Contains("[a, b, set, label]", e.Message);
    }

    [Fact]
    public void Forward_Lenient_SkipsTransformsOfAbsentKeys()
    {
        var adapter = new Adapter().Log("theta").Concatenate(["theta"], Keys.InferenceVariables).Sqrt("b");
        SimulationBatch result = adapter.Forward(Data(), strict: false);
        Assert.False(result.Contains(Keys.InferenceVariables));
        Assert.Equal(MathF.Sqrt(Data().Get("b")[0]), result.Get("b")[0], 6);
    }

    [Fact]
    public void Constrain_DataOnBound_StaysFinite()
    {
        var d = new SimulationBatch(3).Set("p", [0f, 0.5f, 1f], 3);
        foreach (Adapter a in new[] { new Adapter().Constrain("p", 0, 1), new Adapter().Constrain("p", lower: 0), new Adapter().Constrain("p", upper: 1) })
        {
            AdapterResult r = a.ForwardWithLogDet(d);
            Assert.All(r.Data.Get("p"), v => Assert.True(float.IsFinite(v)));
            Assert.All(r.LogDetJacobian["p"], v => Assert.True(float.IsFinite(v)));
        }
    }

    [Fact]
    public void ConstrainReject_MarksDrawsOutsideAndGivesThemZeroDensity()
    {
        // One bound or two: the network sees raw values; on the way back a value outside becomes NaN (redrawn by
        // the sampler), and forward a value outside has log density -inf; the bounds themselves belong to the support.
        foreach (var (adapter, outside, inside) in new (Adapter, float, float)[]
        {
            (new Adapter().Constrain("p", -1, 1, ConstraintMethod.Reject), 1.0001f, -1f),
            (new Adapter().Constrain("p", lower: 0, method: ConstraintMethod.Reject), -0.25f, 0f),
            (new Adapter().Constrain("p", upper: 2, method: ConstraintMethod.Reject), 2.5f, 2f),
        })
        {
            Assert.True(adapter.RejectsOutsideSupport);
            var d = new SimulationBatch(2).Set("p", [outside, inside], 2);
            AdapterResult forward = adapter.ForwardWithLogDet(d);
            Assert.Equal(d.Get("p"), forward.Data.Get("p"));
            Assert.Equal(float.NegativeInfinity, forward.LogDetJacobian["p"][0]);
            Assert.Equal(0f, forward.LogDetJacobian["p"][1]);
            float[] back = adapter.Inverse(d.Clone()).Get("p");
            Assert.True(float.IsNaN(back[0]), $"{outside} came back as {back[0]}");
            Assert.Equal(inside, back[1]);
            Assert.Equal(adapter.ToJson(), Adapter.FromJson(adapter.ToJson()).ToJson());
            Assert.True(Adapter.FromJson(adapter.ToJson()).RejectsOutsideSupport);
        }
        Assert.False(new Adapter().Constrain("p", -1, 1).RejectsOutsideSupport);
    }

    [Fact]
    public void OneHot_ValueOutOfRange_NamesKeyExpectedActual()
    {
        var e = Assert.Throws<ArgumentException>(() => new Adapter().OneHot("label", 2).Forward(Data()));
        Assert.Contains("'label'", e.Message);
        Assert.Contains("[0, 2)", e.Message);
        Assert.Contains("is 2", e.Message);
    }

    [Fact]
    public void TakeAndRandomSubsample_SelectAlongAxis()
    {
        SimulationBatch d = Data();
        SimulationBatch taken = new Adapter().Take("set", [4, 0]).Forward(d);
        Assert.Equal(new[] { 4, 2 }, taken.Shape("set").ToArray());
        Assert.Equal(d.Row("set", 1)[4], taken.Row("set", 1)[0]);
        SimulationBatch sub = new Adapter().RandomSubsample("set", 3).Forward(d, rng: new Rng(1));
        Assert.Equal(new[] { 4, 3 }, sub.Shape("set").ToArray());
        Assert.Throws<InvalidOperationException>(() => new Adapter().RandomSubsample("set", 3).Forward(d));
    }

    [Fact]
    public void Json_RoundTrip_SameForwardAndInverse()
    {
        var adapter = new Adapter()
            .Constrain("a", lower: 0.5, upper: 3).Log1p("b").Standardize("b", [0.1], [2]).AsSet("set").Broadcast(["b"], "set")
            .OneHot("label", 3).Shift("a", 1).Scale("a", 2).NanToNum("a", 0, "mask").Rename("mask", "m").Drop("m")
            .ExpandDims("label", 1).Squeeze("label", 1).ToFloat32("label").Take("set", [0, 2], axis: 1)
            .Concatenate(["a"], Keys.InferenceVariables).Split(Keys.InferenceVariables, ["x1", "x2"], [1, 2])
            .Concatenate(["x1", "x2"], Keys.InferenceVariables).Keep(Keys.InferenceVariables, "set", "b", "label").Log("set").Sqrt("set");
        SimulationBatch expected = adapter.Forward(Data());
        string json = adapter.ToJson();
        Adapter loaded = Adapter.FromJson(json);
        Assert.Equal(json, loaded.ToJson());
        SimulationBatch actual = loaded.Forward(Data());
        foreach (string k in expected.Keys) Assert.Equal(expected.Get(k), actual.Get(k));
        // The loaded adapter knows the concatenation sizes without a forward pass of its own.
        SimulationBatch back = Adapter.FromJson(json).Inverse(expected);
        Assert.Equal(new[] { 4, 3 }, back.Shape("a").ToArray());
        Assert.Equal(Data().Get("a")[5], back.Get("a")[5], 4);
    }

    [Fact]
    public void DesignSketch_SetsBatch_ProducesNetworkInputs()
    {
        SimulationBatch batch = new Amortized.Inference.Tasks.GaussianMeanSets().Sample(8, 1);
        var adapter = new Adapter()
            .AsSet("x").Sqrt("n")
            .Concatenate(["mu"], Keys.InferenceVariables)
            .Concatenate(["x"], Keys.SummaryVariables)
            .Concatenate(["n"], Keys.InferenceConditions);
        SimulationBatch net = adapter.Forward(batch);
        Assert.Equal(new[] { 8, 1 }, net.Shape(Keys.InferenceVariables).ToArray());
        Assert.Equal(new[] { 8, 100, 1 }, net.Shape(Keys.SummaryVariables).ToArray());
        Assert.Equal(new[] { 8, 1 }, net.Shape(Keys.InferenceConditions).ToArray());
        Assert.Equal(MathF.Sqrt(batch.Get("n")[0]), net.Get(Keys.InferenceConditions)[0], 6);
        // At inference time only the data are known: mu is absent and its transforms are skipped.
        batch.Remove("mu");
        Assert.False(adapter.Forward(batch, strict: false).Contains(Keys.InferenceVariables));
    }

    [Fact]
    public void RawInputs_TraceTheNetworkInputsBackToTheRawKeysAndShapes()
    {
        // set (B, 5) becomes a set (B, 5, 1) and then the summary variables; b, square-rooted, the conditions; a the
        // variables, which sampling does not read. The set size stays open (-1); no transform makes a mask.
        var adapter = new Adapter().AsSet("set").Sqrt("b")
            .Concatenate(["a"], into: Keys.InferenceVariables)
            .Concatenate(["set"], into: Keys.SummaryVariables)
            .Concatenate(["b"], into: Keys.InferenceConditions);
        adapter.Forward(Data());
        var raw = adapter.RawInputs(
        [
            new(Keys.InferenceConditions, [1]), new(Keys.SummaryVariables, [-1, 1]), new(Keys.SummaryMask, [-1], Optional: true),
        ]);
        Assert.Equal(["set", "b"], raw.Select(r => r.Key));
        Assert.Equal([-1], raw[0].Value!);
        Assert.Equal(Array.Empty<int>(), raw[1].Value!);

        // After a JSON round trip the transforms still know what they read.
        var loaded = Adapter.FromJson(adapter.ToJson());
        var again = loaded.RawInputs([new(Keys.InferenceConditions, [1]), new(Keys.SummaryVariables, [-1, 1])]);
        Assert.Equal(raw.Select(r => (r.Key, string.Join(",", r.Value!))), again.Select(r => (r.Key, string.Join(",", r.Value!))));
    }

    [Fact]
    public void RawInputs_RenameSplitAndNanMask_MapBackToTheirSources()
    {
        var adapter = new Adapter().NanToNum("set", 0f, maskKey: "mask").Rename("set", "x")
            .Split("a", ["a0", "a12"], [1, 2]).Concatenate(["a12"], into: Keys.InferenceConditions);
        var raw = adapter.RawInputs([new(Keys.InferenceConditions, [2]), new("x", [5]), new("mask", [5], Optional: true)]);
        Assert.Equal(["set", "a"], raw.Select(r => r.Key));
        Assert.Equal([5], raw[0].Value!);
        Assert.Null(raw[1].Value);   // concatenate's sizes are learned in Forward, which has not run
    }
}
