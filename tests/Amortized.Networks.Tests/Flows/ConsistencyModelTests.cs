using Amortized.Networks.Flows;
using Amortized.Networks.Optim;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Xunit;
using Xunit.Abstractions;

namespace Amortized.Networks.Tests.Flows;

/// <summary>The consistency model: curriculum, grid, index distribution, training on an analytic posterior.</summary>
public class ConsistencyModelTests(ITestOutputHelper output)
{
    [Theory]
    // K' = floor(1000 / (log2 floor(50 / 10) + 1)) = floor(301.03) = 301: N doubles its intervals every 301 steps.
    [InlineData(0, 1000, 10, 50, 11)]
    [InlineData(300, 1000, 10, 50, 11)]
    [InlineData(301, 1000, 10, 50, 21)]
    [InlineData(602, 1000, 10, 50, 41)]
    [InlineData(903, 1000, 10, 50, 51)]   // min(10 * 2^3, 50) + 1
    [InlineData(5000, 1000, 10, 50, 51)]  // past K: stays at s1 + 1
    // s0 = s1: K' = K, N = s0 + 1 throughout.
    [InlineData(999, 1000, 10, 10, 11)]
    // iCT's s0 = 10, s1 = 1280: K' = floor(1000 / (log2 128 + 1)) = 125.
    [InlineData(374, 1000, 10, 1280, 41)]
    [InlineData(375, 1000, 10, 1280, 81)]
    // K' = floor(1000 / (log2 floor(1280 / 2) + 1)) = floor(96.9) = 96; step 288 = 3 K': 2 * 2^3 + 1.
    [InlineData(288, 1000, 2, 1280, 17)]
    // A total shorter than the number of doublings: K' is at least 1.
    [InlineData(2, 1, 10, 50, 41)]
    public void Discretization_MatchesTheCurriculumFormula(long step, long total, int s0, int s1, int expected) =>
        Assert.Equal(expected, ConsistencyModel.Discretization(step, total, s0, s1));

    [Fact]
    public void KarrasGrid_MatchesHandComputedLevels()
    {
        // (eps^(1/7) + (i - 1) / (N - 1) (T^(1/7) - eps^(1/7)))^7, eps = 0.001, T = 200, computed in Python.
        double[] expected =
        [
            0.001, 0.014964640220642509, 0.10481829104753287, 0.4799006802073728, 1.6733713504043621,
            4.827732459641012, 12.114731128414256, 27.315891076481627, 56.58992329189247, 109.45326547497862, 200.0,
        ];
        var grid = ConsistencyModel.KarrasGrid(11, 0.001, 200);
        Assert.Equal(expected.Length, grid.Length);
        for (int i = 0; i < grid.Length; i++) Assert.Equal(expected[i], grid[i], expected[i] * 1e-12);
        // The three-level grid a 2-step sampler uses: T, then 4.8277, then eps.
        Assert.Equal(4.827732459641012, ConsistencyModel.KarrasGrid(3, 0.001, 200)[1], 1e-11);
    }

    [Fact]
    public void IndexProbabilities_AreTheLogNormalMassOfEachInterval()
    {
        // erf((ln t_{i+1} + 1.1) / (2 sqrt 2)) - erf((ln t_i + 1.1) / (2 sqrt 2)), normalised (Python's math.erf).
        double[] expected =
        [
            0.058752838823123, 0.22182663187497081, 0.29159285726459766, 0.21827400542690364, 0.11943406296388571,
            0.05456767424482107, 0.022436349763510527, 0.00867788466104653, 0.0032445630808422715,
            0.0011931318962989143,
        ];
        var p = ConsistencyModel.IndexProbabilities(ConsistencyModel.KarrasGrid(11, 0.001, 200));
        Assert.Equal(expected.Length, p.Length);
        // erfc's fit is good to a relative 1.2e-7; the weights carry that error at most a few times over.
        for (int i = 0; i < p.Length; i++) Assert.Equal(expected[i], p[i], expected[i] * 1e-6);
    }

    [Fact]
    public void Consistency_AtEps_IsTheIdentity_ForAnyWeights()
    {
        // The boundary condition f(x, eps) = x: c_skip(eps) = 1 and c_out(eps) = 0 exactly.
        var store = new ParameterStore();
        var cm = new ConsistencyModel(store, "cm", 3, 2, new ConsistencyModelOptions { Widths = [8], Dropout = 0f },
            new Rng(3));
        foreach (var p in store.Parameters) p.Span.Fill(0.3f);   // a non-zero output layer too
        var x = Tensor.RandomNormal(new Shape(5, 3), new Rng(4));
        var c = Tensor.RandomNormal(new Shape(5, 2), new Rng(5));
        var atEps = cm.Consistency(x, Tensor.Full(new Shape(5, 1), 0.001f), c).ToArray();
        Assert.Equal(x.ToArray(), atEps);
        var later = cm.Consistency(x, Tensor.Full(new Shape(5, 1), 1f), c).ToArray();
        Assert.NotEqual(x.ToArray(), later);
    }

    /// <summary>
    /// Trains on x | c ~ N((c, -c / 2), [[0.5, 0.3], [0.3, 0.4]]), c ~ U(-1, 1) (the flow-matching tests' target) and
    /// samples 4000 draws at c = 0.5 with 1, 2 and 10 steps. Measured (max abs error of the mean, of the covariance
    /// entries): 1 step 0.040 / 0.021, 2 steps 0.009 / 0.024, 10 steps 0.008 / 0.012; the tolerances (1 step 0.07 /
    /// 0.06, 2 steps 0.04 / 0.05, 10 steps 0.035 / 0.04) leave about two Monte Carlo standard errors (0.011 for the
    /// mean, 0.016 for a variance) and do not grow with the steps; the 10-step error must not exceed the 1-step one.
    /// </summary>
    [Fact]
    public void Trained_ConditionalGaussian_SamplesMatchMeanAndCovariance_InOneTwoAndTenSteps()
    {
        // iCT's s1 = 1280: with BayesFlow's s1 = 50 the multistep draws come out ~13% under-dispersed (covariance
        // (0.43, 0.26, 0.35) at 10 steps after 3000 steps), the O(t_{i+1} - t_i) bias of consistency training on a
        // coarse grid; s1 = 200 already gives (0.48, 0.29, 0.39).
        var (cm, _) = Train(new ConsistencyModelOptions { Widths = [64, 64], Dropout = 0f, S1 = 1280 }, seed: 31,
            steps: 3000, batch: 256);
        var c = Tensor.FromArray([0.5f], 1);
        var errors = new Dictionary<int, (double Mean, double Cov)>();
        foreach (var (steps, meanTol, covTol) in new[] { (1, 0.07, 0.06), (2, 0.04, 0.05), (10, 0.035, 0.04) })
        {
            var (m1, m2, s11, s12, s22) = ConditionalGaussianTarget.Moments(cm.Sample(4000, c, new Rng(77), steps).ToArray());
            double meanError = Math.Max(Math.Abs(m1 - 0.5), Math.Abs(m2 + 0.25));
            double covError = Math.Max(Math.Abs(s11 - 0.5), Math.Max(Math.Abs(s12 - 0.3), Math.Abs(s22 - 0.4)));
            errors[steps] = (meanError, covError);
            output.WriteLine($"{steps} steps: mean error {meanError:F4}, covariance error {covError:F4}");
            Assert.True(meanError < meanTol, $"{steps} steps: mean ({m1:F3}, {m2:F3}), expected (0.5, -0.25)");
            Assert.True(covError < covTol, $"{steps} steps: covariance [[{s11:F3}, {s12:F3}], [{s12:F3}, {s22:F3}]], " +
                "expected [[0.5, 0.3], [0.3, 0.4]]");
        }
        Assert.True(errors[10].Mean + errors[10].Cov <= errors[1].Mean + errors[1].Cov,
            $"10 steps ({errors[10]}) worse than 1 ({errors[1]})");
    }

    [Fact]
    public void Training_IsDeterministicUnderASeed_AndFollowsTheCurriculum()
    {
        var options = new ConsistencyModelOptions { Widths = [16], Dropout = 0.1f, SamplingSteps = 3 };
        var (a, storeA) = Train(options, seed: 3, steps: 20);
        var (b, storeB) = Train(options, seed: 3, steps: 20);
        for (int i = 0; i < storeA.Parameters.Count; i++)
            Assert.Equal(storeA.Parameters[i].ToArray(), storeB.Parameters[i].ToArray());
        var c = Tensor.FromArray([0.2f], 1);
        Assert.Equal(a.Sample(50, c, new Rng(5)).ToArray(), b.Sample(50, c, new Rng(5)).ToArray());
        // The default sampling steps are the option's; the per-call override changes the draws.
        Assert.Equal(a.Sample(50, c, new Rng(5)).ToArray(), a.Sample(50, c, new Rng(5), 3).ToArray());
        Assert.NotEqual(a.Sample(50, c, new Rng(5)).ToArray(), a.Sample(50, c, new Rng(5), 2).ToArray());
        // The curriculum is part of the loss: a different total (so another N(k) at the same k) trains other weights.
        var (other, _) = Train(options with { TotalSteps = 3 }, seed: 3, steps: 20);
        Assert.NotEqual(a.Sample(50, c, new Rng(5)).ToArray(), other.Sample(50, c, new Rng(5)).ToArray());
    }

    [Fact]
    public void LogProb_SaysThereIsNoDensity()
    {
        var cm = new ConsistencyModel(new ParameterStore(), "cm", 2, 0, null, new Rng(1));
        var error = Assert.Throws<NotSupportedException>(() => cm.LogProb(Tensor.Zeros(3, 2), null));
        Assert.Contains("no density", error.Message);
        Assert.Contains("flow-matching", error.Message);
    }

    [Fact]
    public void Loss_WithoutTotalSteps_NamesTheOption()
    {
        var cm = new ConsistencyModel(new ParameterStore(), "cm", 2, 0, null, new Rng(1));
        var error = Assert.Throws<InvalidOperationException>(() => cm.Loss(Tensor.Zeros(3, 2), null));
        Assert.Contains("ConsistencyModelOptions.TotalSteps", error.Message);
        cm.PlanTraining(100);
        Assert.True(float.IsFinite(cm.Loss(Tensor.Ones(new Shape(3, 2)), null).Item()));
    }

    public static TheoryData<string, ConsistencyModelOptions> BadOptions => new()
    {
        { "Widths", new() { Widths = [] } },
        { "Widths", new() { Widths = [8, 0] } },
        { "Activation", new() { Activation = (Amortized.Kernels.Cpu.Activation)99 } },
        { "Dropout", new() { Dropout = 1f } },
        { "TotalSteps", new() { TotalSteps = 0 } },
        { "Eps", new() { Eps = 0 } },
        { "Eps", new() { Eps = double.NaN } },
        { "MaxTime", new() { MaxTime = 0.0005 } },
        { "MaxTime", new() { MaxTime = double.PositiveInfinity } },
        { "Sigma2", new() { Sigma2 = -1 } },
        { "S0", new() { S0 = 0 } },
        { "S1", new() { S0 = 10, S1 = 9 } },
        { "S1", new() { S1 = ConsistencyModelOptions.MaxIntervals + 1 } },
        { "SamplingSteps", new() { SamplingSteps = 0 } },
        { "SamplingSteps", new() { SamplingSteps = ConsistencyModelOptions.MaxSamplingSteps + 1 } },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void BadOptions_AreRefused_NamingTheOption(string option, ConsistencyModelOptions options)
    {
        var error = Assert.Throws<ArgumentException>(
            () => new ConsistencyModel(new ParameterStore(), "cm", 2, 1, options, new Rng(1)));
        Assert.Contains($"ConsistencyModelOptions.{option} ", error.Message);
    }

    [Fact]
    public void Sample_WithStepsOutOfRange_IsRefused()
    {
        var cm = new ConsistencyModel(new ParameterStore(), "cm", 2, 0, null, new Rng(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => cm.Sample(3, null, new Rng(1), 0));
    }

    /// <summary>
    /// Consistency training (2-D, one condition) on x | c ~ N((c, -c / 2), [[0.5, 0.3], [0.3, 0.4]]), c ~ U(-1, 1),
    /// driving the curriculum as the trainer does: PlanTraining(steps), then BeginStep(k) and a fresh noise stream
    /// from (seed, k) before each step.
    /// </summary>
    internal static (ConsistencyModel Model, ParameterStore Store) Train(ConsistencyModelOptions options, ulong seed,
        int steps, int batch = 128)
    {
        var store = new ParameterStore();
        var rng = new Rng(seed);
        var cm = new ConsistencyModel(store, "cm", 2, 1, options, rng);
        cm.PlanTraining(steps);
        double l11 = Math.Sqrt(0.5), l21 = 0.3 / l11, l22 = Math.Sqrt(0.4 - l21 * l21);
        var adam = new Adam(store, new AdamOptions
            { LearningRate = LearningRateSchedule.WarmupCosine(3e-3f, Math.Min(50, steps / 2), steps, 1e-5f) });
        var workspace = new Workspace();
        var tape = new Tape();
        var x = Tensor.Zeros(batch, 2);
        var c = Tensor.Zeros(batch, 1);
        cm.Training = true;
        for (int s = 0; s < steps; s++)
        {
            for (int i = 0; i < batch; i++)
            {
                float ci = rng.Uniform(-1f, 1f), z1 = rng.Normal(), z2 = rng.Normal();
                c.Span[i] = ci;
                x.Span[2 * i] = ci + (float)(l11 * z1);
                x.Span[2 * i + 1] = -ci / 2 + (float)(l21 * z1 + l22 * z2);
            }
            cm.BeginStep(s);
            cm.NoiseRng = Rng.Derive(seed, (ulong)s, 7);
            cm.DropoutRng = Rng.Derive(seed, (ulong)s, 8);
            workspace.Reset();
            store.ZeroGrad();
            using (workspace.Activate())
            using (tape.Record()) tape.Backward(cm.Loss(x, c));
            adam.Update();
        }
        cm.Training = false;
        return (cm, store);
    }
}
