using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;

namespace Amortized.Inference.Tests.Serialization;

/// <summary>
/// The fixture the inference-network model-file tests share: a two_moons approximator with theta (D = 2) given x
/// (C = 2) directly, built from a spec's network choice, a few observations and a save into a temporary folder.
/// </summary>
internal static class TwoMoonsModelFiles
{
    /// <summary>Builds <paramref name="network"/> (its kind and options) with D = 2, C = 2, seed 3, the adapter fitted
    /// on 4 rows.</summary>
    public static ContinuousApproximator Build(ApproximatorSpec network)
    {
        var approximator = ContinuousApproximator.Build(network with { VariableDim = 2, ConditionDim = 2, Seed = 3 },
            new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions));
        approximator.Adapter.Forward(new TwoMoons().Sample(4, seed: 0), strict: true);
        return approximator;
    }

    /// <summary>Three two_moons observations without their parameters.</summary>
    public static SimulationBatch Observations()
    {
        var data = new TwoMoons().Sample(3, seed: 5);
        data.Remove("theta");
        return data;
    }

    /// <summary>Saves <paramref name="approximator"/> as <paramref name="name"/> in <paramref name="folder"/>.</summary>
    public static string Save(DirectoryInfo folder, ContinuousApproximator approximator, string name)
    {
        string path = Path.Combine(folder.FullName, name);
        ApproximatorFile.Save(path, approximator);
        return path;
    }
}
