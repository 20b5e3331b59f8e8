using Amortized.Kernels.Cpu;
using Amortized.Networks.Flows;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Networks.Tests.Flows;

/// <summary>The diffusion model's samplers, densities, loss and determinism (one trained model shared per test).
/// </summary>
public class DiffusionModelTests
{
    private static readonly DiffusionModelOptions s_small = new() { Widths = [64, 64] };

    [Fact]
    public void Trained_Default_OdeSdeAndHeunSamplers_MatchTheConditionalGaussian()
    {
        // EDM, variance preserving, F-prediction, noise loss: the defaults, trained once; the samplers share it.
        // Measured (largest mean / covariance error): ODE 0.020 / 0.027, SDE 0.031 / 0.050, Heun 0.019 / 0.028.
        var (model, store) = ConditionalGaussianCase.Train((s, r) => new DiffusionModel(s, "dm", 2, 1, s_small, r),
            seed: 31, steps: 2000, batch: 256);
        ConditionalGaussianCase.AssertMatches(model, "ODE (RK4, 25 steps)");
        ConditionalGaussianCase.AssertMatches(WithOptions(store, s_small with { Sampler = DiffusionSampler.Sde, Steps = 100 }),
            "SDE (Euler-Maruyama, 100 steps)");
        ConditionalGaussianCase.AssertMatches(WithOptions(store, s_small with { Sampler = DiffusionSampler.Heun, Steps = 25 }),
            "Heun (25 steps)");
        ConditionalGaussianCase.AssertMatches(WithOptions(store, s_small with { Method = OdeMethod.DormandPrince }),
            "ODE (Dormand-Prince)");
        // As a likelihood (NLE evaluates LogProb inside MCMC): the density of draws from the true conditional against
        // the exact Gaussian log density.
        var rng = new Rng(9);
        const int n = 400;
        double l11 = Math.Sqrt(0.5), l21 = 0.3 / l11, l22 = Math.Sqrt(0.4 - l21 * l21);
        double det = 0.5 * 0.4 - 0.3 * 0.3;
        var x = new float[2 * n];
        var exact = new double[n];
        for (int i = 0; i < n; i++)
        {
            double z1 = rng.Normal(), z2 = rng.Normal();
            x[2 * i] = (float)(0.5 + l11 * z1);
            x[2 * i + 1] = (float)(-0.25 + l21 * z1 + l22 * z2);
            // The Mahalanobis distance of L z is |z|^2.
            exact[i] = -0.5 * (z1 * z1 + z2 * z2) - Math.Log(2 * Math.PI) - 0.5 * Math.Log(det);
        }
        var logq = model.LogProb(Tensor.FromArray(x, n, 2), Tensor.Full(new Shape(n, 1), 0.5f)).ToArray();
        double bias = 0, spread = 0;
        for (int i = 0; i < n; i++) bias += (logq[i] - exact[i]) / n;
        for (int i = 0; i < n; i++) spread += Math.Pow(logq[i] - exact[i] - bias, 2) / n;
        // Measured: KL(p || q) = 0.015 nats, rms 0.114 (the error grows with the distance from the mean, where a
        // covariance off by a few hundredths shows most). An untrained net, or a mean shifted by 0.2 in either
        // coordinate (KL 0.07 and 0.09), exceeds 0.05.
        Assert.True(Math.Abs(bias) < 0.05 && Math.Sqrt(spread) < 0.25,
            $"log q - log p: mean {bias:F4} (minus the KL of p from q), rms about it {Math.Sqrt(spread):F4}");
    }

    [Fact]
    public void Loss_WeightsEachRowByItsOwnNoiseLevel()
    {
        // BayesFlow #787: a (B, 1) weight times a (B,) error broadcasts to (B, B), optimising mean(w) mean(err).
        var dm = new DiffusionModel(new ParameterStore(), "dm", 2, 0, s_small, new Rng(2));
        var x = Tensor.RandomNormal(new Shape(3, 2), new Rng(3));
        var eps = Tensor.RandomNormal(new Shape(3, 2), new Rng(4));
        double[] logSnr = [-6, 0, 8];
        double loss = dm.RowLosses(x, null, logSnr, eps).Mean().ToArray()[0];
        var xs = x.ToArray();
        var es = eps.ToArray();
        double expected = 0, meanWeight = 0, meanError = 0;
        for (int r = 0; r < 3; r++)
        {
            var (alpha, sigma) = dm.Schedule.AlphaSigma(logSnr[r]);
            var z = Tensor.FromArray([(float)(alpha * xs[2 * r] + sigma * es[2 * r]),
                (float)(alpha * xs[2 * r + 1] + sigma * es[2 * r + 1])], 1, 2);
            var predicted = dm.PredictNoise(z, [logSnr[r]], null).ToArray();
            double error = (Math.Pow(predicted[0] - es[2 * r], 2) + Math.Pow(predicted[1] - es[2 * r + 1], 2)) / 2;
            double weight = 1 + Math.Exp(-logSnr[r]);   // EDM with sigma_data = 1
            expected += weight * error / 3;
            meanWeight += weight / 3;
            meanError += error / 3;
        }
        Assert.Equal(expected, loss, expected * 1e-5);
        Assert.True(Math.Abs(meanWeight * meanError - expected) > 0.1 * expected, "the rows' weights are not distinct");
    }

    [Fact]
    public void Training_IsDeterministicUnderASeed_ForEverySampler()
    {
        var options = new DiffusionModelOptions { Widths = [16], Steps = 5 };
        var (a, storeA) = ConditionalGaussianCase.Train((s, r) => new DiffusionModel(s, "dm", 2, 1, options, r), 3, 20);
        var (_, storeB) = ConditionalGaussianCase.Train((s, r) => new DiffusionModel(s, "dm", 2, 1, options, r), 3, 20);
        Assert.Equal(storeA.Values.ToArray(), storeB.Values.ToArray());
        var c = Tensor.FromArray([0.2f], 1);
        foreach (var sampler in Enum.GetValues<DiffusionSampler>())
        {
            var first = WithOptions(storeA, options with { Sampler = sampler });
            var second = WithOptions(storeB, options with { Sampler = sampler });
            Assert.Equal(first.Sample(50, c, new Rng(5)).ToArray(), second.Sample(50, c, new Rng(5)).ToArray());
        }
        // The noise stream matters: another seed trains other weights.
        var (_, other) = ConditionalGaussianCase.Train((s, r) => new DiffusionModel(s, "dm", 2, 1, options, r), 4, 20);
        Assert.NotEqual(storeA.Values.ToArray(), other.Values.ToArray());
        // The SDE's draws depend on the sampling generator beyond the base draws; the ODE's do only through them.
        var sde = WithOptions(storeA, options with { Sampler = DiffusionSampler.Sde });
        Assert.NotEqual(sde.Sample(50, c, new Rng(5)).ToArray(), sde.Sample(50, c, new Rng(6)).ToArray());
    }

    [Fact]
    public void Options_OutOfRange_AreRefused_NamingTheOption()
    {
        foreach (var (options, name) in new (DiffusionModelOptions, string)[]
        {
            (new() { Widths = [] }, "Widths"),
            (new() { Widths = [8, 0] }, "Widths"),
            (new() { Dropout = 1f }, "Dropout"),
            (new() { Activation = (Activation)99 }, "Activation"),
            (new() { Schedule = (NoiseScheduleKind)9 }, "Schedule"),
            (new() { Variance = (DiffusionVariance)9 }, "Variance"),
            (new() { Prediction = (DiffusionPrediction)9 }, "Prediction"),
            (new() { Loss = (DiffusionLoss)9 }, "Loss"),
            (new() { Sampler = (DiffusionSampler)9 }, "Sampler"),
            (new() { Method = (OdeMethod)9 }, "Method"),
            (new() { Steps = 0 }, "Steps"),
            (new() { RelativeTolerance = 0 }, "RelativeTolerance"),
            (new() { AbsoluteTolerance = double.NaN }, "AbsoluteTolerance"),
            (new() { SigmaData = 0 }, "SigmaData"),
            (new() { SigmaMin = -1 }, "SigmaMin"),
            (new() { SigmaMin = 1, SigmaMax = 0.5 }, "SigmaMax"),
            (new() { Rho = 0 }, "Rho"),
            (new() { MinLogSnr = -5 }, "MinLogSnr"),   // a cosine option on the EDM schedule
            (new() { Schedule = NoiseScheduleKind.Cosine, SigmaMax = 10 }, "SigmaMax"),
            (new() { Schedule = NoiseScheduleKind.Cosine, MinLogSnr = 3, MaxLogSnr = 2 }, "MaxLogSnr"),
            (new() { Schedule = NoiseScheduleKind.Cosine, MinLogSnr = -50 }, "MinLogSnr"),
            (new() { Schedule = NoiseScheduleKind.Cosine, Shift = double.PositiveInfinity }, "Shift"),
        })
        {
            var e = Assert.Throws<ArgumentException>(() => new DiffusionModel(new ParameterStore(), "dm", 2, 0, options,
                new Rng(1)));
            Assert.Contains($"DiffusionModelOptions.{name}", e.Message);
        }
    }

    /// <summary>A model with <paramref name="options"/> (same architecture) holding the values of
    /// <paramref name="trained"/>.</summary>
    internal static DiffusionModel WithOptions(ParameterStore trained, DiffusionModelOptions options)
    {
        var store = new ParameterStore();
        var model = new DiffusionModel(store, "dm", 2, 1, options, new Rng(31));
        trained.Values.CopyTo(store.Values);
        return model;
    }
}

/// <summary>The probability-flow density integrates to one (grid quadrature).</summary>
public class DiffusionDensityTests
{
    [Fact]
    public void LogProb_RandomNetwork1D_IntegratesToOne()
    {
        // An untrained network is an arbitrary (non-zero) field, so the density is a genuine push-forward of the base.
        var dm = new DiffusionModel(new ParameterStore(), "dm", 1, 0,
            new DiffusionModelOptions { Widths = [16, 16], Activation = Activation.Tanh }, new Rng(5));
        const int n = 1601;
        const float lo = -10f, hi = 10f;
        float step = (hi - lo) / (n - 1);
        var grid = new float[n];
        for (int i = 0; i < n; i++) grid[i] = lo + i * step;
        var logp = dm.LogProb(Tensor.FromArray(grid, n, 1), null).ToArray();
        double integral = 0;
        for (int i = 0; i < n; i++) integral += (i == 0 || i == n - 1 ? 0.5 : 1.0) * Math.Exp(logp[i]) * step;
        // Measured 1 + 8e-9 with the default RK4 (50 steps), 1 + 5e-6 with Dormand-Prince, 1.015 with Euler: the
        // truncation to [lambda_min, lambda_max] leaves an error of order 1e-8 (see DiffusionModel's remarks).
        Assert.InRange(integral, 0.9999, 1.0001);
        Assert.True(Math.Abs(logp[n / 2] - (-0.5 * Math.Log(2 * Math.PI))) > 1e-3, "the density is the base density");
    }

    [Fact]
    public void LogProb_RandomNetwork2D_IntegratesToOne()
    {
        var dm = new DiffusionModel(new ParameterStore(), "dm", 2, 1,
            new DiffusionModelOptions { Widths = [16, 16], Activation = Activation.Tanh }, new Rng(6));
        const int n = 161;
        const float lo = -8f, hi = 8f;
        float step = (hi - lo) / (n - 1);
        var grid = new float[n * n * 2];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                grid[2 * (i * n + j)] = lo + i * step;
                grid[2 * (i * n + j) + 1] = lo + j * step;
            }
        var logp = dm.LogProb(Tensor.FromArray(grid, n * n, 2), Tensor.Full(new Shape(n * n, 1), 0.7f)).ToArray();
        double integral = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double w = (i == 0 || i == n - 1 ? 0.5 : 1.0) * (j == 0 || j == n - 1 ? 0.5 : 1.0);
                integral += w * Math.Exp(logp[i * n + j]) * step * step;
            }
        // Measured 1 + 2.3e-3, all of it the grid's: the density peaks at e^0.7 and a 481-point grid on [-12, 12]^2
        // gives 1 - 2.7e-5 (RK4 with 200 steps or Dormand-Prince change the integral by less than 1e-5).
        Assert.InRange(integral, 0.995, 1.005);
    }
}

/// <summary>The schedules' formulas against their definitions.</summary>
public class NoiseScheduleTests
{
    [Theory]
    [InlineData(NoiseScheduleKind.Edm, DiffusionVariance.Preserving)]
    [InlineData(NoiseScheduleKind.Edm, DiffusionVariance.Exploding)]
    [InlineData(NoiseScheduleKind.Cosine, DiffusionVariance.Preserving)]
    [InlineData(NoiseScheduleKind.Cosine, DiffusionVariance.Exploding)]
    public void SamplingGrid_SpansTheRange_AndItsRatesMatchFiniteDifferences(NoiseScheduleKind kind,
        DiffusionVariance variance)
    {
        var schedule = NoiseSchedule.Create(new DiffusionModelOptions { Schedule = kind, Variance = variance });
        Assert.Equal(schedule.LogSnrMax, schedule.LogSnr(0), 9);
        Assert.Equal(schedule.LogSnrMin, schedule.LogSnr(1), 9);
        const double h = 1e-6;
        foreach (double t in new[] { 0.01, 0.3, 0.7, 0.99 })
        {
            double slope = (schedule.LogSnr(t + h) - schedule.LogSnr(t - h)) / (2 * h);
            Assert.Equal(slope, schedule.LogSnrDerivative(t), Math.Abs(slope) * 1e-6);
            Assert.True(slope < 0);
            var (a, b) = schedule.LogRates(t);
            double LogAlpha(double s) => Math.Log(schedule.AlphaSigma(schedule.LogSnr(s)).Alpha);
            double LogSigma(double s) => Math.Log(schedule.AlphaSigma(schedule.LogSnr(s)).Sigma);
            Assert.Equal((LogAlpha(t + h) - LogAlpha(t - h)) / (2 * h), a, 1e-5 * (1 + Math.Abs(a)));
            Assert.Equal((LogSigma(t + h) - LogSigma(t - h)) / (2 * h), b, 1e-5 * (1 + Math.Abs(b)));
            var (alpha, sigma) = schedule.AlphaSigma(schedule.LogSnr(t));
            Assert.Equal(schedule.LogSnr(t), Math.Log(alpha * alpha / (sigma * sigma)), 9);
            if (variance == DiffusionVariance.Preserving) Assert.Equal(1, alpha * alpha + sigma * sigma, 12);
        }
    }

    [Fact]
    public void EdmTrainingLevels_AreLogNormalSigmas_ClippedToTheRange()
    {
        var edm = NoiseSchedule.Create(new DiffusionModelOptions());
        // lambda = -2 log sigma_e with log sigma_e ~ N(-1.2, 1.2^2): median 2.4, quartiles 2.4 -+ 2.4 * 0.6745.
        Assert.Equal(2.4, edm.TrainingLogSnr(0.5), 9);
        Assert.Equal(2.4 - 2.4 * 0.6744897502, edm.TrainingLogSnr(0.75), 6);
        Assert.Equal(edm.LogSnrMax + 1, edm.TrainingLogSnr(0), 9);
        Assert.Equal(edm.LogSnrMin - 1, edm.TrainingLogSnr(1), 9);
        Assert.Equal(-2 * Math.Log(80), edm.LogSnrMin, 12);
        Assert.Equal(1 + Math.Exp(-2.0), edm.Weight(2.0), 12);
    }

    [Fact]
    public void CosineTrainingLevels_FollowTheTruncatedCosine()
    {
        var cosine = NoiseSchedule.Create(new DiffusionModelOptions { Schedule = NoiseScheduleKind.Cosine, Shift = 0.5 });
        Assert.Equal(15, cosine.TrainingLogSnr(0), 6);
        Assert.Equal(-15, cosine.TrainingLogSnr(1), 6);
        // Without truncation the midpoint would be 2 shift; the truncation is symmetric about it only up to the shift.
        double s = 2 / Math.PI * Math.Atan(Math.Exp(0.5 - 7.5)), e = 2 / Math.PI * Math.Atan(Math.Exp(0.5 + 7.5));
        Assert.Equal(-2 * Math.Log(Math.Tan(Math.PI * (s + e) / 4)) + 1, cosine.TrainingLogSnr(0.5), 9);
        Assert.Equal(1 / (1 + Math.Exp(-(2 - 3.0))), cosine.Weight(3.0), 12);
    }
}
