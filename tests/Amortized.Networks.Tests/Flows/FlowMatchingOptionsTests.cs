using Amortized.Kernels.Cpu;
using Amortized.Networks.Flows;
using Amortized.Networks.Numerics;
using Amortized.Networks.Optim;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Xunit;

namespace Amortized.Networks.Tests.Flows;

/// <summary>Optimal-transport pairing, the Fourier time embedding and the training-time distributions.</summary>
public class FlowMatchingOptionsTests
{
    [Fact]
    public void PairByOptimalTransport_PermutesNoise_AndLowersThePairingCost()
    {
        var rng = new Rng(4);
        const int b = 64, d = 3;
        var noise = Tensor.RandomNormal(new Shape(b, d), rng);
        // Targets far from the noise's scale, so the identity pairing is poor.
        var targets = Tensor.RandomNormal(new Shape(b, d), rng, mean: 2f, std: 3f);
        var paired = FlowMatchingTraining.PairByOptimalTransport(noise, targets);
        // The paired noise holds exactly the same rows, reordered.
        var rowsBefore = Rows(noise.ToArray(), d).OrderBy(r => r).ToArray();
        var rowsAfter = Rows(paired.ToArray(), d).OrderBy(r => r).ToArray();
        Assert.Equal(rowsBefore, rowsAfter);
        double identity = MeanCost(noise.ToArray(), targets.ToArray(), d);
        double optimal = MeanCost(paired.ToArray(), targets.ToArray(), d);
        Assert.True(optimal < 0.8 * identity, $"mean pairing cost {optimal:F3} with OT vs {identity:F3} without");
        // Any single swap of two partners can only make the optimum worse.
        var p = paired.ToArray();
        var t = targets.ToArray();
        for (int i = 0; i < b; i += 7)
            for (int j = i + 1; j < b; j += 5)
            {
                double before = Dist(p, i, t, i, d) + Dist(p, j, t, j, d);
                double after = Dist(p, i, t, j, d) + Dist(p, j, t, i, d);
                Assert.True(after >= before - 1e-9);
            }
        // Deterministic.
        Assert.Equal(paired.ToArray(), FlowMatchingTraining.PairByOptimalTransport(noise, targets).ToArray());
    }

    [Fact]
    public void SinkhornPlan_HasUniformMarginals_AndSharpensTowardsTheExactAssignment()
    {
        var rng = new Rng(6);
        const int b = 32, d = 2;
        var noise = Tensor.RandomNormal(new Shape(b, d), rng);
        var targets = Tensor.RandomNormal(new Shape(b, d), rng, mean: 1f, std: 2f);
        var cost = FlowMatchingTraining.SquaredDistances(noise.ToArray(), targets.ToArray(), b, d);
        double exact = LinearAssignment.Cost(cost, b, LinearAssignment.Solve(cost, b)) / b;
        double previous = double.PositiveInfinity;
        foreach (double eps in new[] { 1.0, 0.3, 0.1 })
        {
            var logPlan = FlowMatchingTraining.SinkhornLogPlan(cost, b, eps);
            double expected = 0;
            for (int i = 0; i < b; i++)
            {
                double row = 0, column = 0;
                for (int j = 0; j < b; j++)
                {
                    row += Math.Exp(logPlan[i * b + j]);
                    column += Math.Exp(logPlan[j * b + i]);
                    expected += Math.Exp(logPlan[i * b + j]) * cost[i * b + j];
                }
                // Converged within the 100 sweeps (far smaller eps would need more: BayesFlow's max_steps = 100
                // leaves the rows approximate there too).
                Assert.Equal(1.0 / b, row, 1e-4 / b * 1.01);
                Assert.Equal(1.0 / b, column, 1e-9);
            }
            // The plan's expected cost falls with eps towards the exact optimum (and never below it).
            Assert.True(expected < previous && expected >= exact - 1e-9, $"eps {eps}: {expected} (exact {exact})");
            previous = expected;
        }
        // At eps 0.1 most of the gap between independent pairing (the mean cost) and the optimum is closed.
        double independent = cost.Average();
        Assert.True(previous - exact < 0.25 * (independent - exact),
            $"eps 0.1: {previous}, exact {exact}, independent {independent}");
        // Drawing from the plan pairs far better than the identity, deterministically under the seed.
        var paired = FlowMatchingTraining.PairBySinkhorn(noise, targets, null, 0, 0.05, new Rng(3));
        Assert.True(MeanCost(paired.ToArray(), targets.ToArray(), d) < 0.8 * MeanCost(noise.ToArray(),
            targets.ToArray(), d));
        Assert.Equal(paired.ToArray(),
            FlowMatchingTraining.PairBySinkhorn(noise, targets, null, 0, 0.05, new Rng(3)).ToArray());
    }

    [Fact]
    public void Embed_HasTimeAndOctaveSinesAndCosines()
    {
        var t = Tensor.FromArray([0f, 0.25f, 1f], 3, 1);
        var e = FlowMatchingTraining.Embed(t, 3).ToArray();
        Assert.Equal(3 * 7, e.Length);
        for (int r = 0; r < 3; r++)
        {
            double time = t.Span[r];
            Assert.Equal(time, e[r * 7], 6);
            for (int k = 0; k < 3; k++)
            {
                Assert.Equal(Math.Sin(Math.PI * (1 << k) * time), e[r * 7 + 1 + 2 * k], 6);
                Assert.Equal(Math.Cos(Math.PI * (1 << k) * time), e[r * 7 + 2 + 2 * k], 6);
            }
        }
        Assert.Equal(t.ToArray(), FlowMatchingTraining.Embed(t, 0).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => FlowMatchingTraining.Embed(t, 17));
    }

    [Theory]
    [InlineData(FlowMatchingTimeDistribution.Uniform, 0.5, 1.0 / 12)]
    // Power law alpha = 1: density 2t, mean 2/3, variance 1/18.
    [InlineData(FlowMatchingTimeDistribution.PowerLaw, 2.0 / 3, 1.0 / 18)]
    // Logit-normal (0, 1) is symmetric about 1/2; its variance is about 0.0433 (numerical integration).
    [InlineData(FlowMatchingTimeDistribution.LogitNormal, 0.5, 0.04338)]
    public void SampleTimes_HaveTheStatedMoments(FlowMatchingTimeDistribution kind, double mean, double variance)
    {
        var options = new FlowMatchingOptions { TimeDistribution = kind, TimePowerLawAlpha = 1.0 };
        const int n = 200_000;
        var t = FlowMatchingTraining.SampleTimes(n, options, new Rng(12)).ToArray();
        Assert.All(t, v => Assert.InRange(v, 0f, 1f));
        double m = t.Average(v => (double)v);
        double v2 = t.Sum(v => (v - m) * (v - m)) / (n - 1);
        Assert.InRange(m, mean - 0.003, mean + 0.003);
        Assert.InRange(v2, variance * 0.97, variance * 1.03);
        Assert.Equal(t, FlowMatchingTraining.SampleTimes(n, options, new Rng(12)).ToArray());
    }

    [Fact]
    public void Options_OutOfRange_AreRefused_Naming_TheOption()
    {
        var store = new ParameterStore();
        foreach (var (options, name) in new (FlowMatchingOptions, string)[]
        {
            (new() { TimeEmbeddingFrequencies = -1 }, "TimeEmbeddingFrequencies"),
            (new() { TimeEmbeddingFrequencies = 17 }, "TimeEmbeddingFrequencies"),
            (new() { TimePowerLawAlpha = -1 }, "TimePowerLawAlpha"),
            (new() { TimePowerLawAlpha = double.NaN }, "TimePowerLawAlpha"),
            (new() { LogitNormalStd = 0 }, "LogitNormalStd"),
            (new() { SinkhornRegularization = -0.1 }, "SinkhornRegularization"),
            (new() { LogitNormalMean = double.PositiveInfinity }, "LogitNormalMean"),
            (new() { TimeDistribution = (FlowMatchingTimeDistribution)9 }, "TimeDistribution"),
        })
        {
            var e = Assert.Throws<ArgumentException>(() => new FlowMatching(store, "fm", 2, 0, options, new Rng(1)));
            Assert.Contains(name, e.Message);
        }
    }

    [Theory]
    [InlineData(FlowMatchingTimeDistribution.Uniform, 100.0)]
    [InlineData(FlowMatchingTimeDistribution.Uniform, 100.0, 0.1)]
    [InlineData(FlowMatchingTimeDistribution.PowerLaw, 100.0)]
    [InlineData(FlowMatchingTimeDistribution.LogitNormal, 100.0)]
    public void Trained_WithOtAndFourierTime_SamplesTheConditionalGaussian(FlowMatchingTimeDistribution kind, double w,
        double? sinkhorn = null)
    {
        // x | c ~ N(mu(c), Sigma), mu(c) = (c, -c / 2), Sigma = [[0.5, 0.3], [0.3, 0.4]], as in FlowMatchingTests.
        var options = new FlowMatchingOptions
        {
            Widths = [64, 64], Dropout = 0f, Steps = 30, OptimalTransport = true, TimeEmbeddingFrequencies = 4,
            TimeDistribution = kind, TimePowerLawAlpha = 0.5, OptimalTransportConditionWeight = w,
            SinkhornRegularization = sinkhorn,
        };
        var (fm, _) = Train(options, seed: 31, steps: 1500);
        var draws = fm.Sample(4000, Tensor.FromArray([0.5f], 1), new Rng(77)).ToArray();
        var (m1, m2, s11, s12, s22) = Moments(draws);
        Assert.True(Math.Abs(m1 - 0.5) < 0.06 && Math.Abs(m2 + 0.25) < 0.06,
            $"{kind}, w {w}, sinkhorn {sinkhorn}: mean ({m1:F3}, {m2:F3}), expected (0.5, -0.25)");
        Assert.True(Math.Abs(s11 - 0.5) < 0.08 && Math.Abs(s12 - 0.3) < 0.08 && Math.Abs(s22 - 0.4) < 0.08,
            $"{kind}, w {w}, sinkhorn {sinkhorn}: covariance [[{s11:F3}, {s12:F3}], [{s12:F3}, {s22:F3}]], " +
            "expected [[0.5, 0.3], [0.3, 0.4]]");
    }

    [Fact]
    public void PlainOt_WithoutTheConditionTerm_LosesTheConditions()
    {
        // Why OptimalTransportConditionWeight defaults to 100: with w = 0 the noise is a function of the target
        // alone, the field ignores c and the draws for c = 0.5 come out near the marginal mean (0, 0).
        var options = new FlowMatchingOptions
        {
            Widths = [64, 64], Dropout = 0f, Steps = 30, OptimalTransport = true, OptimalTransportConditionWeight = 0,
        };
        var (fm, _) = Train(options, seed: 31, steps: 1500);
        var (m1, _, _, _, _) = Moments(fm.Sample(4000, Tensor.FromArray([0.5f], 1), new Rng(77)).ToArray());
        Assert.True(Math.Abs(m1) < 0.2, $"mean {m1:F3}: plain OT kept the conditions after all");
    }

    [Fact]
    public void Training_WithAllOptions_IsDeterministicUnderASeed()
    {
        var options = new FlowMatchingOptions
        {
            Widths = [16], Dropout = 0f, Steps = 5, OptimalTransport = true, TimeEmbeddingFrequencies = 2,
            TimeDistribution = FlowMatchingTimeDistribution.LogitNormal,
        };
        var (a, storeA) = Train(options, seed: 3, steps: 20);
        var (b, storeB) = Train(options, seed: 3, steps: 20);
        for (int i = 0; i < storeA.Parameters.Count; i++)
            Assert.Equal(storeA.Parameters[i].ToArray(), storeB.Parameters[i].ToArray());
        var c = Tensor.FromArray([0.2f], 1);
        Assert.Equal(a.Sample(50, c, new Rng(5)).ToArray(), b.Sample(50, c, new Rng(5)).ToArray());
        // The options change training: without OT the same seed trains other weights.
        var (other, _) = Train(options with { OptimalTransport = false }, seed: 3, steps: 20);
        Assert.NotEqual(a.Sample(50, c, new Rng(5)).ToArray(), other.Sample(50, c, new Rng(5)).ToArray());
    }

    /// <summary>
    /// Trains flow matching (2-D, one condition) on x | c ~ N((c, -c / 2), [[0.5, 0.3], [0.3, 0.4]]), c ~ U(-1, 1):
    /// the generator seeded by <paramref name="seed"/> initialises the network and then draws every batch.
    /// </summary>
    internal static (FlowMatching Model, ParameterStore Store) Train(FlowMatchingOptions options, ulong seed, int steps,
        int batch = 128)
    {
        var store = new ParameterStore();
        var rng = new Rng(seed);
        var fm = new FlowMatching(store, "fm", 2, 1, options, rng);
        ConditionalGaussianTarget.Train(fm, store, rng, steps, batch, learningRate: 3e-3f);
        return (fm, store);
    }

    private static (double M1, double M2, double S11, double S12, double S22) Moments(float[] draws) =>
        ConditionalGaussianTarget.Moments(draws);

    private static string[] Rows(float[] values, int d) =>
        Enumerable.Range(0, values.Length / d).Select(i => string.Join(",", values.Skip(i * d).Take(d))).ToArray();

    private static double MeanCost(float[] a, float[] b, int d) =>
        Enumerable.Range(0, a.Length / d).Average(i => Dist(a, i, b, i, d));

    private static double Dist(float[] a, int i, float[] b, int j, int d)
    {
        double s = 0;
        for (int k = 0; k < d; k++) s += (a[i * d + k] - b[j * d + k]) * (double)(a[i * d + k] - b[j * d + k]);
        return s;
    }
}
