using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Networks;
using Amortized.Networks.Summaries;

namespace Amortized.Inference.Tests.Serialization;

/// <summary>Small point and model-comparison approximators (briefly trained, so weights and statistics are not at
/// their initial values) and their files.</summary>
internal static class KindModelFiles
{
    public const int SetSize = 10;

    /// <summary>TwoMoons-shaped point approximator: theta (2) given x (2), every rule, linear baseline.</summary>
    public static PointApproximator Point()
    {
        var spec = new PointApproximatorSpec
        {
            Rules = [ScoringRuleSpec.Mean(), ScoringRuleSpec.Median(), ScoringRuleSpec.Quantiles(0.1f, 0.5f, 0.9f),
                ScoringRuleSpec.MultivariateNormal()],
            Seed = 3,
            Approximator = new PointApproximatorOptions { Subnet = new MlpOptions { Widths = [8] }, LinearBaseline = true },
        };
        var workflow = new BasicWorkflow(TwoMoonsAdapter(), spec, new TwoMoons());
        workflow.FitOnline(new TrainingOptions { Epochs = 2, BatchesPerEpoch = 5, BatchSize = 32, Seed = 4 });
        return workflow.PointApproximator!;
    }

    public static Adapter TwoMoonsAdapter() =>
        new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions);

    /// <summary>x_i ~ N(0, scale^2), i = 1..<see cref="SetSize"/>.</summary>
    public static Simulator Gaussian(float scale) => Simulator.Build().Prior(r =>
    {
        var x = new float[SetSize];
        for (int i = 0; i < SetSize; i++) x[i] = r.Normal(0f, scale);
        r.Set("x", x);
    });

    /// <summary>N(0, 1) against N(0, 1.5^2), equal prior probabilities.</summary>
    public static ModelComparisonSimulator TwoGaussians() => new([Gaussian(1f), Gaussian(1.5f)]);

    /// <summary>A classifier over the two Gaussians with a DeepSet over the set x (B, 10, 1).</summary>
    public static ModelComparisonApproximator ModelComparison()
    {
        var spec = new ModelComparisonSpec
        {
            ModelNames = ["narrow", "wide"],
            ModelCount = 2,
            Summary = SummaryNetworkKind.DeepSet,
            DeepSet = new DeepSetOptions { SummaryDim = 4, Depth = 1, EquivariantWidths = [8], InvariantInnerWidths = [8],
                InvariantOuterWidths = [8], InvariantLastWidths = [8] },
            Seed = 5,
            Approximator = new ModelComparisonApproximatorOptions { Classifier = new MlpOptions { Widths = [8] } },
        };
        var workflow = new BasicWorkflow(SetAdapter(), spec, TwoGaussians());
        workflow.FitOnline(new TrainingOptions { Epochs = 2, BatchesPerEpoch = 5, BatchSize = 32, Seed = 6 });
        return workflow.ModelComparisonApproximator!;
    }

    public static Adapter SetAdapter() => new Adapter().AsSet("x").Rename("x", Keys.SummaryVariables);

    /// <summary>The bytes of a saved approximator.</summary>
    public static byte[] Bytes(Action<string> save)
    {
        string path = Path.Combine(Path.GetTempPath(), $"amortized-kind-{Guid.NewGuid():N}.amz");
        try
        {
            save(path);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Five TwoMoons data sets without theta.</summary>
    public static SimulationBatch TwoMoonsObservations()
    {
        var data = new TwoMoons().Sample(5, seed: 21);
        data.Remove("theta");
        return data;
    }

    /// <summary>Six data sets of the two Gaussians without the model indicator.</summary>
    public static SimulationBatch GaussianObservations()
    {
        var data = TwoGaussians().Sample(6, seed: 22);
        data.Remove(ModelComparisonSimulator.ModelIndicesKey);
        return data;
    }
}
