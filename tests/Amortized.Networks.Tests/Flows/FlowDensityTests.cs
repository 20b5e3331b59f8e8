using Amortized.Networks.Flows;
using Amortized.Networks.Optim;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Xunit;

namespace Amortized.Networks.Tests.Flows;

public class FlowDensityTests
{
    private static CouplingFlow RandomFlow(int d, CouplingTransformKind kind, ulong seed)
    {
        var store = new ParameterStore();
        var flow = new CouplingFlow(store, "f", d, 0, new CouplingFlowOptions
        {
            Depth = 3, SubnetWidths = [16, 16], Dropout = 0f, Transform = kind,
            Permutation = d > 1 ? PermutationKind.Random : PermutationKind.None,
        }, new Rng(seed));
        var noise = new Rng(seed + 1);
        var values = store.Values;
        for (int i = 0; i < values.Length; i++) values[i] += 0.05f * noise.Normal();
        return flow;
    }

    [Theory]
    [InlineData(CouplingTransformKind.Affine)]
    [InlineData(CouplingTransformKind.Spline)]
    public void Density1D_IntegratesToOne(CouplingTransformKind kind)
    {
        var flow = RandomFlow(1, kind, 11);
        const int n = 4001;
        const float lo = -12f, hi = 12f;
        float step = (hi - lo) / (n - 1);
        var grid = Tensor.Zeros(n, 1);
        for (int i = 0; i < n; i++) grid.Span[i] = lo + i * step;
        var logp = flow.LogProb(grid, null).ToArray();
        double integral = 0;
        for (int i = 0; i < n; i++) integral += (i == 0 || i == n - 1 ? 0.5 : 1.0) * Math.Exp(logp[i]) * step;   // trapezoid
        Assert.InRange(integral, 0.995, 1.005);
    }

    [Theory]
    [InlineData(CouplingTransformKind.Affine)]
    [InlineData(CouplingTransformKind.Spline)]
    public void Density2D_IntegratesToOne(CouplingTransformKind kind)
    {
        var flow = RandomFlow(2, kind, 12);
        const int n = 241;
        const float lo = -9f, hi = 9f;
        float step = (hi - lo) / (n - 1);
        var grid = Tensor.Zeros(n * n, 2);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                grid.Span[(i * n + j) * 2] = lo + i * step;
                grid.Span[(i * n + j) * 2 + 1] = lo + j * step;
            }
        }
        var logp = flow.LogProb(grid, null).ToArray();
        double integral = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double w = (i == 0 || i == n - 1 ? 0.5 : 1.0) * (j == 0 || j == n - 1 ? 0.5 : 1.0);
                integral += w * Math.Exp(logp[i * n + j]) * step * step;
            }
        Assert.InRange(integral, 0.99, 1.01);
    }

    /// <summary>Equal mixture of N((-1.5, 0), 0.5^2 I) and N((1.5, 1), 0.5^2 I): sampler and exact log density.</summary>
    private static class Mixture
    {
        public static void Sample(Span<float> xy, Rng rng)
        {
            for (int i = 0; i < xy.Length; i += 2)
            {
                bool right = rng.NextFloat() < 0.5f;
                xy[i] = (right ? 1.5f : -1.5f) + 0.5f * rng.Normal();
                xy[i + 1] = (right ? 1f : 0f) + 0.5f * rng.Normal();
            }
        }

        public static double LogDensity(double x, double y)
        {
            static double Component(double dx, double dy) => -(dx * dx + dy * dy) / (2 * 0.25) - Math.Log(2 * Math.PI * 0.25);
            double a = Component(x + 1.5, y), b = Component(x - 1.5, y - 1);
            double m = Math.Max(a, b);
            return m + Math.Log(0.5 * Math.Exp(a - m) + 0.5 * Math.Exp(b - m));
        }
    }

    [Fact]
    public void Train_GaussianMixture_AverageLogDensityWithin005Nats()
    {
        var store = new ParameterStore();
        var rng = new Rng(2024);
        var flow = new CouplingFlow(store, "f", 2, 0, new CouplingFlowOptions
        {
            Depth = 4, SubnetWidths = [64, 64], Dropout = 0f, Transform = CouplingTransformKind.Spline,
            Spline = new SplineOptions { Bins = 8 },
        }, rng);
        const int steps = 1500, batch = 256;
        var adam = new Adam(store, new AdamOptions { LearningRate = LearningRateSchedule.WarmupCosine(2e-3f, 50, steps, 1e-5f), ClipNorm = 5f });
        var workspace = new Workspace();
        var tape = new Tape();
        var data = Tensor.Zeros(batch, 2);
        for (int step = 0; step < steps; step++)
        {
            Mixture.Sample(data.Span, rng);
            workspace.Reset();
            store.ZeroGrad();
            using (workspace.Activate())
            using (tape.Record()) tape.Backward(flow.Loss(data, null));
            adam.Update();
        }

        // E_p[log p - log q] = KL(p || q) >= 0 on fresh test samples.
        var test = Tensor.Zeros(20000, 2);
        Mixture.Sample(test.Span, new Rng(7));
        flow.Training = false;
        var logq = flow.LogProb(test, null).ToArray();
        double gap = 0;
        for (int i = 0; i < logq.Length; i++) gap += Mixture.LogDensity(test.Span[2 * i], test.Span[2 * i + 1]) - logq[i];
        gap /= logq.Length;
        Assert.True(Math.Abs(gap) < 0.05, $"mean log p - log q = {gap:F4} nats");
    }
}
