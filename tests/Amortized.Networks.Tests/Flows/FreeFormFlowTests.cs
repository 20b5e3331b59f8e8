using Amortized.Kernels.Cpu;
using Amortized.Networks.Flows;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Amortized.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Amortized.Networks.Tests.Flows;

public class FreeFormFlowTests(ITestOutputHelper output)
{
    private static readonly FreeFormFlowOptions s_small = new() { Widths = [64, 64], Activation = Activation.Silu };

    /// <summary>A flow with random weights everywhere (the zero-initialised projections included).</summary>
    private static FreeFormFlow Random(int d, int c, float scale, ulong seed = 3)
    {
        var store = new ParameterStore();
        var flow = new FreeFormFlow(store, "fff", d, c, s_small with { Widths = [16, 16] }, new Rng(seed));
        var noise = new Rng(seed + 100);
        var values = store.Values;
        for (int i = 0; i < values.Length; i++) values[i] += scale * noise.Normal();
        return flow;
    }

    [Fact]
    public void CentralDifferenceJvp_MatchesExactJacobianProduct()
    {
        // The exact J_f v from the D reverse passes of the density; h = 1e-2 (the default) on a random network
        // whose residual branch is far from linear (weights perturbed by 0.3).
        var flow = Random(3, 2, 0.3f);
        var rng = new Rng(7);
        var x = Tensor.RandomNormal(new Shape(64, 3), rng);
        var c = Tensor.RandomNormal(new Shape(64, 2), rng);
        var v = flow.Probes(x.Shape, rng);
        var (_, jacobians) = flow.EncoderJacobians(x, c);
        var vs = v.ToArray();
        double worst = 0, scale = 0;
        foreach (double h in new[] { 1e-1, 1e-2, 1e-3 })
        {
            var (_, jvp) = flow.EncodeWithJvp(x, c, v, (float)h);
            var approx = jvp.ToArray();
            double error = 0;
            for (int r = 0; r < 64; r++)
                for (int i = 0; i < 3; i++)
                {
                    double exact = 0;
                    for (int j = 0; j < 3; j++) exact += jacobians[(r * 3 + i) * 3 + j] * vs[r * 3 + j];
                    error = Math.Max(error, Math.Abs(exact - approx[r * 3 + i]));
                    scale = Math.Max(scale, Math.Abs(exact));
                }
            output.WriteLine($"h = {h:G}: max |J_f v (central difference) - J_f v (exact)| = {error:E2} (max |J_f v| {scale:F2})");
            if (h == FreeFormFlowOptions.DefaultFiniteDifferenceStep) worst = error;
        }
        Assert.True(worst < 2e-3, $"central-difference JVP error {worst:E2} at the default step");
    }

    [Fact]
    public void DecoderVjp_MatchesNumericalJacobian()
    {
        var flow = Random(3, 1, 0.3f);
        var rng = new Rng(8);
        var z = Tensor.RandomNormal(new Shape(4, 3), rng);
        var c = Tensor.RandomNormal(new Shape(4, 1), rng);
        var v = Tensor.RandomNormal(new Shape(4, 3), rng);
        var vjp = flow.DecoderVjp(z, c, v).ToArray();
        Assert.False(flow.DecoderVjp(z, c, v).RequiresGrad);
        for (int r = 0; r < 4; r++)
        {
            var cr = c.Slice(0, r, 1);
            var jacobian = FiniteDifferences.NumericalJacobian(
                p => flow.Decode(Tensor.FromArray(p, 1, 3), cr).ToArray(), z.Slice(0, r, 1).ToArray(), 1e-2);
            for (int j = 0; j < 3; j++)
            {
                double expected = 0;
                for (int i = 0; i < 3; i++) expected += v.ToArray()[r * 3 + i] * jacobian[i, j];
                Assert.True(Math.Abs(expected - vjp[r * 3 + j]) < 2e-3, $"row {r}, column {j}: {vjp[r * 3 + j]} vs {expected}");
            }
        }
    }

    [Fact]
    public void SphereProbes_HaveNormSqrtDAndIdentitySecondMoment()
    {
        var flow = Random(3, 0, 0f);
        var v = flow.Probes(new Shape(20000, 3), new Rng(5)).ToArray();
        var moment = new double[9];
        for (int r = 0; r < 20000; r++)
        {
            double norm = 0;
            for (int i = 0; i < 3; i++)
            {
                norm += v[r * 3 + i] * v[r * 3 + i];
                for (int j = 0; j < 3; j++) moment[i * 3 + j] += v[r * 3 + i] * v[r * 3 + j] / 20000;
            }
            Assert.Equal(3.0, norm, 1e-4);
        }
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) Assert.Equal(i == j ? 1.0 : 0.0, moment[i * 3 + j], 0.03);
    }

    [Fact]
    public void FreshFlow_IsTheIdentity_AndItsDensityIsTheBase()
    {
        var flow = new FreeFormFlow(new ParameterStore(), "fff", 2, 1, s_small, new Rng(1));
        var x = Tensor.RandomNormal(new Shape(5, 2), new Rng(2));
        var c = Tensor.RandomNormal(new Shape(5, 1), new Rng(3));
        Assert.Equal(x.ToArray(), flow.Encode(x, c).ToArray());
        Assert.Equal(x.ToArray(), flow.Decode(x, c).ToArray());
        var expected = new StandardNormal(2).LogProb(x).ToArray();
        var logp = flow.LogProb(x, c).ToArray();
        for (int i = 0; i < 5; i++) Assert.Equal(expected[i], logp[i], 1e-5f);
    }

    [Fact]
    public void LogProb_RandomNearInvertible1DAnd2D_IntegratesToOne()
    {
        // With perturbations of 0.1 the residual branch is a contraction here, so f = x + r(x) is a bijection and its
        // exact density integrates to 1 whatever the decoder does: the reconstruction error |x - g(f(x))| (printed)
        // affects only how well samples (from g) match the density (of f), not the density's normalisation.
        foreach (int d in new[] { 1, 2 })
        {
            var flow = Random(d, 1, 0.1f, seed: (ulong)(10 + d));
            var c = 0.4f;
            var (integral, reconstruction) = Integrate(flow, d, c, lo: -9f, hi: 9f, n: d == 1 ? 1801 : 241);
            output.WriteLine($"D = {d}: integral {integral:F5}, max |x - g(f(x))| on the grid {reconstruction:E2}");
            Assert.InRange(integral, 0.995, 1.005);
        }
    }

    [Fact]
    public void Trained_ConditionalGaussian_SamplesMatchMeanAndCovariance_AndDensityIntegrates()
    {
        // Target: x | c ~ N(mu(c), Sigma) with mu(c) = (c, -c / 2) and Sigma = [[0.5, 0.3], [0.3, 0.4]].
        var flow = Train(s_small, seed: 31, steps: 1200, batch: 128);
        var draws = flow.Sample(4000, Tensor.FromArray([0.5f], 1), new Rng(77)).ToArray();
        var (m1, m2, s11, s12, s22) = ConditionalGaussianTarget.Moments(draws);
        output.WriteLine($"mean ({m1:F3}, {m2:F3}) vs (0.5, -0.25); cov [[{s11:F3}, {s12:F3}], [{s12:F3}, {s22:F3}]] vs [[0.5, 0.3], [0.3, 0.4]]");
        Assert.True(Math.Abs(m1 - 0.5) < 0.06 && Math.Abs(m2 + 0.25) < 0.06, $"mean ({m1:F3}, {m2:F3}), expected (0.5, -0.25)");
        Assert.True(Math.Abs(s11 - 0.5) < 0.08 && Math.Abs(s12 - 0.3) < 0.08 && Math.Abs(s22 - 0.4) < 0.08,
            $"covariance [[{s11:F3}, {s12:F3}], [{s12:F3}, {s22:F3}]], expected [[0.5, 0.3], [0.3, 0.4]]");
        // The exact density of the trained encoder, on a grid around the posterior, and the reconstruction error.
        var (integral, reconstruction) = Integrate(flow, 2, 0.5f, lo: -6f, hi: 6f, n: 161);
        output.WriteLine($"trained: integral {integral:F4}, max |x - g(f(x))| on the grid {reconstruction:E2}");
        Assert.InRange(integral, 0.98, 1.02);
        // ... and the exact log density against the analytic one at the samples.
        var x = Tensor.FromArray(draws.AsSpan(0, 2000), 1000, 2);
        var logq = flow.LogProb(x, Tensor.Full(new Shape(1000, 1), 0.5f)).ToArray();
        double det = 0.5 * 0.4 - 0.3 * 0.3, gap = 0;
        for (int i = 0; i < 1000; i++)
        {
            double a = x.Span[2 * i] - 0.5, b = x.Span[2 * i + 1] + 0.25;
            double quad = (0.4 * a * a - 0.6 * a * b + 0.5 * b * b) / det;
            gap += Math.Abs(logq[i] - (-0.5 * quad - Math.Log(2 * Math.PI) - 0.5 * Math.Log(det))) / 1000;
        }
        output.WriteLine($"mean |log q - log p| at 1000 draws: {gap:F4}");
        Assert.True(gap < 0.15, $"mean |log q - log p| = {gap:F4}");
        // Where the data are, g inverts f closely (far out on the grid above it need not).
        var cx = Tensor.Full(new Shape(1000, 1), 0.5f);
        double rms = 0;
        using (Tape.NoGrad())
        {
            var back = flow.Decode(flow.Encode(x, cx), cx).ToArray();
            for (int i = 0; i < 2000; i++) rms += (back[i] - x.Span[i]) * (back[i] - x.Span[i]) / 1000;
        }
        rms = Math.Sqrt(rms);
        output.WriteLine($"rms |x - g(f(x))| at 1000 draws: {rms:E2}");
        Assert.True(rms < 0.05, $"rms reconstruction error {rms:E2} at the draws");
    }

    [Fact]
    public void Training_IsBitwiseDeterministicUnderASeed()
    {
        var a = Train(s_small with { Widths = [16] }, seed: 4, steps: 15, batch: 32);
        var b = Train(s_small with { Widths = [16] }, seed: 4, steps: 15, batch: 32);
        var c = Tensor.FromArray([0.2f], 1);
        Assert.Equal(a.Sample(50, c, new Rng(9)).ToArray(), b.Sample(50, c, new Rng(9)).ToArray());
        var x = Tensor.RandomNormal(new Shape(7, 2), new Rng(1));
        var cond = Tensor.Full(new Shape(7, 1), 0.2f);
        Assert.Equal(a.LogProb(x, cond).ToArray(), b.LogProb(x, cond).ToArray());
        // The training noise and the weights moved: not the fresh identity any more.
        Assert.NotEqual(x.ToArray(), a.Encode(x, cond).ToArray());
    }

    public static TheoryData<string, FreeFormFlowOptions> BadOptions() => new()
    {
        { "Widths", new FreeFormFlowOptions { Widths = [] } },
        { "Widths[1]", new FreeFormFlowOptions { Widths = [8, 0] } },
        { "Activation", new FreeFormFlowOptions { Activation = (Activation)99 } },
        { "Beta", new FreeFormFlowOptions { Beta = -1 } },
        { "Beta", new FreeFormFlowOptions { Beta = double.NaN } },
        { "HutchinsonSampling", new FreeFormFlowOptions { HutchinsonSampling = (HutchinsonSampling)7 } },
        { "FiniteDifferenceStep", new FreeFormFlowOptions { FiniteDifferenceStep = 0 } },
        { "FiniteDifferenceStep", new FreeFormFlowOptions { FiniteDifferenceStep = 2 } },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void BadOptions_AreRefused_NamingTheOption(string name, FreeFormFlowOptions options)
    {
        var e = Assert.Throws<ArgumentException>(() => new FreeFormFlow(new ParameterStore(), "fff", 2, 0, options, new Rng(1)));
        Assert.Contains($"FreeFormFlowOptions.{name} ", e.Message);
    }

    /// <summary>The Riemann sum of exp(log q) over [lo, hi]^D at condition c, and the largest
    /// reconstruction error on the grid.</summary>
    private static (double Integral, double Reconstruction) Integrate(FreeFormFlow flow, int d, float c, float lo,
        float hi, int n)
    {
        float step = (hi - lo) / (n - 1);
        int rows = d == 1 ? n : n * n;
        var grid = new float[rows * d];
        for (int i = 0; i < rows; i++)
        {
            grid[i * d] = lo + (d == 1 ? i : i / n) * step;
            if (d == 2) grid[i * d + 1] = lo + i % n * step;
        }
        var x = Tensor.FromArray(grid, rows, d);
        var cond = Tensor.Full(new Shape(rows, 1), c);
        var logq = flow.LogProb(x, cond).ToArray();
        double integral = 0;
        foreach (float l in logq) integral += Math.Exp(l);
        integral *= Math.Pow(step, d);
        using var noGrad = Tape.NoGrad();
        var back = flow.Decode(flow.Encode(x, cond), cond).ToArray();
        double reconstruction = 0;
        for (int i = 0; i < grid.Length; i++) reconstruction = Math.Max(reconstruction, Math.Abs(back[i] - grid[i]));
        return (integral, reconstruction);
    }

    internal static FreeFormFlow Train(FreeFormFlowOptions options, ulong seed, int steps, int batch)
    {
        var store = new ParameterStore();
        var rng = new Rng(seed);
        var flow = new FreeFormFlow(store, "fff", 2, 1, options, rng);
        ConditionalGaussianTarget.Train(flow, store, rng, steps, batch, learningRate: 2e-3f);
        return flow;
    }
}
