using System.Text.Json;
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;
using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Inference.Tests.Adapters;

/// <summary>
/// User adapter transforms: an elementwise logit given as three delegates and a structural transform with its own
/// parameters, their log-Jacobians, JSON round trips through registered names, and model files that contain them.
/// </summary>
public sealed class CustomTransformTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("amortized-custom-transform-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static double Logit(double x) => Math.Log(x) - Math.Log(1 - x);
    private static double Sigmoid(double y) => 1 / (1 + Math.Exp(-y));
    private static double LogitLogDerivative(double x) => -Math.Log(x) - Math.Log(1 - x);

    /// <summary>Registered once per process in the default registry, the one model files load with.</summary>
    private const string RegisteredLogit = "custom_transform_tests_logit";

    static CustomTransformTests() =>
        AdapterTransforms.RegisterElementwise(RegisteredLogit, Logit, Sigmoid, LogitLogDerivative);

    /// <summary>
    /// y = logit((x - lower) / (upper - lower)), its bounds being parameters the model file stores: a transform
    /// written against the full interface.
    /// </summary>
    private sealed class BoundedLogit(string key, double lower, double upper) : ICustomAdapterTransform
    {
        public const string TypeName = "bounded_logit";
        public string Name => TypeName;
        public IReadOnlyList<string> Keys => [key];
        public double Lower => lower;
        public double Upper => upper;

        public static BoundedLogit Read(JsonElement p) =>
            new(p.GetProperty("key").GetString()!, p.GetProperty("lower").GetDouble(), p.GetProperty("upper").GetDouble());

        public void Forward(AdapterTransformContext c) => Map(c, inverse: false);
        public void Inverse(AdapterTransformContext c) => Map(c, inverse: true);

        private void Map(AdapterTransformContext c, bool inverse)
        {
            if (!c.Require(key)) return;
            float[] v = c.Data.Get(key);
            int[] shape = c.Data.Shape(key).ToArray();
            int last = shape.Length > 1 ? shape[^1] : 1;
            var result = new float[v.Length];
            var logDet = new float[v.Length / last];
            double w = upper - lower;
            for (int i = 0; i < v.Length; i++)
            {
                double x = inverse ? lower + w * Sigmoid(v[i]) : v[i];
                result[i] = (float)(inverse ? x : Logit((x - lower) / w));
                double forwardLogDet = -Math.Log(w) + LogitLogDerivative((x - lower) / w);
                logDet[i / last] += (float)(inverse ? -forwardLogDet : forwardLogDet);
            }
            c.Data.Set(key, result, shape);
            if (c.TracksLogDet) c.AddLogDet(key, logDet);
        }

        public void WriteParameters(Utf8JsonWriter w)
        {
            w.WriteString("key", key);
            w.WriteNumber("lower", lower);
            w.WriteNumber("upper", upper);
        }
    }

    private static SimulationBatch Values(int rows, int dim, double lower, double upper, ulong seed)
    {
        var v = new float[rows * dim];
        new Rng(seed).FillUniform(v, (float)(lower + 0.01 * (upper - lower)), (float)(upper - 0.01 * (upper - lower)));
        return new SimulationBatch(rows).Set("theta", v, rows, dim);
    }

    [Fact]
    public void DelegateLogit_RoundTripsValues_AndItsLogJacobianMatchesFiniteDifferences()
    {
        var adapter = new Adapter().Transform("theta", Logit, Sigmoid, LogitLogDerivative, name: "my_logit");
        Assert.Equal(["my_logit"], adapter.TransformNames);
        var data = Values(6, 3, 0, 1, 1);
        var forward = adapter.ForwardWithLogDet(data);
        float[] x = data.Get("theta"), y = forward.Data.Get("theta");
        for (int i = 0; i < x.Length; i++) Assert.Equal(Logit(x[i]), y[i], 5);
        // log|det J| of a row is the sum over its 3 features of log|dy/dx|, here by central differences in double.
        float[] logDet = forward.LogDetJacobian["theta"];
        Assert.Equal(6, logDet.Length);
        for (int r = 0; r < 6; r++)
        {
            double expected = 0;
            for (int j = 0; j < 3; j++)
            {
                double v = x[r * 3 + j], h = 1e-6;
                expected += Math.Log(Math.Abs((Logit(v + h) - Logit(v - h)) / (2 * h)));
            }
            Assert.Equal(expected, logDet[r], 4);
        }
        var back = adapter.InverseWithLogDet(forward.Data);
        for (int i = 0; i < x.Length; i++) Assert.Equal(x[i], back.Data.Get("theta")[i], 6);
        for (int r = 0; r < 6; r++) Assert.Equal(-logDet[r], back.LogDetJacobian["theta"][r], 4);
    }

    [Fact]
    public void DelegateTransform_WithoutLogJacobian_MapsValuesButRefusesDensities()
    {
        var adapter = new Adapter().Transform("theta", Logit, Sigmoid, logAbsDerivative: null, name: "bare_logit");
        var data = Values(2, 1, 0, 1, 2);
        Assert.Equal((float)Logit(data.Get("theta")[0]), adapter.Forward(data).Get("theta")[0]);
        var e = Assert.Throws<InvalidOperationException>(() => adapter.ForwardWithLogDet(data));
        Assert.Contains("'bare_logit'", e.Message);
        Assert.Contains("logAbsDerivative", e.Message);
        var missing = Assert.Throws<KeyNotFoundException>(() => adapter.Forward(new SimulationBatch(1).Set("x", [0.5f], 1)));
        Assert.Contains("Adapter.bare_logit: key 'theta' is missing", missing.Message);
    }

    [Fact]
    public void StructuralTransform_WritesItsParameters_AndLoadsBackThroughARegistry()
    {
        var adapter = new Adapter().Transform(new BoundedLogit("theta", -2, 3))
            .Concatenate(["theta"], Keys.InferenceVariables);
        var data = Values(5, 2, -2, 3, 3);
        var expected = adapter.ForwardWithLogDet(data);
        string json = adapter.ToJson();
        using (var doc = JsonDocument.Parse(json))
        {
            JsonElement t = doc.RootElement.GetProperty("transforms")[0];
            Assert.Equal("custom", t.GetProperty("type").GetString());
            Assert.Equal("bounded_logit", t.GetProperty("name").GetString());
            Assert.Equal(-2, t.GetProperty("parameters").GetProperty("lower").GetDouble());
        }
        var registry = new AdapterTransformRegistry().Register(BoundedLogit.TypeName, BoundedLogit.Read);
        Adapter loaded = Adapter.FromJson(json, registry);
        Assert.Equal(json, loaded.ToJson());
        var got = loaded.ForwardWithLogDet(data);
        Assert.Equal(expected.Data.Get(Keys.InferenceVariables), got.Data.Get(Keys.InferenceVariables));
        Assert.Equal(expected.LogDetJacobian[Keys.InferenceVariables], got.LogDetJacobian[Keys.InferenceVariables]);
        // Draws with a leading sample axis (B, S, D) map back inside the bounds.
        var draws = new SimulationBatch(1).Set(Keys.InferenceVariables, [-30f, 0f, 30f, 1f], 1, 2, 2);
        float[] theta = loaded.Inverse(draws).Get("theta");
        Assert.All(theta, v => Assert.InRange(v, -2f, 3f));
        Assert.Equal(0.5f, theta[1], 6);
    }

    [Fact]
    public void UnregisteredName_FailsWithTheNameAndHowToRegisterIt()
    {
        string json = new Adapter().Transform(new BoundedLogit("theta", 0, 1)).ToJson();
        var e = Assert.Throws<FormatException>(() => Adapter.FromJson(json, new AdapterTransformRegistry()));
        Assert.Contains("'bounded_logit'", e.Message);
        Assert.Contains("AdapterTransforms.Register(\"bounded_logit\"", e.Message);
        Assert.Contains("registered: none", e.Message);

        var registry = new AdapterTransformRegistry().Register(BoundedLogit.TypeName, BoundedLogit.Read);
        var duplicate = Assert.Throws<ArgumentException>(() => registry.RegisterElementwise("bounded_logit", Logit, Sigmoid));
        Assert.Contains("already registered", duplicate.Message);
        // A factory that builds a transform under another name is refused rather than saved under the wrong one.
        var liar = new AdapterTransformRegistry().Register("other", BoundedLogit.Read);
        Assert.Throws<FormatException>(() =>
            Adapter.FromJson(json.Replace("\"bounded_logit\"", "\"other\""), liar));
    }

    /// <summary>theta ~ U(0, 1), x ~ N(theta, 0.1^2), with theta mapped to the real line by the user logit.</summary>
    private static (Adapter Adapter, ISimulator Simulator) LogitModel(string transformName)
    {
        var simulator = Simulator.Build()
            .Prior(r => r.Set("theta", [r.Uniform(0, 1)]))
            .Likelihood(r => r.Set("x", [r.Normal(r.Get("theta"), 0.1f)]));
        var adapter = new Adapter().Transform("theta", Logit, Sigmoid, LogitLogDerivative, transformName)
            .Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions);
        return (adapter, simulator);
    }

    private static readonly ApproximatorSpec TinySpec = new()
    {
        CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [16, 16], Dropout = 0f },
        Seed = 3,
    };

    [Fact]
    public void ModelWithUserLogit_Trains_SavesAndLoads_AndSamplesTheSameDraws()
    {
        var (adapter, simulator) = LogitModel(RegisteredLogit);
        var workflow = new BasicWorkflow(adapter, TinySpec, simulator);
        workflow.FitOnline(new TrainingOptions { Epochs = 3, BatchesPerEpoch = 40, BatchSize = 64, LearningRate = 2e-3f, Seed = 4 });
        var observed = new SimulationBatch(3).Set("x", [0.05f, 0.5f, 0.95f], 3, 1);
        var draws = workflow.Sample(observed, 400, seed: 9).Get("theta");
        // Every draw lies in the support: the inverse logit maps the flow's real line back to (0, 1).
        Assert.All(draws, v => Assert.InRange(v, 0f, 1f));
        // The posterior of theta given x = 0.5 is close to N(0.5, 0.1^2); a 120-step model has its mean within 0.1.
        double mean = draws.Skip(400).Take(400).Average(v => (double)v);
        Assert.InRange(mean, 0.4, 0.6);

        string path = Path.Combine(_dir.FullName, "logit.safetensors");
        workflow.Save(path);
        var loaded = BasicWorkflow.Load(path, simulator);
        Assert.Equal([RegisteredLogit, "concatenate", "concatenate"], loaded.Adapter.TransformNames);
        Assert.Equal(draws, loaded.Sample(observed, 400, seed: 9).Get("theta"));
        var rows = new SimulationBatch(3).Set("theta", [0.1f, 0.5f, 0.9f], 3, 1).Set("x", [0.05f, 0.5f, 0.95f], 3, 1);
        Assert.Equal(workflow.LogProb(rows), loaded.LogProb(rows));
    }

    [Fact]
    public void UserLogit_GivesTheSameDensityAsTheBuiltInSigmoidConstraint()
    {
        // Same spec and seed, so the same untrained flow: log q(theta | x) in simulation space must agree when the
        // user logit and Constrain(0, 1) (sigmoid, no widening) are the same map, log-Jacobian included.
        var (custom, _) = LogitModel("density_check_logit");
        var builtIn = new Adapter().Constrain("theta", 0, 1, ConstraintMethod.Sigmoid, epsilon: 0)
            .Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions);
        var rows = new SimulationBatch(4).Set("theta", [0.02f, 0.3f, 0.6f, 0.97f], 4, 1).Set("x", [0f, 0.3f, 0.5f, 1f], 4, 1);
        float[] a = ContinuousApproximator.Build(TinySpec, custom, rows).LogProb(rows);
        float[] b = ContinuousApproximator.Build(TinySpec, builtIn, rows).LogProb(rows);
        for (int i = 0; i < a.Length; i++) Assert.Equal(b[i], a[i], 4);
    }

    [Fact]
    public void ModelFile_NamingAnUnregisteredTransform_FailsToLoadNamingIt()
    {
        var (adapter, simulator) = LogitModel("never_registered_logit");
        var workflow = new BasicWorkflow(adapter, TinySpec, simulator);
        workflow.FitOnline(new TrainingOptions { Epochs = 1, BatchesPerEpoch = 2, BatchSize = 16, Seed = 1 });
        string path = Path.Combine(_dir.FullName, "unregistered.safetensors");
        workflow.Save(path);
        var e = Assert.Throws<InvalidDataException>(() => ApproximatorFile.Load(path));
        Assert.Contains("'never_registered_logit'", e.Message);
        Assert.Contains("RegisterElementwise(\"never_registered_logit\"", e.Message);
    }
}
