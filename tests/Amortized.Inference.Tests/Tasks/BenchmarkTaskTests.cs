using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Tensors;
using Amortized.Testing;
using Xunit;

namespace Amortized.Inference.Tests.Tasks;

public sealed class BenchmarkTaskTests
{
    public static TheoryData<string> AllTasks()
    {
        var data = new TheoryData<string>();
        foreach (string name in BenchmarkTasks.Names) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(AllTasks))]
    public void Sample_EveryTask_ShapesNamesAndFiniteLogPrior(string name)
    {
        BenchmarkTask task = BenchmarkTasks.Create(name);
        Assert.Equal(name, task.Name);
        SimulationBatch batch = task.Sample(16, TestSeeds.Default);
        Assert.Equal(new[] { 16, task.ParameterDim }, batch.Shape(task.ParameterKey).ToArray());
        Assert.Equal(new[] { 16, task.DataDim }, batch.Shape(task.DataKey).ToArray());
        Assert.Equal(0, batch.Report!.NonFiniteTotal);
        for (int i = 0; i < 16; i++)
            Assert.True(double.IsFinite(task.LogPrior(batch.Row(task.ParameterKey, i))));
    }

    /// <summary>Prior mean and variance of each coordinate, per task (sbibm definitions).</summary>
    public static TheoryData<string, double[], double[]> PriorMoments()
    {
        static double LnMean(double mu, double s) => Math.Exp(mu + s * s / 2);
        static double LnVar(double mu, double s) => (Math.Exp(s * s) - 1) * Math.Exp(2 * mu + s * s);
        static double[] Fill(int n, double v) => Enumerable.Repeat(v, n).ToArray();
        return new TheoryData<string, double[], double[]>
        {
            { "two_moons", Fill(2, 0), Fill(2, 4.0 / 12) },
            { "gaussian_linear", Fill(10, 0), Fill(10, 0.1) },
            { "gaussian_linear_uniform", Fill(10, 0), Fill(10, 4.0 / 12) },
            { "slcp", Fill(5, 0), Fill(5, 36.0 / 12) },
            { "gaussian_mixture", Fill(2, 0), Fill(2, 400.0 / 12) },
            { "sir", [LnMean(Math.Log(0.4), 0.5), LnMean(Math.Log(0.125), 0.2)], [LnVar(Math.Log(0.4), 0.5), LnVar(Math.Log(0.125), 0.2)] },
            { "lotka_volterra", [LnMean(-0.125, 0.5), LnMean(-3, 0.5), LnMean(-0.125, 0.5), LnMean(-3, 0.5)],
                                [LnVar(-0.125, 0.5), LnVar(-3, 0.5), LnVar(-0.125, 0.5), LnVar(-3, 0.5)] },
            { "inverse_kinematics", Fill(4, 0), [0.0625, 0.25, 0.25, 0.25] },
            { "gaussian_mean_sets", [0], [1] },
            { "bernoulli_glm", Fill(10, 0), BernoulliGlmPriorVariances() },
        };
    }

    private static double[] BernoulliGlmPriorVariances()
    {
        // Diagonal of the inverse precision, by Gauss-Jordan in double.
        double[] p = BernoulliGlm.PriorPrecision.ToArray();
        int n = 10;
        var inv = new double[n * n];
        for (int i = 0; i < n; i++) inv[i * n + i] = 1;
        for (int c = 0; c < n; c++)
        {
            double pivot = p[c * n + c];
            for (int j = 0; j < n; j++) { p[c * n + j] /= pivot; inv[c * n + j] /= pivot; }
            for (int r = 0; r < n; r++)
            {
                if (r == c) continue;
                double f = p[r * n + c];
                for (int j = 0; j < n; j++) { p[r * n + j] -= f * p[c * n + j]; inv[r * n + j] -= f * inv[c * n + j]; }
            }
        }
        var diag = new double[n];
        for (int i = 0; i < n; i++) diag[i] = inv[i * n + i];
        return diag;
    }

    [Theory]
    [MemberData(nameof(PriorMoments))]
    public void SamplePrior_MeansAndVariances_WithinSamplingError(string name, double[] mean, double[] variance)
    {
        BenchmarkTask task = BenchmarkTasks.Create(name);
        const int n = 20_000;
        SimulationBatch batch = task.SamplePrior(n, TestSeeds.Default);
        float[] theta = batch.Get(task.ParameterKey);
        int d = task.ParameterDim;
        for (int j = 0; j < d; j++)
        {
            double m = 0;
            for (int i = 0; i < n; i++) m += theta[i * d + j];
            m /= n;
            double m2 = 0, m4 = 0;
            for (int i = 0; i < n; i++)
            {
                double c = theta[i * d + j] - m;
                m2 += c * c;
                m4 += c * c * c * c;
            }
            m2 /= n - 1;
            m4 /= n;
            double seMean = Math.Sqrt(variance[j] / n);
            double seVar = Math.Sqrt(Math.Max(m4 - m2 * m2, 0) / n);
            Assert.True(Math.Abs(m - mean[j]) < 5 * seMean, $"{name} theta[{j}]: mean {m}, expected {mean[j]} (se {seMean})");
            Assert.True(Math.Abs(m2 - variance[j]) < 5 * seVar, $"{name} theta[{j}]: variance {m2}, expected {variance[j]} (se {seVar})");
        }
    }

    [Fact]
    public void TwoMoons_KnownThetaAndNoise_MatchesFormula()
    {
        var x = new float[2];
        TwoMoons.Moons(0.3, -0.1, 0, 0.1, x);
        Assert.Equal(0.1 + 0.25 - 0.2 / Math.Sqrt(2), x[0], 6);
        Assert.Equal(-0.4 / Math.Sqrt(2), x[1], 6);

        // The simulator draws a then r from the row stream: replaying the stream reproduces x.
        var task = new TwoMoons();
        var rng = new Rng(5, 2);
        task.Simulate([0.5f, 0.2f], rng, x);
        var replay = new Rng(5, 2);
        double a = replay.Uniform(-MathF.PI / 2, MathF.PI / 2), r = replay.Normal(0.1f, 0.01f);
        var expected = new float[2];
        TwoMoons.Moons(0.5f, 0.2f, a, r, expected);
        Assert.Equal(expected, x);
    }

    [Fact]
    public void BernoulliGlm_SummaryIsDesignTransposeTimesSpikes()
    {
        var summary = new BernoulliGlm();
        var raw = new BernoulliGlm(raw: true);
        float[] theta = [0.5f, -0.3f, 0.2f, 0.1f, 0f, -0.1f, 0.2f, 0.3f, -0.2f, 0.1f];
        var x = new float[10];
        var y = new float[100];
        summary.Simulate(theta, new Rng(3, 1), x);
        raw.Simulate(theta, new Rng(3, 1), y);
        Assert.All(y, v => Assert.True(v == 0 || v == 1));
        ReadOnlySpan<double> design = summary.Design;
        for (int j = 0; j < 10; j++)
        {
            double s = 0;
            for (int t = 0; t < 100; t++) s += design[t * 10 + j] * y[t];
            Assert.Equal(s, x[j], 4);
        }
        Assert.Equal(y.Sum(), x[0]);
    }

    [Fact]
    public void BernoulliGlm_DesignFromStimulus_MatchesShippedDesign()
    {
        double[] shipped = BernoulliGlm.ShippedDesign();
        ReadOnlySpan<double> built = new BernoulliGlm().Design;
        Assert.Equal(1000, built.Length);
        for (int i = 0; i < shipped.Length; i++) Assert.Equal(shipped[i], built[i], 12);
        Assert.Equal(0.0, built[0 * 10 + 2]);          // lag 1 at t = 0 is before the start
        Assert.Equal(built[5 * 10 + 1], built[8 * 10 + 4]); // s[5] is lag 0 at t=5 and lag 3 at t=8
    }

    [Fact]
    public void GaussianLinear_Posterior_IsHalfXWithVarianceOneTwentieth()
    {
        var (mean, variance) = GaussianLinear.Posterior([1f, -2f]);
        Assert.Equal(new[] { 0.5, -1.0 }, mean);
        Assert.Equal(0.05, variance);
    }

    [Fact]
    public void GaussianMeanSets_Posterior_UsesObservedElementsOnly()
    {
        var batch = new GaussianMeanSets().Sample(4, 1);
        float[] observed = batch.Row("observed", 0).ToArray();
        int n = batch.GetIntegers("n")[0];
        Assert.Equal(n, (int)observed.Sum());
        var (mean, variance) = GaussianMeanSets.Posterior(batch.Row("x", 0), observed);
        Assert.Equal(1.0 / (n + 1), variance, 12);
        Assert.Equal(batch.Row("x", 0).ToArray().Sum() / (n + 1), mean, 4);
    }

    [Fact]
    public void Sir_InfectedFraction_ConservesPopulationAndCountsAreBinomial()
    {
        double[] p = Sir.InfectedFraction(0.4, 0.125);
        Assert.Equal(1e-6, p[0], 12);
        Assert.All(p, v => Assert.InRange(v, 0, 1));
        Assert.True(p.Max() > 0.05); // R0 = 3.2: an epidemic takes off
        SimulationBatch batch = new Sir().SimulateFrom([0.4f, 0.125f, 0.4f, 0.125f], 1);
        foreach (float v in batch.Get("x")) Assert.True(v == MathF.Round(v) && v >= 0 && v <= 1000);
    }

    [Fact]
    public void Binomial_MeanAndVariance_MatchNp()
    {
        var rng = new Rng(TestSeeds.Default);
        foreach (double p in new[] { 0.01, 0.3, 0.8 })
        {
            const int n = 4000;
            double sum = 0, sum2 = 0;
            for (int i = 0; i < n; i++) { double k = Sir.Binomial(rng, 1000, p); sum += k; sum2 += k * k; }
            double mean = sum / n, variance = sum2 / n - mean * mean, v = 1000 * p * (1 - p);
            Assert.InRange(mean, 1000 * p - 5 * Math.Sqrt(v / n), 1000 * p + 5 * Math.Sqrt(v / n));
            Assert.InRange(variance, 0.85 * v, 1.15 * v);
        }
    }

    [Fact]
    public void LotkaVolterra_Trajectory_StartsAtInitialStateAndStaysPositive()
    {
        double[] u = LotkaVolterra.Trajectory(0.88, 0.05, 0.88, 0.05);
        Assert.Equal(30, u[0], 8);
        Assert.Equal(1, u[10], 8);
        Assert.All(u, v => Assert.True(v > 0));
    }
}
