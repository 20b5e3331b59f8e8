using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Tasks;
using Xunit;

namespace Amortized.Inference.Tests.Tasks;

/// <summary>Each task's default adapter: finite network inputs, exact inverse, and draws kept in the prior's support.</summary>
public class DefaultAdapterTests
{
    public static TheoryData<string> Tasks => [.. BenchmarkTasks.Names];

    [Theory]
    [MemberData(nameof(Tasks))]
    public void Posterior_AdaptsPriorDrawsToFiniteValues_AndInvertsThem(string name)
    {
        var task = BenchmarkTasks.Create(name);
        var batch = task.Sample(64, seed: 11);
        var adapter = task.DefaultAdapter(summary: task.DefaultSummaryNetwork);
        var adapted = adapter.Forward(batch);
        Assert.Equal([64, task.ParameterDim], adapted.Shape(Keys.InferenceVariables).ToArray());
        Assert.All(adapted.Get(Keys.InferenceVariables), v => Assert.True(float.IsFinite(v), $"{name}: non-finite adapted parameter {v}"));
        // Inverse of the adapted parameters gives back the prior draws (the constraint map is a bijection).
        var back = adapter.Inverse(adapted.Clone());
        float[] theta = batch.Get(task.ParameterKey), restored = back.Get(task.ParameterKey);
        for (int i = 0; i < theta.Length; i++)
            Assert.True(Math.Abs(theta[i] - restored[i]) <= 1e-4f * Math.Max(1, Math.Abs(theta[i])), $"{name}[{i}]: {theta[i]} -> {restored[i]}");
    }

    [Theory]
    [InlineData("sir", 0.0, double.PositiveInfinity)]
    [InlineData("lotka_volterra", 0.0, double.PositiveInfinity)]
    public void OneSidedPriors_MapEveryRealNumberIntoTheSupport(string name, double lower, double upper)
    {
        var task = BenchmarkTasks.Create(name);
        Assert.True(task.Support.IsBounded);
        Assert.False(task.DefaultAdapter().RejectsOutsideSupport);
        // Unconstrained values far out on both sides (what a flow may draw) map back inside the support.
        int d = task.ParameterDim;
        float[] wild = [.. Enumerable.Range(0, 8 * d).Select(i => (float)((i % 2 == 0 ? 1 : -1) * Math.Pow(3, i % 8 - 2)))];
        var batch = new Amortized.Inference.Simulators.SimulationBatch(8).Set(Keys.InferenceVariables, wild, 8, d);
        var adapter = task.DefaultAdapter();
        adapter.Forward(task.Sample(2, 1));   // an adapter learns the concatenation's split sizes on its first Forward
        var theta = adapter.Inverse(batch).Get(task.ParameterKey);
        Assert.All(theta, t => Assert.InRange(t, lower, upper));
        // Every draw has positive prior density: open bounds (the log-normal's 0) are never hit exactly.
        for (int i = 0; i < 8; i++)
            Assert.True(double.IsFinite(task.LogPrior(theta.AsSpan(i * d, d))), $"{name}: log prior of row {i} is not finite");
    }

    [Theory]
    [InlineData("two_moons", -1.0, 1.0)]
    [InlineData("gaussian_linear_uniform", -1.0, 1.0)]
    [InlineData("slcp", -3.0, 3.0)]
    [InlineData("gaussian_mixture", -10.0, 10.0)]
    public void TwoSidedPriors_KeepValuesInside_AndMarkValuesOutsideForRedrawing(string name, double lower, double upper)
    {
        var task = BenchmarkTasks.Create(name);
        var adapter = task.DefaultAdapter();
        Assert.True(adapter.RejectsOutsideSupport);
        adapter.Forward(task.Sample(2, 1));
        int d = task.ParameterDim;
        // Values just inside, on and just outside both bounds, and the middle.
        double width = upper - lower;
        double[] probes = [lower - 0.01 * width, lower, lower + 0.01 * width, (lower + upper) / 2, upper - 0.01 * width,
            upper, upper + 0.01 * width];
        float[] values = [.. Enumerable.Range(0, probes.Length * d).Select(i => (float)probes[i / d])];
        var batch = new Amortized.Inference.Simulators.SimulationBatch(probes.Length).Set(Keys.InferenceVariables,
            values, probes.Length, d);
        var theta = adapter.Inverse(batch).Get(task.ParameterKey);
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < lower || values[i] > upper) Assert.True(float.IsNaN(theta[i]), $"{name}: {values[i]} kept");
            else Assert.Equal(values[i], theta[i]);
        }
    }

    [Fact]
    public void Likelihood_SwapsTheRoles()
    {
        var task = new TwoMoons();
        var adapted = task.DefaultAdapter(likelihood: true).Forward(task.Sample(4, 1));
        var raw = task.Sample(4, 1);
        Assert.Equal(raw.Get("x"), adapted.Get(Keys.InferenceVariables));
        Assert.Equal(raw.Get("theta"), adapted.Get(Keys.InferenceConditions));
    }

    [Fact]
    public void SetTask_NeedsASummaryNetwork_AndHasNoLikelihood()
    {
        var task = new GaussianMeanSets();
        Assert.Equal(SummaryNetworkKind.DeepSet, task.DefaultSummaryNetwork);
        var e = Assert.Throws<ArgumentException>(() => task.DefaultAdapter(summary: SummaryNetworkKind.None));
        Assert.Contains("summary network", e.Message);
        Assert.Throws<NotSupportedException>(() => task.DefaultAdapter(likelihood: true));
        var adapted = task.DefaultAdapter(summary: SummaryNetworkKind.DeepSet).Forward(task.Sample(8, 2));
        Assert.Equal([8, 100, 1], adapted.Shape(Keys.SummaryVariables).ToArray());
        Assert.Equal([8, 100], adapted.Shape(Keys.SummaryMask).ToArray());
    }

    [Fact]
    public void Support_DescribesItself()
    {
        Assert.Equal("[-1, 1]", new TwoMoons().Support.ToString());
        Assert.Equal("(-inf, inf)", new GaussianLinear().Support.ToString());
        Assert.True(new Sir().Support.Contains(0.3) && !new Sir().Support.Contains(-0.1));
    }
}
