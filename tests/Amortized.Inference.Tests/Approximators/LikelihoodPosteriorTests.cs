using System.Diagnostics;
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Amortized.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace Amortized.Inference.Tests.Approximators;

/// <summary>MCMC on a learned likelihood (NLE): the sampler on analytic targets, then end to end on gaussian_linear.</summary>
public class LikelihoodPosteriorTests(ITestOutputHelper output)
{
    // Target of the analytic tests: N(mu, Sigma) with sd (1, 2) and correlation 0.8.
    private static readonly double[] s_mu = [1.0, -0.5];
    private const double Sd0 = 1.0, Sd1 = 2.0, Rho = 0.8;

    /// <summary>log N(theta; mu, Sigma) per row of theta (n, 2), up to a constant; x_obs is unused.</summary>
    private static void CorrelatedGaussian(ReadOnlySpan<float> theta, ReadOnlySpan<float> x, Span<double> logL)
    {
        for (int i = 0; i < logL.Length; i++)
        {
            double z0 = (theta[2 * i] - s_mu[0]) / Sd0, z1 = (theta[2 * i + 1] - s_mu[1]) / Sd1;
            logL[i] = -0.5 * (z0 * z0 - 2 * Rho * z0 * z1 + z1 * z1) / (1 - Rho * Rho);
        }
    }

    private static LikelihoodPosterior GaussianTarget() =>
        new(CorrelatedGaussian, _ => 0.0, 2, (rng, theta) => rng.FillNormal(theta, 0f, 3f));

    private static void AssertMatchesGaussian(McmcSamples samples, double meanTolerance, double covarianceTolerance)
    {
        var mean = samples.Mean();
        var cov = samples.Covariance();
        double[] expected = [Sd0 * Sd0, Rho * Sd0 * Sd1, Rho * Sd0 * Sd1, Sd1 * Sd1];
        for (int j = 0; j < 2; j++)
        {
            double sd = j == 0 ? Sd0 : Sd1;
            Assert.True(Math.Abs(mean[j] - s_mu[j]) < meanTolerance * sd, $"mean[{j}] = {mean[j]:F4}, expected {s_mu[j]}");
        }
        for (int k = 0; k < 4; k++)
            Assert.True(Math.Abs(cov[k] / expected[k] - 1) < covarianceTolerance, $"cov[{k}] = {cov[k]:F4}, expected {expected[k]}");
        foreach (double r in samples.RHat) Assert.True(r < 1.05, $"R-hat {r:F4}");
    }

    [Fact]
    public void Sample_SliceOnCorrelatedGaussian_MatchesMeanAndCovariance()
    {
        var samples = GaussianTarget().Sample([], new LikelihoodPosteriorOptions { NumChains = 20, NumSamples = 10_000, WarmupSteps = 200, Seed = 7 });
        output.WriteLine($"mean {string.Join(", ", samples.Mean().Select(m => m.ToString("F4")))}; cov {string.Join(", ", samples.Covariance().Select(m => m.ToString("F4")))}; " +
            $"R-hat {string.Join(", ", samples.RHat.Select(r => r.ToString("F4")))}; widths {string.Join(", ", samples.Widths.Select(w => w.ToString("F3")))}; " +
            $"evaluations/draw/coordinate {samples.LikelihoodEvaluations / (double)((200 + 500) * 20 * 2):F2}; rows/call {samples.LikelihoodEvaluations / (double)samples.LikelihoodCalls:F1}");
        Assert.Equal(10_000, samples.Count);
        Assert.Equal(1.0, samples.AcceptanceRate);
        Assert.True(samples.LikelihoodEvaluations >= 10 * samples.LikelihoodCalls, "the chains' points should be evaluated together");
        // Over 30 seeds the mean's rms error was 0.02 sd and the covariance's 0.025 relative: the bounds are 4-5 of those.
        AssertMatchesGaussian(samples, meanTolerance: 0.1, covarianceTolerance: 0.1);
    }

    [Fact]
    public void Sample_RandomWalkMetropolisOnCorrelatedGaussian_MatchesMeanAndCovariance()
    {
        var samples = GaussianTarget().Sample([], new LikelihoodPosteriorOptions
        {
            Method = McmcMethod.RandomWalkMetropolis, NumChains = 20, NumSamples = 40_000, WarmupSteps = 500, Seed = 7,
        });
        output.WriteLine($"acceptance {samples.AcceptanceRate:F3}; mean {string.Join(", ", samples.Mean().Select(m => m.ToString("F4")))}; " +
            $"R-hat {string.Join(", ", samples.RHat.Select(r => r.ToString("F4")))}");
        Assert.InRange(samples.AcceptanceRate, 0.15, 0.4);
        Assert.Equal(500 + 2000 + 1, samples.LikelihoodCalls);   // one batched call per step, plus the start
        // Over 30 seeds the mean's rms error was 0.025 sd and the covariance's 0.04 relative with half these draws.
        AssertMatchesGaussian(samples, meanTolerance: 0.1, covarianceTolerance: 0.15);
    }

    [Fact]
    public void Sample_PriorWithBoundedSupport_StaysInSupportAndMatchesHalfNormal()
    {
        // Prior U(0, inf) (log prior -inf below 0), likelihood N(0, 1): posterior half-normal, mean sqrt(2 / pi),
        // variance 1 - 2 / pi. The prior sampler also draws outside the support, which start-up must redraw.
        var posterior = new LikelihoodPosterior(
            (theta, x, logL) => { for (int i = 0; i < logL.Length; i++) logL[i] = -0.5 * theta[i] * theta[i]; },
            theta => theta[0] >= 0 ? 0.0 : double.NegativeInfinity, 1, (rng, theta) => theta[0] = rng.Uniform(-1f, 2f));
        // Over 30 seeds the mean's rms error was 0.006 (slice, 2 x 10^4 draws) and 0.010 (random walk, 4 x 10^4).
        foreach (var (method, draws, tolerance) in new[] { (McmcMethod.Slice, 20_000, 0.03), (McmcMethod.RandomWalkMetropolis, 40_000, 0.05) })
        {
            var samples = posterior.Sample([], new LikelihoodPosteriorOptions { Method = method, NumChains = 10, NumSamples = draws, Seed = 3 });
            foreach (float t in samples.Draws) Assert.True(t >= 0, $"{method}: draw {t} is outside the prior's support");
            double mean = samples.Mean()[0], variance = samples.Covariance()[0];
            output.WriteLine($"{method}: mean {mean:F4} (0.7979), variance {variance:F4} (0.3634), R-hat {samples.RHat[0]:F4}");
            Assert.True(Math.Abs(mean - Math.Sqrt(2 / Math.PI)) < tolerance, $"{method}: mean {mean:F4}");
            Assert.True(Math.Abs(variance / (1 - 2 / Math.PI) - 1) < 0.1, $"{method}: variance {variance:F4}");
        }
    }

    [Fact]
    public void Sample_SameSeed_GivesIdenticalDraws()
    {
        var posterior = GaussianTarget();
        foreach (var method in new[] { McmcMethod.Slice, McmcMethod.RandomWalkMetropolis })
        {
            var options = new LikelihoodPosteriorOptions { Method = method, NumChains = 8, NumSamples = 400, WarmupSteps = 50, Thin = 2, Seed = 11 };
            var a = posterior.Sample([], options);
            var b = posterior.Sample([], options);
            var c = posterior.Sample([], options with { Seed = 12 });
            Assert.Equal(a.Draws, b.Draws);
            Assert.Equal(a.LikelihoodEvaluations, b.LikelihoodEvaluations);
            Assert.NotEqual(a.Draws, c.Draws);
        }
    }

    [Fact]
    public void Sample_InitialPoint_StartsThereAndRejectsZeroDensity()
    {
        var posterior = new LikelihoodPosterior(CorrelatedGaussian, theta => theta[0] > -5 ? 0.0 : double.NegativeInfinity, 2);
        var samples = posterior.Sample([], new LikelihoodPosteriorOptions { NumChains = 4, NumSamples = 40, WarmupSteps = 0, InitialPoint = [1f, -0.5f], Seed = 1 });
        Assert.Equal(40, samples.Count);
        Assert.Throws<ArgumentException>(() => posterior.Sample([], new LikelihoodPosteriorOptions { InitialPoint = [-6f, 0f] }));
        Assert.Throws<InvalidOperationException>(() => posterior.Sample([], new LikelihoodPosteriorOptions()));   // no prior sampler
    }

    [Fact]
    public void Sample_InitialPoints_StartsEachChainAtItsRow()
    {
        var posterior = new LikelihoodPosterior(CorrelatedGaussian,
            theta => theta[0] > -5 ? 0.0 : double.NegativeInfinity, 2);
        float[] starts = [1f, -0.5f, 2f, 0f, -1f, 3f];   // (C, P) = (3, 2)
        // A random walk with steps of 1e-6 barely moves in one step, so the first draws sit on the given rows.
        var samples = posterior.Sample([], new LikelihoodPosteriorOptions
        {
            Method = McmcMethod.RandomWalkMetropolis, NumChains = 3, NumSamples = 30, WarmupSteps = 0,
            InitialWidth = 1e-6, InitialPoints = starts, Seed = 2,
        });
        for (int c = 0; c < 3; c++)
            for (int j = 0; j < 2; j++) Assert.Equal(starts[c * 2 + j], samples.Draw(c, 0)[j], 1e-4f);
        Assert.Equal(2, samples.EffectiveSampleSize.Length);

        var zero = Assert.Throws<ArgumentException>(() => posterior.Sample([], new LikelihoodPosteriorOptions
        {
            NumChains = 3, InitialPoints = [1f, 0f, 1f, 0f, -6f, 0f],
        }));
        Assert.Contains("row 2", zero.Message);
        var shape = Assert.Throws<ArgumentException>(() => posterior.Sample([], new LikelihoodPosteriorOptions
        {
            NumChains = 3, InitialPoints = [1f, 0f],
        }));
        Assert.Contains("(C, P) = (3, 2)", shape.Message);
        var both = Assert.Throws<ArgumentException>(() => posterior.Sample([], new LikelihoodPosteriorOptions
        {
            NumChains = 3, InitialPoints = starts, InitialPoint = [1f, 0f],
        }));
        Assert.Contains("both InitialPoint and InitialPoints", both.Message);
    }

    [Fact]
    public void SplitRHat_ChainsAtDifferentLevels_IsLarge()
    {
        // Two chains of 100 step-major draws: alternating +-1 around 0 and around 3.
        var draws = new float[200];
        for (int s = 0; s < 100; s++)
        {
            draws[2 * s] = s % 2 == 0 ? 1f : -1f;
            draws[2 * s + 1] = 3f + (s % 2 == 0 ? 1f : -1f);
        }
        Assert.True(McmcSamples.SplitRHat(draws, 2, 100, 1)[0] > 1.5);
        for (int s = 0; s < 100; s++) draws[2 * s + 1] -= 3f;
        Assert.InRange(McmcSamples.SplitRHat(draws, 2, 100, 1)[0], 0.95, 1.02);
    }

    /// <summary>NLE on gaussian_linear: q(x | theta) from 10^4 simulations, then MCMC for p(theta | x) = N(x/2, 0.05 I).</summary>
    [Fact]
    public void Sample_NleOnGaussianLinear_RecoversAnalyticPosterior()
    {
        var clock = Stopwatch.StartNew();
        var task = new GaussianLinear();
        var adapter = new Adapter()
            .Concatenate(["x"], into: Keys.InferenceVariables)
            .Concatenate(["theta"], into: Keys.InferenceConditions);
        var likelihood = ContinuousApproximator.Build(new ApproximatorSpec
        {
            VariableDim = 10, ConditionDim = 10, Seed = 2, CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [32, 32] },
        }, adapter);
        new Trainer(likelihood, new TrainingOptions
        {
            Epochs = 40, BatchSize = 64, LearningRate = 5e-4f, WeightDecay = 1e-2f, Seed = 3, ValidationFraction = 0.1, EarlyStoppingPatience = 5,
        }).FitOffline(task.Sample(10_000, seed: 1));
        double trained = clock.Elapsed.TotalSeconds;

        var posterior = new LikelihoodPosterior(likelihood, task, task.DataKey);
        const int observations = 5;
        var x = task.Sample(observations, seed: 99).Get("x");
        double worst = 0, average = 0, worstRHat = 0, worstVarRatio = 0;
        for (int b = 0; b < observations; b++)
        {
            var samples = posterior.Sample(x.AsSpan(b * 10, 10), new LikelihoodPosteriorOptions
            {
                NumChains = 20, WarmupSteps = 200, NumSamples = 8000, Seed = (ulong)(10 + b),
            });
            var mean = samples.Mean();
            var cov = samples.Covariance();
            for (int j = 0; j < 10; j++)
            {
                worstVarRatio = Math.Max(worstVarRatio, Math.Abs(cov[j * 11] / 0.05 - 1));
                double error = Math.Abs(mean[j] - x[b * 10 + j] / 2);
                worst = Math.Max(worst, error);
                average += error / (observations * 10);
                worstRHat = Math.Max(worstRHat, samples.RHat[j]);
            }
            output.WriteLine($"observation {b}: evaluations {samples.LikelihoodEvaluations}, calls {samples.LikelihoodCalls}, max R-hat {samples.RHat.Max():F3}");
        }
        output.WriteLine($"training {trained:F1} s, total {clock.Elapsed.TotalSeconds:F1} s; |mean - x/2| average {average:F4}, worst {worst:F4}; " +
            $"worst |variance / 0.05 - 1| {worstVarRatio:F3}; worst R-hat {worstRHat:F3}");
        // The issue's bound: every posterior mean within 0.05 of x/2. With 8000 draws per observation the Monte Carlo
        // error of a mean is about 0.0025, so what remains is the learned likelihood's own error.
        Assert.True(average < 0.03, $"average |posterior mean - x/2| = {average:F4}");
        Assert.True(worst < 0.05, $"largest |posterior mean - x/2| = {worst:F4}");
        Assert.True(worstVarRatio < 0.35, $"largest |variance / 0.05 - 1| = {worstVarRatio:F3}");
        Assert.True(worstRHat < 1.1, $"largest R-hat = {worstRHat:F3}");
    }
}
