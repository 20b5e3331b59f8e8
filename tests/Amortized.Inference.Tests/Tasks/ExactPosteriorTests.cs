using Amortized.Inference.Tasks;
using Amortized.Tensors;
using Amortized.Testing;
using Xunit;
using static Amortized.Inference.Tests.Tasks.LikelihoodTestMath;

namespace Amortized.Inference.Tests.Tasks;

public sealed class ExactPosteriorTests
{
    private static readonly string[] s_withExact =
        ["two_moons", "gaussian_linear", "gaussian_linear_uniform", "gaussian_mixture"];

    [Fact]
    public void HasExactPosterior_ExactlyTheAnalyticTasks()
    {
        foreach (string name in BenchmarkTasks.Names)
            Assert.True(BenchmarkTasks.Create(name).HasExactPosterior == s_withExact.Contains(name), name);
    }

    [Fact]
    public void GaussianLinear_DrawsHaveThePosteriorMeanAndVariance()
    {
        var task = new GaussianLinear();
        var rng = new Rng(TestSeeds.Default, 21);
        var x = new float[10];
        rng.FillNormal(x, 0, 0.5f);
        const int n = 20_000;
        var draws = new float[n * 10];
        task.SampleExactPosterior(x, rng, draws);
        (double[] mean, double variance) = GaussianLinear.Posterior(x);
        CheckMoments("gaussian_linear", draws, mean, [.. Enumerable.Repeat(variance, 10)]);
    }

    /// <summary>Truncated N(x_i, 0.1) on [-1, 1], including x far outside the box on both sides.</summary>
    [Fact]
    public void GaussianLinearUniform_DrawsMatchTruncatedNormalMoments()
    {
        var task = new GaussianLinearUniform();
        float[] x = [0f, 0.5f, -0.9f, 1.3f, -1.6f, 2.5f, -4f, 4f, 0.99f, -0.2f];
        const int n = 20_000;
        var draws = new float[n * 10];
        task.SampleExactPosterior(x, new Rng(TestSeeds.Default, 22), draws);
        Assert.All(draws, t => Assert.InRange(t, -1f, 1f));
        double s = Math.Sqrt(0.1);
        var mean = new double[10];
        var variance = new double[10];
        for (int i = 0; i < 10; i++)
        {
            double a = (-1 - x[i]) / s, b = (1 - x[i]) / s;
            // Z = Phi(b) - Phi(a) computed on the side where it does not cancel (both tails are symmetric).
            double z = b < 0 ? Cdf(b) - Cdf(a) : a > 0 ? Cdf(-a) - Cdf(-b) : 1 - Cdf(a) - Cdf(-b);
            double m = (Phi(a) - Phi(b)) / z;
            mean[i] = x[i] + s * m;
            variance[i] = s * s * (1 + (a * Phi(a) - b * Phi(b)) / z - m * m);
        }
        CheckMoments("gaussian_linear_uniform", draws, mean, variance);
    }

    /// <summary>
    /// The truncated-normal sampler's branches (mode inside, narrow around the mode, short and long one-sided
    /// intervals, far tails on both sides) against the closed-form mean and variance.
    /// </summary>
    [Theory]
    [InlineData(-3.0, 3.0)]
    [InlineData(-0.3, 0.4)]
    [InlineData(0.5, 1.5)]
    [InlineData(12.0, 12.1)]
    [InlineData(0.2, 8.0)]
    [InlineData(20.0, 26.0)]
    [InlineData(-26.0, -20.0)]
    [InlineData(-0.5, 0.3)]
    public void TruncatedNormal_MatchesClosedFormMoments(double a, double b)
    {
        const int n = 20_000;
        var rng = new Rng(TestSeeds.Default, 25);
        var draws = new float[n];
        for (int i = 0; i < n; i++)
        {
            double z = TruncatedNormal.Sample(a, b, rng);
            Assert.InRange(z, a, b);
            draws[i] = (float)(z - a);   // shifted so float keeps the spread of the far-tail cases
        }
        // Z = Phi(b) - Phi(a) on the side where it does not cancel; the moments via the ratio of phi to Z.
        double mass = b < 0 ? Cdf(b) - Cdf(a) : a > 0 ? Cdf(-a) - Cdf(-b) : 1 - Cdf(a) - Cdf(-b);
        double m = (Phi(a) - Phi(b)) / mass;
        double variance = 1 + (a * Phi(a) - b * Phi(b)) / mass - m * m;
        CheckMoments($"truncated normal [{a}, {b}]", draws, [m - a], [variance]);
    }

    /// <summary>Per-coordinate mean and variance against the reference within 5 standard errors.</summary>
    private static void CheckMoments(string name, float[] draws, double[] mean, double[] variance)
    {
        int p = mean.Length, n = draws.Length / p;
        for (int i = 0; i < p; i++)
        {
            double m = 0, v = 0;
            for (int r = 0; r < n; r++) m += draws[r * p + i];
            m /= n;
            for (int r = 0; r < n; r++) v += (draws[r * p + i] - m) * (draws[r * p + i] - m);
            v /= n - 1;
            Assert.True(Math.Abs(m - mean[i]) <= 5 * Math.Sqrt(variance[i] / n),
                $"{name}: mean {i} = {m}; expected {mean[i]}");
            // sd of the sample variance is ~ variance sqrt(2 / n) near Gaussian; 7 of those for the skewed
            // truncated cases.
            Assert.True(Math.Abs(v - variance[i]) <= 7 * variance[i] * Math.Sqrt(2.0 / n),
                $"{name}: variance {i} = {v}; expected {variance[i]}");
        }
    }

    public static TheoryData<string, float[], float[], double, double> GridCases() => new()
    {
        // two_moons at the sbibm-style observation (0, 0): two thin crescents; grid 0.002 (5 points per sd 0.01).
        { "two_moons", [0f, 0f], [0.05f, -0.05f], -1, 1 },
        // gaussian_mixture near a corner, so the box truncates the posterior; grid 0.02 (5 points per sd 0.1) over
        // [-10, -3]^2, which holds all but ~1e-10 of the posterior (the wide component is cut 6.5 sd from x).
        { "gaussian_mixture", [-9.5f, -9.7f], [-9.2f, -9.3f], -10, -3 },
    };

    /// <summary>
    /// Exact draws against prior x likelihood on a fine grid, normalised over the box: means, covariance and a 2-D
    /// histogram agree; the same draws against the grid of a nearby different x are clearly rejected.
    /// </summary>
    [Theory]
    [MemberData(nameof(GridCases))]
    public void TwoDimensionalPosterior_MatchesGrid(string name, float[] x, float[] otherX, double low, double high)
    {
        BenchmarkTask task = BenchmarkTasks.Create(name);
        const int n = 20_000;
        var draws = new float[n * 2];
        task.SampleExactPosterior(x, new Rng(TestSeeds.Default, 23), draws);
        for (int r = 0; r < n; r++)
            Assert.True(double.IsFinite(task.LogPrior(draws.AsSpan(r * 2, 2))), $"{name}: draw {r} outside the prior");

        double step = name == "two_moons" ? 0.002 : 0.02;
        int cells = (int)Math.Round((high - low) / step), binSize = 25;
        int bins = cells / binSize;
        double[] grid = Grid(task, x, low, step, cells);

        // Moments: E[g] for g = theta_0, theta_1, centred squares and cross product; SE from the grid's Var[g].
        double m0 = 0, m1 = 0;
        ForEach(grid, low, step, cells, (t0, t1, w) => { m0 += w * t0; m1 += w * t1; });
        Func<double, double, double>[] stats =
        [
            (t0, t1) => t0, (t0, t1) => t1, (t0, t1) => (t0 - m0) * (t0 - m0), (t0, t1) => (t1 - m1) * (t1 - m1),
            (t0, t1) => (t0 - m0) * (t1 - m1),
        ];
        for (int g = 0; g < stats.Length; g++)
        {
            double e = 0, e2 = 0;
            ForEach(grid, low, step, cells, (t0, t1, w) =>
            {
                double v = stats[g](t0, t1);
                e += w * v;
                e2 += w * v * v;
            });
            double sample = 0;
            for (int r = 0; r < n; r++) sample += stats[g](draws[2 * r], draws[2 * r + 1]);
            sample /= n;
            double se = Math.Sqrt(Math.Max(e2 - e * e, 0) / n);
            Assert.True(Math.Abs(sample - e) <= 5 * se + 1e-6, $"{name}: statistic {g} = {sample}; grid says {e}");
        }

        double[] observed = Histogram(draws, low, step * binSize, bins);
        (double chi, int dof) = ChiSquare(observed, Binned(grid, cells, binSize, n));
        Assert.True(chi < ChiSquareBound(dof), $"{name}: chi-square {chi} with {dof} dof");

        // Negative control: the grid of another observation must be rejected by far.
        double[] otherGrid = Grid(task, otherX, low, step, cells);
        (double otherChi, int otherDof) = ChiSquare(observed, Binned(otherGrid, cells, binSize, n));
        Assert.True(otherChi > 10 * ChiSquareBound(otherDof), $"{name}: other x gives chi-square {otherChi}");
    }

    /// <summary>Normalised posterior weights at the cell midpoints (cells x cells, theta_0 major).</summary>
    private static double[] Grid(BenchmarkTask task, float[] x, double low, double step, int cells)
    {
        var logW = new double[cells * cells];
        var theta = new float[2];
        double max = double.NegativeInfinity;
        for (int i = 0; i < cells; i++)
            for (int j = 0; j < cells; j++)
            {
                theta[0] = (float)(low + (i + 0.5) * step);
                theta[1] = (float)(low + (j + 0.5) * step);
                double l = task.LogPrior(theta) + task.LogLikelihood(theta, x);
                logW[i * cells + j] = l;
                max = Math.Max(max, l);
            }
        double sum = 0;
        for (int c = 0; c < logW.Length; c++) sum += logW[c] = Math.Exp(logW[c] - max);
        for (int c = 0; c < logW.Length; c++) logW[c] /= sum;
        return logW;
    }

    private static void ForEach(double[] grid, double low, double step, int cells, Action<double, double, double> f)
    {
        for (int i = 0; i < cells; i++)
            for (int j = 0; j < cells; j++)
            {
                double w = grid[i * cells + j];
                if (w > 0) f(low + (i + 0.5) * step, low + (j + 0.5) * step, w);
            }
    }

    private static double[] Binned(double[] grid, int cells, int binSize, int n)
    {
        int bins = cells / binSize;
        var expected = new double[bins * bins];
        for (int i = 0; i < cells; i++)
            for (int j = 0; j < cells; j++) expected[(i / binSize) * bins + j / binSize] += n * grid[i * cells + j];
        return expected;
    }

    private static double[] Histogram(float[] draws, double low, double width, int bins)
    {
        var counts = new double[bins * bins];
        for (int r = 0; r < draws.Length / 2; r++)
        {
            int b0 = Math.Clamp((int)Math.Floor((draws[2 * r] - low) / width), 0, bins - 1);
            int b1 = Math.Clamp((int)Math.Floor((draws[2 * r + 1] - low) / width), 0, bins - 1);
            counts[b0 * bins + b1]++;
        }
        return counts;
    }

    [Fact]
    public void SampleExactPosterior_IsDeterministicForTheRng()
    {
        foreach (string name in s_withExact)
        {
            BenchmarkTask task = BenchmarkTasks.Create(name);
            var x = new float[task.DataDim];
            var theta = new float[task.ParameterDim];
            var rng = new Rng(TestSeeds.Default, 24);
            task.SamplePrior(rng, theta);
            task.Simulate(theta, rng, x);
            var first = new float[50 * task.ParameterDim];
            var second = new float[50 * task.ParameterDim];
            task.SampleExactPosterior(x, new Rng(7, 3), first);
            task.SampleExactPosterior(x, new Rng(7, 3), second);
            Assert.Equal(first, second);
            task.SampleExactPosterior(x, new Rng(8, 3), second);
            Assert.NotEqual(first, second);
        }
    }
}
