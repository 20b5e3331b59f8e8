using Amortized.Inference.Serialization;
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Amortized.Networks.Summaries;
using Amortized.Testing;

namespace Amortized.Native.Tests;

/// <summary>
/// Tiny trained models saved once per test process (training takes a second or two; quality does not matter,
/// only that the files are real and deterministic), plus damaged copies for the error paths.
/// </summary>
public sealed class TestModels
{
    private static readonly Lazy<TestModels> s_instance = new(() => new TestModels());

    /// <summary>The shared instance; its folder is deleted when the process exits.</summary>
    public static TestModels Instance => s_instance.Value;

    /// <summary>Observation keys of <see cref="VectorModel"/>: x (3,) then y () in flat order.</summary>
    public const int VectorObservationSize = 4;

    /// <summary>Parameters of <see cref="VectorModel"/>: theta (2,) then sigma (), so D = 3.</summary>
    public const int VectorParameterDim = 3;

    /// <summary>Set size of <see cref="SetModelWithShapes"/>: x (N,), observed (N,), n ().</summary>
    public const int SetSize = GaussianMeanSets.MaxSetSize;

    /// <summary>The layout the set model needs, as stored in its metadata and passed to amortized_load_with_shapes.</summary>
    public static readonly string SetShapes = ObservationShapes.Format([new("x", [SetSize]), new("n", []), new("observed", [SetSize])]);

    private TestModels()
    {
        Root = Directory.CreateTempSubdirectory("amortized-native-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(Root, recursive: true); }
            catch (IOException) { }
        };

        // Several keys of both kinds, a scalar key on each side and a constrained parameter (its log-Jacobian
        // enters log_prob), so the flat layouts and the adapter's inverse are all exercised.
        var simulator = Simulator.Build()
            .Prior(r =>
            {
                r.Set("theta", [r.Normal(0, 1), r.Normal(0, 1)]);
                r.Set("sigma", r.Uniform(0.5f, 2f));
            })
            .Likelihood(r =>
            {
                ReadOnlySpan<float> theta = r.GetArray("theta");
                float sigma = r.Get("sigma");
                r.Set("x", [r.Normal(theta[0], sigma), r.Normal(theta[1], sigma), r.Normal(theta[0] + theta[1], sigma)]);
                r.Set("y", r.Normal(0, sigma));
            });
        var adapter = new Adapter()
            .Constrain("sigma", lower: 0)
            .Concatenate(["theta", "sigma"], Keys.InferenceVariables)
            .Concatenate(["x", "y"], Keys.InferenceConditions);
        var vector = new BasicWorkflow(adapter, new ApproximatorSpec
        {
            Seed = 7,
            CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [16, 16] },
        }, simulator);
        vector.FitOnline(new TrainingOptions { Epochs = 1, BatchesPerEpoch = 20, BatchSize = 32, Seed = TestSeeds.Default });
        VectorModel = Path.Combine(Root, "vector.amz");
        vector.Save(VectorModel);

        var task = new GaussianMeanSets();
        var sets = new BasicWorkflow(task.DefaultAdapter(summary: SummaryNetworkKind.DeepSet), new ApproximatorSpec
        {
            Seed = 8,
            Summary = SummaryNetworkKind.DeepSet,
            DeepSet = new DeepSetOptions { SummaryDim = 4 },
            CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [16, 16] },
        }, task.Simulator);
        sets.FitOnline(new TrainingOptions { Epochs = 1, BatchesPerEpoch = 3, BatchSize = 16, Seed = TestSeeds.Default });
        SetModel = Path.Combine(Root, "sets.amz");
        sets.Save(SetModel);
        SetModelWithShapes = Path.Combine(Root, "sets-with-shapes.amz");
        sets.Save(SetModelWithShapes, new Dictionary<string, string> { [ObservationShapes.MetadataKey] = SetShapes });

        byte[] bytes = File.ReadAllBytes(VectorModel);
        bytes[^5] ^= 0x40;   // a flipped bit in the last tensor: the checksum catches it
        CorruptModel = Path.Combine(Root, "corrupt.amz");
        File.WriteAllBytes(CorruptModel, bytes);
        TruncatedModel = Path.Combine(Root, "truncated.amz");
        File.WriteAllBytes(TruncatedModel, File.ReadAllBytes(VectorModel)[..^100]);
        NotAModel = Path.Combine(Root, "not-a-model.txt");
        File.WriteAllText(NotAModel, "hello, this is not a model file\n");
        MissingModel = Path.Combine(Root, "missing.amz");
    }

    public string Root { get; }
    public string VectorModel { get; }
    public string SetModel { get; }
    public string SetModelWithShapes { get; }
    public string CorruptModel { get; }
    public string TruncatedModel { get; }
    public string NotAModel { get; }
    public string MissingModel { get; }

    /// <summary>Flat observations for <paramref name="datasets"/> data sets of the vector model (fixed values).</summary>
    public static float[] VectorObservations(int datasets)
    {
        var obs = new float[datasets * VectorObservationSize];
        for (int i = 0; i < obs.Length; i++) obs[i] = MathF.Sin(1.7f * i + 0.3f) * 1.5f;
        return obs;
    }

    /// <summary>The same observations as a batch for the managed API: x (B, 3), y (B).</summary>
    public static SimulationBatch VectorBatch(float[] flat)
    {
        int b = flat.Length / VectorObservationSize;
        var x = new float[b * 3];
        var y = new float[b];
        for (int i = 0; i < b; i++)
        {
            Array.Copy(flat, i * VectorObservationSize, x, i * 3, 3);
            y[i] = flat[i * VectorObservationSize + 3];
        }
        return new SimulationBatch(b).Set("x", x, b, 3).Set("y", y, b);
    }

    /// <summary>Managed draws flattened the way the C library lays them out: (B, S, [theta0, theta1, sigma]).</summary>
    public static float[] FlattenVectorDraws(SimulationBatch draws, int datasets, int samples)
    {
        float[] theta = draws.Get("theta"), sigma = draws.Get("sigma");
        var flat = new float[datasets * samples * VectorParameterDim];
        for (int r = 0; r < datasets * samples; r++)
        {
            flat[r * 3] = theta[r * 2];
            flat[r * 3 + 1] = theta[r * 2 + 1];
            flat[r * 3 + 2] = sigma[r];
        }
        return flat;
    }

    /// <summary>Parameters (B, D) for log_prob: inside sigma's support, fixed values.</summary>
    public static float[] VectorParameters(int datasets)
    {
        var p = new float[datasets * VectorParameterDim];
        for (int i = 0; i < datasets; i++)
        {
            p[i * 3] = 0.3f * i - 0.5f;
            p[i * 3 + 1] = 0.8f - 0.2f * i;
            p[i * 3 + 2] = 0.6f + 0.25f * i;
        }
        return p;
    }

    /// <summary>Observations and parameters as one batch for the managed LogProb.</summary>
    public static SimulationBatch VectorLogProbBatch(float[] observations, float[] parameters)
    {
        SimulationBatch batch = VectorBatch(observations);
        int b = batch.BatchSize;
        var theta = new float[b * 2];
        var sigma = new float[b];
        for (int i = 0; i < b; i++)
        {
            theta[i * 2] = parameters[i * 3];
            theta[i * 2 + 1] = parameters[i * 3 + 1];
            sigma[i] = parameters[i * 3 + 2];
        }
        return batch.Set("theta", theta, b, 2).Set("sigma", sigma, b);
    }
}
