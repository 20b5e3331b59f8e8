using Amortized.Kernels.Cpu;
using Amortized.Networks.Flows;
using Amortized.Networks.Optim;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Xunit;

namespace Amortized.Networks.Tests.Flows;

public class FlowMatchingTests
{
    [Fact]
    public void LogProb_RandomField1D_IntegratesToOne()
    {
        var store = new ParameterStore();
        var fm = new FlowMatching(store, "fm", 1, 0, new FlowMatchingOptions { Widths = [16, 16], Dropout = 0f, Steps = 40, Activation = Activation.Tanh }, new Rng(5));
        const int n = 1601;
        const float lo = -10f, hi = 10f;
        float step = (hi - lo) / (n - 1);
        var grid = Tensor.Zeros(n, 1);
        for (int i = 0; i < n; i++) grid.Span[i] = lo + i * step;
        var logp = fm.LogProb(grid, null).ToArray();
        double integral = 0;
        for (int i = 0; i < n; i++) integral += (i == 0 || i == n - 1 ? 0.5 : 1.0) * Math.Exp(logp[i]) * step;
        Assert.InRange(integral, 0.99, 1.01);
        // The field is not zero, so this is not simply the base density.
        Assert.True(Math.Abs(logp[n / 2] - (-0.5 * Math.Log(2 * Math.PI))) > 1e-3);
    }

    [Fact]
    public void Trained_ConditionalGaussian_SamplesMatchMeanAndCovariance()
    {
        // Target: x | c ~ N(mu(c), Sigma) with mu(c) = (c, -c / 2) and Sigma = [[0.5, 0.3], [0.3, 0.4]].
        var (fm, _) = FlowMatchingOptionsTests.Train(
            new FlowMatchingOptions { Widths = [64, 64], Dropout = 0f, Steps = 30 }, seed: 31, steps: 2500, batch: 256);
        var draws = fm.Sample(4000, Tensor.FromArray([0.5f], 1), new Rng(77)).ToArray();
        double m1 = 0, m2 = 0;
        for (int i = 0; i < 4000; i++) { m1 += draws[2 * i]; m2 += draws[2 * i + 1]; }
        m1 /= 4000; m2 /= 4000;
        double s11 = 0, s12 = 0, s22 = 0;
        for (int i = 0; i < 4000; i++)
        {
            double a = draws[2 * i] - m1, b = draws[2 * i + 1] - m2;
            s11 += a * a; s12 += a * b; s22 += b * b;
        }
        s11 /= 3999; s12 /= 3999; s22 /= 3999;
        Assert.True(Math.Abs(m1 - 0.5) < 0.06 && Math.Abs(m2 + 0.25) < 0.06, $"mean ({m1:F3}, {m2:F3}), expected (0.5, -0.25)");
        Assert.True(Math.Abs(s11 - 0.5) < 0.08 && Math.Abs(s12 - 0.3) < 0.08 && Math.Abs(s22 - 0.4) < 0.08,
            $"covariance [[{s11:F3}, {s12:F3}], [{s12:F3}, {s22:F3}]], expected [[0.5, 0.3], [0.3, 0.4]]");
    }

    [Fact]
    public void Euler_ConvergesToRungeKutta_AsStepsGrow()
    {
        var store = new ParameterStore();
        var options = new FlowMatchingOptions { Widths = [16], Dropout = 0f, Method = OdeMethod.RungeKutta4, Steps = 20 };
        var rk = new FlowMatching(store, "fm", 2, 0, options, new Rng(8));
        var store2 = new ParameterStore();
        var euler = new FlowMatching(store2, "fm", 2, 0, options with { Method = OdeMethod.Euler, Steps = 2000 }, new Rng(8));
        var a = rk.Sample(50, null, new Rng(1)).ToArray();
        var b = euler.Sample(50, null, new Rng(1)).ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 2e-3f);
    }
}

public class FlowMatchingIntegratorTests
{
    [Fact]
    public void DormandPrince_AgreesWithFineRungeKutta_ForSamplesAndDensities()
    {
        var options = new FlowMatchingOptions { Widths = [16, 16], Dropout = 0f, Method = OdeMethod.RungeKutta4, Steps = 200 };
        var rk = new FlowMatching(new ParameterStore(), "fm", 2, 1, options, new Rng(8));
        var dp = new FlowMatching(new ParameterStore(), "fm", 2, 1, options with { Method = OdeMethod.DormandPrince, RelativeTolerance = 1e-7, AbsoluteTolerance = 1e-8 }, new Rng(8));
        var c = Tensor.FromArray([0.3f], 1);
        var a = rk.Sample(40, c, new Rng(1)).ToArray();
        var b = dp.Sample(40, c, new Rng(1)).ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 1e-4f);
        var x = Tensor.RandomNormal(new Shape(30, 2), new Rng(2));
        var cond = Tensor.Full(new Shape(30, 1), 0.3f);
        var la = rk.LogProb(x, cond).ToArray();
        var lb = dp.LogProb(x, cond).ToArray();
        for (int i = 0; i < la.Length; i++) Assert.Equal(la[i], lb[i], 1e-3f);
    }
}
