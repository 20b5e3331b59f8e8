using Amortized.Inference.Adapters;
using Amortized.Inference.Diagnostics;
using Amortized.Inference.Simulators;
using Xunit;

namespace Amortized.Inference.Tests.Diagnostics;

public class ParameterLayoutTests
{
    [Fact]
    public void Names_FollowTheKeysAndTheirShapes()
    {
        var layout = new ParameterLayout([("beta", [2]), ("sigma", []), ("W", [2, 3]), ("mu", [1])]);
        Assert.Equal(2 + 1 + 6 + 1, layout.Dimension);
        Assert.Equal(["beta[0]", "beta[1]", "sigma", "W[0,0]", "W[0,1]", "W[0,2]", "W[1,0]", "W[1,1]", "W[1,2]", "mu"],
            layout.Names);
    }

    [Fact]
    public void FlattenAndDraws_PutEachRowsKeysSideBySide()
    {
        // Two data sets: beta (2, 2), sigma (2), W (2, 1, 2).
        var truths = new SimulationBatch(2).Set("beta", [1, 2, 3, 4], 2, 2).Set("sigma", [5, 6], 2)
            .Set("W", [7, 8, 9, 10], 2, 1, 2).Set("x", [0, 0], 2);
        var layout = ParameterLayout.FromBatch(truths, ["beta", "sigma", "W"]);
        Assert.Equal(["beta[0]", "beta[1]", "sigma", "W[0,0]", "W[0,1]"], layout.Names);
        Assert.Equal([1, 2, 5, 7, 8, 3, 4, 6, 9, 10], layout.Flatten(truths));

        // Three draws per data set: (2, 3, ...).
        var sampled = new SimulationBatch(2)
            .Set("beta", [.. Enumerable.Range(0, 12).Select(i => (float)i)], 2, 3, 2)
            .Set("sigma", [.. Enumerable.Range(100, 6).Select(i => (float)i)], 2, 3)
            .Set("W", [.. Enumerable.Range(200, 12).Select(i => (float)i)], 2, 3, 1, 2);
        var draws = layout.Draws(sampled);
        Assert.Equal((2, 3, 5), (draws.Datasets, draws.Draws, draws.Parameters));
        Assert.Equal(layout.Names, draws.Names);
        // Data set 1, draw 2: beta row 5 = (10, 11), sigma 105, W row 5 = (210, 211).
        Assert.Equal([10f, 11f, 105f, 210f, 211f], Enumerable.Range(0, 5).Select(d => draws[1, 2, d]));
        Assert.Equal(draws.Values.ToArray(), PosteriorDraws.FromBatch(sampled, ["beta", "sigma", "W"]).Values.ToArray());
    }

    [Fact]
    public void WrongShapes_AreNamed()
    {
        var layout = new ParameterLayout([("beta", [2]), ("sigma", [])]);
        var wrong = new SimulationBatch(2).Set("beta", [1, 2, 3, 4, 5, 6], 2, 3).Set("sigma", [1, 2], 2);
        var e = Assert.Throws<ArgumentException>(() => layout.Flatten(wrong));
        Assert.Contains("'beta'", e.Message);
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(B, 2)", e.Message);
        var unequal = new SimulationBatch(1).Set("beta", new float[8], 1, 4, 2).Set("sigma", new float[3], 1, 3);
        e = Assert.Throws<ArgumentException>(() => layout.Draws(unequal));
        Assert.Contains("'sigma'", e.Message);
        Assert.Contains("S = 4", e.Message);
        Assert.Throws<ArgumentException>(() => new ParameterLayout([("a", [1]), ("a", [2])]));
    }

    [Fact]
    public void InferenceKeys_TraceTheAdapterBackwards()
    {
        var adapter = new Adapter().Constrain("sigma", lower: 0).Standardize("beta", 0, 2)
            .Concatenate(["beta", "sigma"], Keys.InferenceVariables).Concatenate(["y"], Keys.InferenceConditions);
        Assert.Equal(["sigma", "beta"], ParameterLayout.InferenceKeys(adapter));
        // An adapter that never builds inference_variables reads it as given: the key is its own parameter.
        var none = new Adapter().Concatenate(["y"], Keys.InferenceConditions);
        Assert.Equal([Keys.InferenceVariables], ParameterLayout.InferenceKeys(none));
    }
}
