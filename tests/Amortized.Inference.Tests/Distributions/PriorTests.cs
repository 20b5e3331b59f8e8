using Amortized.Inference.Approximators;
using Amortized.Inference.Distributions;
using Amortized.Inference.Simulators;
using Amortized.Tensors;
using Amortized.Testing;
using Xunit;

namespace Amortized.Inference.Tests.Distributions;

public sealed class PriorTests
{
    private static readonly Normal s_mu = new(0, 1);
    private static readonly HalfNormal s_sigma = new(1);
    private static readonly Dirichlet s_weights = new(2, 3, 4);

    private static Prior UserPrior() => new PriorBuilder()
        .Add("mu", s_mu)
        .Add("sigma", s_sigma)
        .Add("w", s_weights)
        .Build();

    [Fact]
    public void Build_NamesAndDimension_FollowComponents()
    {
        Prior prior = UserPrior();
        Assert.Equal("theta", prior.ParameterKey);
        Assert.Equal(5, prior.ParameterDim);
        Assert.Equal(["mu", "sigma", "w[0]", "w[1]", "w[2]"], prior.ParameterNames);
    }

    [Fact]
    public void LogPrior_InUserSimulator_IsSumOfComponentLogDensities()
    {
        // A tiny user model: y_i ~ Normal(mu + w . (1, 2, 3), sigma), i = 1..4, with the prior drawn by DrawRow.
        Prior prior = UserPrior();
        Simulator simulator = Simulator.Build()
            .Prior(prior.DrawRow)
            .Likelihood(r =>
            {
                ReadOnlySpan<float> theta = r.GetArray("theta");
                float location = theta[0] + theta[2] + 2 * theta[3] + 3 * theta[4];
                var y = new float[4];
                for (int i = 0; i < y.Length; i++) y[i] = (float)new Normal(location, theta[1]).Sample(r.Rng);
                r.Set("y", y);
            });
        SimulationBatch batch = simulator.Sample(64, seed: TestSeeds.Default);
        Assert.Equal(new[] { 64, 5 }, batch.Shape("theta").ToArray());
        for (int row = 0; row < 64; row++)
        {
            ReadOnlySpan<float> theta = batch.Row("theta", row);
            double expected = s_mu.LogDensity(theta[0]) + s_sigma.LogDensity(theta[1])
                + s_weights.LogDensity([theta[2], theta[3], theta[4]]);
            Assert.True(double.IsFinite(expected), $"row {row}: a draw lies outside its component's support");
            Assert.Equal(expected, prior.LogPrior(theta), 12);
        }
        Assert.Equal(double.NegativeInfinity, prior.LogPrior([0f, -1f, 0.2f, 0.3f, 0.5f]));   // sigma < 0
    }

    [Fact]
    public void PriorSimulator_ForwardsSamplingAndPrior_ThetaMatchesPriorDraws()
    {
        Prior prior = UserPrior();
        Simulator inner = Simulator.Build()
            .Prior(prior.DrawRow)
            .Likelihood(r => r.Set("y", r.Draw(new Normal(r.GetArray("theta")[0], 1))));
        var model = new PriorSimulator(inner, prior);
        IPrior asPrior = model;
        Assert.Equal("theta", asPrior.ParameterKey);
        Assert.Equal(5, asPrior.ParameterDim);
        SimulationBatch batch = model.Sample(32, seed: 4), direct = inner.Sample(32, seed: 4);
        SimulationBatch priorOnly = asPrior.SamplePrior(32, seed: 4);
        Assert.Equal(direct.Get("y"), batch.Get("y"));
        Assert.Equal(priorOnly.Get("theta"), batch.Get("theta"));
        float[] theta = batch.Row("theta", 7).ToArray();
        Assert.Equal(prior.LogPrior(theta), asPrior.LogPrior(theta));
    }

    [Fact]
    public void DrawNamed_GivesSameValuesAsDrawRow_OneKeyPerComponent()
    {
        Prior prior = UserPrior();
        SimulationBatch byKey = Simulator.Build().Prior(prior.DrawRow).Sample(16, seed: 3);
        SimulationBatch named = Simulator.Build().Prior(prior.DrawNamed).Sample(16, seed: 3);
        Assert.Equal(new[] { 16 }, named.Shape("mu").ToArray());
        Assert.Equal(new[] { 16, 3 }, named.Shape("w").ToArray());
        for (int row = 0; row < 16; row++)
        {
            ReadOnlySpan<float> theta = byKey.Row("theta", row);
            Assert.Equal(theta[0], named.Row("mu", row)[0]);
            Assert.Equal(theta[1], named.Row("sigma", row)[0]);
            Assert.Equal(theta[2..].ToArray(), named.Row("w", row).ToArray());
        }
    }

    [Fact]
    public void RowDraw_UsesRowStream_AndSetsKeys()
    {
        Simulator simulator = Simulator.Build().Prior(r =>
        {
            r.Draw("rate", new Gamma(2, 1));
            r.Draw("count", new Poisson(r.Get("rate")));
            r.Draw("z", new MultivariateNormal([0, 0], new double[,] { { 1, 0 }, { 0, 1 } }));
        });
        SimulationBatch a = simulator.Sample(8, seed: 11), b = simulator.Sample(8, seed: 11);
        Assert.True(a.IsInteger("count"));
        Assert.Equal(new[] { 8, 2 }, a.Shape("z").ToArray());
        Assert.Equal(a.Row("rate", 5).ToArray(), b.Row("rate", 5).ToArray());
        Assert.Equal(a.GetIntegers("count"), b.GetIntegers("count"));
        // Row 5's first draw is the Gamma's first draw from that row's stream.
        var rng = Rng.Derive(11, 0, 5);
        Assert.Equal((float)new Gamma(2, 1).Sample(rng), a.Row("rate", 5)[0]);
    }

    [Fact]
    public void LikelihoodPosterior_WithBuiltPrior_RecoversConjugatePosterior()
    {
        // mu ~ Normal(0, 1), y_i ~ Normal(mu, 1), i = 1..10: the posterior is Normal(sum y / 11, 1 / sqrt(11)).
        Prior prior = new PriorBuilder().Add("mu", new Normal(0, 1)).Build();
        float[] y = [0.8f, 1.4f, 0.2f, 1.9f, 1.1f, 0.5f, 1.7f, 0.9f, 1.2f, 1.3f];
        var posterior = new LikelihoodPosterior((theta, x, logL) =>
        {
            for (int c = 0; c < logL.Length; c++)
            {
                double s = 0;
                for (int i = 0; i < x.Length; i++) s += -0.5 * (x[i] - theta[c]) * (x[i] - theta[c]);
                logL[c] = s;
            }
        }, prior.LogPrior, prior.ParameterDim, prior.SamplePrior);
        McmcSamples samples = posterior.Sample(y, new LikelihoodPosteriorOptions { NumSamples = 4000, Seed = 5 });
        double mean = y.Sum() / 11.0, sd = 1 / Math.Sqrt(11);
        // 4000 correlated draws: an effective size of several hundred at least puts the mean's SE below 0.015.
        Assert.True(Math.Abs(samples.Mean()[0] - mean) < 0.05, $"posterior mean {samples.Mean()[0]} vs {mean}");
        Assert.True(Math.Abs(Math.Sqrt(samples.Covariance()[0]) / sd - 1) < 0.1,
            $"posterior sd {Math.Sqrt(samples.Covariance()[0])} vs {sd}");
    }
}
