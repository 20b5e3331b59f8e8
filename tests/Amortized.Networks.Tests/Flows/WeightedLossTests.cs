using Amortized.Networks.Flows;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Networks.Tests.Flows;

/// <summary>
/// Sample weights for every family, including those without a differentiable density (flow matching's regression,
/// the free-form flow's surrogate): rows weighted by exp(x_1) must teach the exponentially tilted Gaussian, whose mean
/// at c = 0.5 is (1.0, 0.05) instead of the unweighted (0.5, -0.25), with the covariance unchanged.
/// </summary>
public class WeightedLossTests
{
    public static TheoryData<string> Families() => ["coupling", "flow-matching", "free-form-flow", "consistency", "diffusion"];

    [Theory]
    [MemberData(nameof(Families))]
    public void ExponentialTilt_MovesTheLearnedMeanToTheTiltedGaussian(string family)
    {
        var store = new ParameterStore();
        var rng = new Rng(41);
        InferenceNetwork network = family switch
        {
            "coupling" => new CouplingFlow(store, "f", 2, 1, new CouplingFlowOptions { Depth = 2, SubnetWidths = [32, 32], Dropout = 0f }, rng),
            "flow-matching" => new FlowMatching(store, "f", 2, 1, new FlowMatchingOptions { Widths = [64, 64], Dropout = 0f, Steps = 30 }, rng),
            "consistency" => new ConsistencyModel(store, "f", 2, 1, new ConsistencyModelOptions { Widths = [64, 64], Dropout = 0f, S1 = 1280 }, rng),
            "diffusion" => new DiffusionModel(store, "f", 2, 1, new DiffusionModelOptions { Widths = [64, 64] }, rng),
            _ => new FreeFormFlow(store, "f", 2, 1, new FreeFormFlowOptions { Widths = [64, 64] }, rng),
        };
        ConditionalGaussianTarget.Train(network, store, rng, steps: 1500, batch: 256, learningRate: 2e-3f, tilt: 1f);
        network.Training = false;
        var (m1, m2, s11, s12, s22) = ConditionalGaussianTarget.Moments(network.Sample(4000, Tensor.FromArray([0.5f], 1), new Rng(77)).ToArray());
        Assert.True(Math.Abs(m1 - 1.0) < 0.08 && Math.Abs(m2 - 0.05) < 0.08, $"{family}: mean ({m1:F3}, {m2:F3}), expected (1.0, 0.05)");
        Assert.True(Math.Abs(s11 - 0.5) < 0.1 && Math.Abs(s12 - 0.3) < 0.1 && Math.Abs(s22 - 0.4) < 0.1,
            $"{family}: covariance [[{s11:F3}, {s12:F3}], [{s12:F3}, {s22:F3}]], expected [[0.5, 0.3], [0.3, 0.4]]");
    }

    [Fact]
    public void UnitWeights_EqualTheUnweightedLoss()
    {
        var store = new ParameterStore();
        var flow = new CouplingFlow(store, "f", 2, 1, new CouplingFlowOptions { Depth = 1, SubnetWidths = [8], Dropout = 0f }, new Rng(3));
        var rng = new Rng(5);
        var x = Tensor.RandomNormal(new Shape(16, 2), rng);
        var c = Tensor.RandomNormal(new Shape(16, 1), rng);
        var ones = Tensor.Full(new Shape(16), 1f);
        Assert.Equal(flow.Loss(x, c).ToArray()[0], flow.WeightedLoss(x, c, ones).ToArray()[0], 5);
        var twice = Tensor.Full(new Shape(16), 2f);
        Assert.Equal(flow.Loss(x, c).ToArray()[0], flow.WeightedLoss(x, c, twice).ToArray()[0], 5);
    }
}
