using Amortized.Inference.Tasks;
using Amortized.Tensors;
using Amortized.Testing;
using Xunit;
using static Amortized.Inference.Tests.Tasks.LikelihoodTestMath;

namespace Amortized.Inference.Tests.Tasks;

public sealed class LogLikelihoodTests
{
    private static readonly string[] s_withLikelihood =
    [
        "two_moons", "gaussian_linear", "gaussian_linear_uniform", "slcp", "gaussian_mixture",
        "bernoulli_glm", "bernoulli_glm_raw", "sir", "lotka_volterra",
    ];

    public static TheoryData<string> LikelihoodTasks()
    {
        var data = new TheoryData<string>();
        foreach (string name in s_withLikelihood) data.Add(name);
        return data;
    }

    [Fact]
    public void HasLogLikelihood_ExactlyTheTractableTasks()
    {
        foreach (string name in BenchmarkTasks.Names)
            Assert.True(BenchmarkTasks.Create(name).HasLogLikelihood == s_withLikelihood.Contains(name), name);
    }

    /// <summary>
    /// Under x ~ p(x | theta0): E[p(x | theta1) / p(x | theta0)] = 1 (any theta-dependent normalisation error breaks
    /// it) and E[d/dtheta log p(x | theta)] = 0 at theta0 (central differences), both within 5 standard errors.
    /// </summary>
    [Theory]
    [MemberData(nameof(LikelihoodTasks))]
    public void ImportanceAndScoreIdentities_HoldUnderTheSimulator(string name)
    {
        BenchmarkTask task = BenchmarkTasks.Create(name);
        int p = task.ParameterDim, n = 1500;
        var rng = new Rng(TestSeeds.Default, 11);
        var theta0 = new float[p];
        task.SamplePrior(rng, theta0);
        float[][] xs = SimulateMany(task, theta0, n, rng);
        double[] l0 = LogLikelihoods(task, theta0, xs);
        Assert.All(l0, v => Assert.True(double.IsFinite(v), $"{name}: log-likelihood {v} of a simulated x"));

        // theta1 = theta0 + step * direction, the step halved until the log-weights have sd <= 1, so that the
        // weights' mean has a usable standard error. The direction points towards the origin so that it stays in
        // the bounded priors' boxes even when theta0 is near their edge.
        var direction = new double[p];
        for (int j = 0; j < p; j++)
            direction[j] = -Math.Sign(theta0[j]) * Math.Abs(rng.Normal()) * Math.Max(Math.Abs(theta0[j]), 0.1);
        var theta1 = new float[p];
        var logW = new double[n];
        double step = 0.5, sd = double.PositiveInfinity;
        for (int halving = 0; halving < 30 && sd > 1; halving++, step /= 2)
        {
            for (int j = 0; j < p; j++) theta1[j] = (float)(theta0[j] + step * direction[j]);
            if (!double.IsFinite(task.LogPrior(theta1))) continue;
            double[] l1 = LogLikelihoods(task, theta1, xs);
            for (int i = 0; i < n; i++) logW[i] = l1[i] - l0[i];
            sd = MeanAndError(logW).StdError * Math.Sqrt(n);
            if (double.IsNaN(sd)) sd = double.PositiveInfinity;
        }
        Assert.True(sd is > 0.05 and <= 1, $"{name}: sd of the log-weights {sd}; expected in (0.05, 1]");
        var w = new double[n];
        for (int i = 0; i < n; i++) w[i] = Math.Exp(logW[i]);
        (double meanW, double seW) = MeanAndError(w);
        Assert.True(Math.Abs(meanW - 1) <= 5 * seW,
            $"{name}: E[w] = {meanW} +- {seW}; expected 1 (importance identity)");

        for (int j = 0; j < p; j++)
        {
            float h = (float)(1e-3 * Math.Max(Math.Abs(theta0[j]), 0.1));
            float[] plus = [.. theta0], minus = [.. theta0];
            plus[j] += h;
            minus[j] -= h;
            double[] lp = LogLikelihoods(task, plus, xs), lm = LogLikelihoods(task, minus, xs);
            var score = new double[n];
            for (int i = 0; i < n; i++) score[i] = (lp[i] - lm[i]) / ((double)plus[j] - minus[j]);
            (double meanS, double seS) = MeanAndError(score);
            Assert.True(Math.Abs(meanS) <= 5 * seS + 1e-9,
                $"{name}: E[score_{j}] = {meanS} +- {seS}; expected 0 (score identity)");
        }
    }

    /// <summary>
    /// For the tasks whose likelihood factorises over the data values, the constant is checked too: with x_ref a
    /// simulated x, S_k = sum / integral over v of p(x_ref with x_k = v) / p(x_ref) equals 1 / p_k(x_ref_k), so
    /// log p(x_ref) = -sum_k log S_k.
    /// </summary>
    [Theory]
    [InlineData("gaussian_linear")]
    [InlineData("gaussian_linear_uniform")]
    [InlineData("lotka_volterra")]
    [InlineData("sir")]
    [InlineData("bernoulli_glm_raw")]
    public void FactorisedLikelihood_IsNormalised(string name)
    {
        BenchmarkTask task = BenchmarkTasks.Create(name);
        var rng = new Rng(TestSeeds.Default, 12);
        var theta = new float[task.ParameterDim];
        task.SamplePrior(rng, theta);
        var xRef = new float[task.DataDim];
        task.Simulate(theta, rng, xRef);
        double lRef = task.LogLikelihood(theta, xRef);
        double sumLogS = 0;
        var x = new float[task.DataDim];
        for (int k = 0; k < task.DataDim; k++)
        {
            xRef.CopyTo(x, 0);
            float[] nodes = Nodes(name, xRef[k]);
            double s = 0;
            for (int m = 0; m < nodes.Length; m++)
            {
                x[k] = nodes[m];
                double f = Math.Exp(task.LogLikelihood(theta, x) - lRef);
                s += name switch
                {
                    "sir" or "bernoulli_glm_raw" => f,        // a sum over counts
                    "lotka_volterra" => f * nodes[m] * LogStep,   // dv = v ds on the uniform log grid s
                    _ => f * LinearStep,
                };
            }
            sumLogS += Math.Log(s);
        }
        Assert.True(Math.Abs(lRef + sumLogS) < 1e-4, $"{name}: log p(x_ref) = {lRef}; expected {-sumLogS}");
    }

    private const double LogStep = 2.4 / 1200, LinearStep = 0.001;

    /// <summary>
    /// Quadrature nodes for x_k: uniform grids (the rectangle rule is spectrally accurate for a smooth density
    /// that has decayed at both ends), on the log scale for the log-normal data.
    /// </summary>
    private static float[] Nodes(string name, float center)
    {
        switch (name)
        {
            case "sir":
                return [.. Enumerable.Range(0, 1001).Select(v => (float)v)];
            case "bernoulli_glm_raw":
                return [0f, 1f];
            case "lotka_volterra":
                // x_k is log-normal with sd 0.1 on the log scale: e^(+-1.2) around it spans 12 sd.
                return [.. Enumerable.Range(0, 1201).Select(m => (float)(center * Math.Exp(-1.2 + m * LogStep)))];
            default:
                // N(theta_k, 0.1): +-4 is 12.6 sd.
                return [.. Enumerable.Range(0, 8001).Select(m => (float)(center - 4 + m * LinearStep))];
        }
    }

    /// <summary>10^5 simulated x in a 2-D histogram against exp(log p(x | theta)) integrated over the bins.</summary>
    [Theory]
    [InlineData("two_moons", 0.3, -0.2, 0.15, 30)]
    [InlineData("gaussian_mixture", 1.0, -2.0, 5.0, 50)]
    public void TwoDimensionalLikelihood_MatchesSimulatorHistogram(string name, double t0, double t1,
        double halfWidth, int bins)
    {
        BenchmarkTask task = BenchmarkTasks.Create(name);
        float[] theta = [(float)t0, (float)t1];
        const int n = 100_000;
        var rng = new Rng(TestSeeds.Default, 13);
        // Window centre: the mean of x (two_moons: the half ring's centre (0.25 - |t1 + t2|/sqrt2, (t2 - t1)/sqrt2)).
        double c0 = name == "two_moons" ? 0.25 - Math.Abs(t0 + t1) / Math.Sqrt(2) : t0;
        double c1 = name == "two_moons" ? (t1 - t0) / Math.Sqrt(2) : t1;
        double lo0 = c0 - halfWidth, lo1 = c1 - halfWidth, width = 2 * halfWidth / bins;
        var observed = new double[bins * bins];
        var x = new float[2];
        for (int i = 0; i < n; i++)
        {
            task.Simulate(theta, rng, x);
            int b0 = (int)Math.Floor((x[0] - lo0) / width), b1 = (int)Math.Floor((x[1] - lo1) / width);
            if (b0 >= 0 && b0 < bins && b1 >= 0 && b1 < bins) observed[b0 * bins + b1]++;
        }
        // Midpoint rule, 12 x 12 points per bin (the density's finest scale is 0.01 for both tasks).
        const int sub = 12;
        var expected = new double[bins * bins];
        double total = 0, cell = width / sub;
        for (int b0 = 0; b0 < bins; b0++)
            for (int b1 = 0; b1 < bins; b1++)
            {
                double mass = 0;
                for (int s0 = 0; s0 < sub; s0++)
                    for (int s1 = 0; s1 < sub; s1++)
                    {
                        x[0] = (float)(lo0 + b0 * width + (s0 + 0.5) * cell);
                        x[1] = (float)(lo1 + b1 * width + (s1 + 0.5) * cell);
                        mass += Math.Exp(task.LogLikelihood(theta, x));
                    }
                expected[b0 * bins + b1] = n * mass * cell * cell;
                total += mass * cell * cell;
            }
        // The window holds all but ~1e-6 of the mass, so the integral checks the normalising constant.
        Assert.True(Math.Abs(total - 1) < 2e-3, $"{name}: density integrates to {total} over the window; expected 1");
        (double chi, int dof) = ChiSquare(observed, expected);
        Assert.True(chi < ChiSquareBound(dof), $"{name}: chi-square {chi} with {dof} dof");
    }

    /// <summary>The marginal of one count x_k matches the binomial pmf from the likelihood's factor for x_k.</summary>
    [Fact]
    public void Sir_CountMarginal_MatchesSimulator()
    {
        var task = new Sir();
        float[] theta = [0.4f, 0.125f];
        const int n = 20_000, k = 4;
        var rng = new Rng(TestSeeds.Default, 14);
        float[][] xs = SimulateMany(task, theta, n, rng);
        var observed = new double[1001];
        foreach (float[] x in xs) observed[(int)x[k]]++;
        // p_k(v) = p(x0 with x_k = v) / sum_v' p(x0 with x_k = v'); the joint factorises over k.
        float[] probe = [.. xs[0]];
        var logF = new double[1001];
        for (int v = 0; v <= 1000; v++)
        {
            probe[k] = v;
            logF[v] = task.LogLikelihood(theta, probe);
        }
        double max = logF.Max(), z = logF.Sum(l => Math.Exp(l - max));
        double[] expected = [.. logF.Select(l => n * Math.Exp(l - max) / z)];
        (double chi, int dof) = ChiSquare(observed, expected);
        Assert.True(dof >= 20, $"sir: only {dof} dof");
        Assert.True(chi < ChiSquareBound(dof), $"sir: chi-square {chi} with {dof} dof");
        // And a mean check against the ODE fraction directly.
        double p = Sir.InfectedFraction(theta[0], theta[1])[k];
        Assert.Equal(1000 * p, observed.Select((c, v) => c * v).Sum() / n, 1000 * p * 0.02 + 0.5);
    }

    [Fact]
    public void ImpossibleData_HaveNegativeInfinity()
    {
        var sir = new Sir();
        float[] sirTheta = [0.4f, 0.125f], counts = new float[10];
        sir.Simulate(sirTheta, new Rng(TestSeeds.Default), counts);
        Assert.True(double.IsFinite(sir.LogLikelihood(sirTheta, counts)));
        foreach (float bad in new[] { 0.5f, -1f, 1001f, float.NaN })
        {
            float[] x = [.. counts];
            x[5] = bad;
            Assert.Equal(double.NegativeInfinity, sir.LogLikelihood(sirTheta, x));
        }

        var lv = new LotkaVolterra();
        float[] lvTheta = [0.9f, 0.05f, 0.9f, 0.05f], lvX = new float[20];
        lv.Simulate(lvTheta, new Rng(TestSeeds.Default), lvX);
        Assert.True(double.IsFinite(lv.LogLikelihood(lvTheta, lvX)));
        lvX[3] = 0;
        Assert.Equal(double.NegativeInfinity, lv.LogLikelihood(lvTheta, lvX));

        var raw = new BernoulliGlm(raw: true);
        var y = new float[BernoulliGlm.TimeBins];
        var glmTheta = new float[10];
        Assert.Equal(-BernoulliGlm.TimeBins * Math.Log(2), raw.LogLikelihood(glmTheta, y), 10);
        y[7] = 0.5f;
        Assert.Equal(double.NegativeInfinity, raw.LogLikelihood(glmTheta, y));
    }

    /// <summary>The summary likelihood equals the raw one for the spikes behind x = X^T y (zero constant).</summary>
    [Fact]
    public void BernoulliGlm_SummaryMatchesRawForTheSameSpikes()
    {
        var summary = new BernoulliGlm();
        var raw = new BernoulliGlm(raw: true);
        var rng = new Rng(TestSeeds.Default, 15);
        var theta = new float[10];
        var y = new float[BernoulliGlm.TimeBins];
        var x = new float[10];
        for (int rep = 0; rep < 5; rep++)
        {
            summary.SamplePrior(rng, theta);
            raw.Simulate(theta, rng, y);
            summary.SummaryStatistics(y, x);
            // x is rounded to float, so theta . x differs from sum y_t eta_t by ~1e-7 |theta| |x|.
            Assert.Equal(raw.LogLikelihood(theta, y), summary.LogLikelihood(theta, x), 3);
        }
    }
}
