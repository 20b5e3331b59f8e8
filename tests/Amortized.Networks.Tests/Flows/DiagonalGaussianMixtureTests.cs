using Amortized.Networks.Flows;
using Amortized.Networks.Optim;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Amortized.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Amortized.Networks.Tests.Flows;

public class DiagonalGaussianMixtureTests(ITestOutputHelper output)
{
    /// <summary>Three unequal components in D dimensions, well separated in the first coordinate.</summary>
    private static DiagonalGaussianMixture Fixed(int d)
    {
        float[] logits = [0f, 1f, -0.5f];
        var means = new float[3 * d];
        var logScales = new float[3 * d];
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < d; i++)
            {
                means[k * d + i] = i == 0 ? -3f + 3f * k : 0.5f * k - 0.5f;
                logScales[k * d + i] = MathF.Log(0.4f + 0.3f * k + 0.2f * i);
            }
        return new DiagonalGaussianMixture(Tensor.FromArray(logits, 3), Tensor.FromArray(means, 3, d),
            Tensor.FromArray(logScales, 3, d));
    }

    [Fact]
    public void LogProb_1DAnd2D_IntegratesToOne()
    {
        var one = Fixed(1);
        const int n = 4001;
        float step = 24f / (n - 1);
        var grid = new float[n];
        for (int i = 0; i < n; i++) grid[i] = -12f + i * step;
        double integral = one.LogProb(Tensor.FromArray(grid, n, 1)).ToArray().Sum(l => Math.Exp(l)) * step;
        Assert.Equal(1.0, integral, 1e-4);

        var two = Fixed(2);
        const int m = 401;
        float step2 = 20f / (m - 1);
        var grid2 = new float[m * m * 2];
        for (int i = 0; i < m * m; i++)
        {
            grid2[2 * i] = -10f + i / m * step2;
            grid2[2 * i + 1] = -10f + i % m * step2;
        }
        double integral2 = two.LogProb(Tensor.FromArray(grid2, m * m, 2)).ToArray().Sum(l => Math.Exp(l)) * step2 * step2;
        output.WriteLine($"1-D integral {integral:F6}, 2-D integral {integral2:F6}");
        Assert.Equal(1.0, integral2, 1e-3);
    }

    [Fact]
    public void LogProb_OneComponent_IsTheNormal_AndFarPointsStayFinite()
    {
        var mixture = new DiagonalGaussianMixture(Tensor.FromArray([3f], 1), Tensor.FromArray([1f, -2f], 1, 2),
            Tensor.FromArray([MathF.Log(0.5f), MathF.Log(2f)], 1, 2));
        var z = Tensor.FromArray([0f, 0f, 1f, -2f], 2, 2);
        var logp = mixture.LogProb(z).ToArray();
        double Normal(double x, double mu, double s) => -0.5 * Math.Pow((x - mu) / s, 2) - Math.Log(s) - 0.5 * Math.Log(2 * Math.PI);
        Assert.Equal(Normal(0, 1, 0.5) + Normal(0, -2, 2), logp[0], 1e-5);
        Assert.Equal(Normal(1, 1, 0.5) + Normal(-2, -2, 2), logp[1], 1e-5);
        // Every component's density underflows float at z = 60, the log-sum-exp does not.
        var far = Fixed(1).LogProb(Tensor.FromArray([60f], 1, 1)).ToArray()[0];
        Assert.True(float.IsFinite(far) && far < -1000, $"log p(60) = {far}");
    }

    [Fact]
    public void Samples_MatchTheMixtureMeanAndCovariance_AndAreDeterministic()
    {
        var mixture = Fixed(2);
        var draws = mixture.Sample(60000, new Rng(3)).ToArray();
        Assert.Equal(draws, mixture.Sample(60000, new Rng(3)).ToArray());
        // Exact moments: m = sum w_k mu_k, S = sum w_k (diag(s_k^2) + mu_k mu_k') - m m'.
        var w = new[] { 0.0, 1.0, -0.5 }.Select(Math.Exp).ToArray();
        double total = w.Sum();
        var means = mixture.Means.ToArray();
        var scales = mixture.LogScales.ToArray().Select(l => Math.Exp(l)).ToArray();
        var mean = new double[2];
        var second = new double[4];
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < 2; i++)
            {
                mean[i] += w[k] / total * means[k * 2 + i];
                for (int j = 0; j < 2; j++)
                    second[i * 2 + j] += w[k] / total * (means[k * 2 + i] * means[k * 2 + j] + (i == j ? scales[k * 2 + i] * scales[k * 2 + i] : 0));
            }
        var sampleMean = new double[2];
        var sampleSecond = new double[4];
        for (int r = 0; r < 60000; r++)
            for (int i = 0; i < 2; i++)
            {
                sampleMean[i] += draws[2 * r + i] / 60000.0;
                for (int j = 0; j < 2; j++) sampleSecond[i * 2 + j] += draws[2 * r + i] * draws[2 * r + j] / 60000.0;
            }
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(mean[i], sampleMean[i], 0.03);
            for (int j = 0; j < 2; j++)
            {
                double cov = second[i * 2 + j] - mean[i] * mean[j];
                double sampleCov = sampleSecond[i * 2 + j] - sampleMean[i] * sampleMean[j];
                output.WriteLine($"cov[{i},{j}]: exact {cov:F4}, sampled {sampleCov:F4}");
                // The first coordinate's variance is about 5.6: a 2% relative tolerance is ~7 standard errors.
                Assert.True(Math.Abs(cov - sampleCov) < 0.02 * Math.Max(1, Math.Abs(cov)), $"cov[{i},{j}] {sampleCov} vs {cov}");
            }
        }
    }

    [Fact]
    public void LogProb_GradientsInParametersAndPoint_MatchFiniteDifferences()
    {
        var rng = new Rng(TestSeeds.GradCheckWeights);
        var logits = Tensor.RandomNormal(new Shape(3), rng, std: 0.5f);
        var means = Tensor.RandomNormal(new Shape(3, 2), rng);
        var logScales = Tensor.RandomNormal(new Shape(3, 2), rng, std: 0.3f);
        var z = Tensor.RandomNormal(new Shape(5, 2), rng, std: 1.5f);
        GradCheck.Assert("DiagonalGaussianMixture.LogProb", inputs =>
            new DiagonalGaussianMixture(inputs[0], inputs[1], inputs[2]).LogProb(inputs[3]), logits, means, logScales, z);
    }

    [Fact]
    public void FreshMixtureBase_IsCloseToTheStandardNormal()
    {
        // Equal weights, unit scales and means spread by 0.25: the mean |log p - log N(0, I)| over typical points
        // is small (0.08 here, K = 8, D = 2), so a fresh flow starts about where a standard-normal one does.
        var store = new ParameterStore();
        var mixture = new GaussianMixtureBase(store, "base", 8, 2, new Rng(2)).Distribution;
        Assert.Equal(new float[8], mixture.Logits.ToArray());
        var z = Tensor.RandomNormal(new Shape(2000, 2), new Rng(4));
        var a = mixture.LogProb(z).ToArray();
        var b = new StandardNormal(2).LogProb(z).ToArray();
        double gap = 0;
        for (int i = 0; i < a.Length; i++) gap += Math.Abs(a[i] - b[i]) / a.Length;
        output.WriteLine($"mean |log p_mixture - log N| = {gap:F4}");
        Assert.True(gap < 0.1, $"mean gap {gap:F4}");
        Assert.Equal(3, store.Parameters.Count);
    }

    [Fact]
    public void CouplingFlow_WithOneOrNoMixtureComponent_IsTheStandardNormalFlow_AndConflictsAreRefused()
    {
        var options = new CouplingFlowOptions { Depth = 2, SubnetWidths = [8] };
        var plain = new ParameterStore();
        var flow = new CouplingFlow(plain, "f", 2, 1, options, new Rng(5));
        var one = new ParameterStore();
        var flowOne = new CouplingFlow(one, "f", 2, 1, options with { BaseMixtureComponents = 1 }, new Rng(5));
        Assert.IsType<StandardNormal>(flow.Base);
        Assert.IsType<StandardNormal>(flowOne.Base);
        Assert.Equal(plain.Values.ToArray(), one.Values.ToArray());
        // A mixture adds its parameters after every layer's, so the layers' values are those of the plain flow.
        var mixed = new ParameterStore();
        var flowMixed = new CouplingFlow(mixed, "f", 2, 1, options with { BaseMixtureComponents = 4 }, new Rng(5));
        Assert.IsType<DiagonalGaussianMixture>(flowMixed.Base);
        Assert.Equal(plain.Parameters.Count + 3, mixed.Parameters.Count);
        Assert.Equal(plain.Values.ToArray(), mixed.Values[..plain.Values.Length].ToArray());
        var e = Assert.Throws<ArgumentException>(() => new CouplingFlow(new ParameterStore(), "f", 2, 1,
            options with { BaseMixtureComponents = 3, StudentTDegreesOfFreedom = 5f }, new Rng(5)));
        Assert.Contains("BaseMixtureComponents", e.Message);
        e = Assert.Throws<ArgumentException>(() => new CouplingFlow(new ParameterStore(), "f", 2, 1,
            options with { BaseMixtureComponents = 0 }, new Rng(5)));
        Assert.Contains("CouplingFlowOptions.BaseMixtureComponents is 0", e.Message);
    }

    [Fact]
    public void CouplingFlow_WithMixtureBase_LearnsABimodalTargetThatANormalBaseCannot()
    {
        // Target: 0.5 N(-2, 0.3^2) + 0.5 N(2, 0.3^2) in 1-D. With D = 1 an affine coupling has no conditioning half,
        // so the whole flow is affine: with a normal base its density is Gaussian and its NLL at least that of the
        // best Gaussian, 0.5 log(2 pi e 4.09) = 2.12, whatever the training. A 2-component mixture base can reach
        // the target's entropy, about 0.91.
        double normal = TrainBimodal(null, out _);
        double mixture = TrainBimodal(2, out var weights);
        output.WriteLine($"held-out NLL after 400 steps: normal base {normal:F3}, 2-component mixture base {mixture:F3}; " +
            $"mixture weights {string.Join(", ", weights.Select(w => w.ToString("F3")))}");
        Assert.True(normal > 2.0, $"normal base NLL {normal:F3} is below the best Gaussian's 2.12");
        Assert.True(mixture < 1.3, $"mixture base NLL {mixture:F3}");
    }

    /// <summary>Trains a 1-D affine coupling flow for 400 steps; returns the held-out NLL and the mixture weights.</summary>
    private static double TrainBimodal(int? components, out double[] weights)
    {
        var store = new ParameterStore();
        var flow = new CouplingFlow(store, "f", 1, 0, new CouplingFlowOptions
        {
            Depth = 2, SubnetWidths = [16], BaseMixtureComponents = components,
        }, new Rng(7));
        var adam = new Adam(store, new AdamOptions { LearningRate = LearningRateSchedule.Constant(2e-2f) });
        var tape = new Tape();
        var rng = new Rng(8);
        Tensor Batch(int n)
        {
            var x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (rng.NextFloat() < 0.5f ? -2f : 2f) + 0.3f * rng.Normal();
            return Tensor.FromArray(x, n, 1);
        }
        for (int s = 0; s < 400; s++)
        {
            var x = Batch(128);
            store.ZeroGrad();
            using (tape.Record()) tape.Backward(flow.Loss(x, null));
            adam.Update();
        }
        double nll = -flow.LogProb(Batch(4000), null).ToArray().Average(v => (double)v);
        if (flow.Base is DiagonalGaussianMixture m)
        {
            var logits = m.Logits.ToArray();
            double total = logits.Sum(l => Math.Exp(l));
            weights = [.. logits.Select(l => Math.Exp(l) / total)];
        }
        else weights = [];
        return nll;
    }
}
