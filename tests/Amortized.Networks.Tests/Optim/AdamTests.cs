using Amortized.Networks;
using Amortized.Networks.Optim;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Networks.Tests.Optim;

public class AdamTests
{
    private static (ParameterStore Store, Tensor P) StoreWith(params float[] values)
    {
        var store = new ParameterStore();
        var p = store.Add("p", new Shape(values.Length), Initializer.Zeros, new Rng(1));
        values.CopyTo(p.Span);
        return (store, p);
    }

    /// <summary>Adam reference in double, written from the paper's Algorithm 1 with PyTorch's epsilon placement.</summary>
    private static double[] Reference(double[] p, double[][] grads, double lr, double b1, double b2, double eps, double wd)
    {
        var m = new double[p.Length];
        var v = new double[p.Length];
        p = (double[])p.Clone();
        for (int t = 1; t <= grads.Length; t++)
        {
            for (int i = 0; i < p.Length; i++)
            {
                double g = grads[t - 1][i];
                p[i] *= 1 - lr * wd;
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mHat = m[i] / (1 - Math.Pow(b1, t));
                double vHat = v[i] / (1 - Math.Pow(b2, t));
                p[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
        }
        return p;
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.01f)]
    public void Update_ThreeSteps_MatchesHandComputedReference(float weightDecay)
    {
        // 19 parameters: two full SIMD blocks of 8 plus a scalar tail of 3.
        var init = Enumerable.Range(0, 19).Select(i => 0.1f * i - 0.7f).ToArray();
        var (store, p) = StoreWith(init);
        var adam = new Adam(store, new AdamOptions { LearningRate = LearningRateSchedule.Constant(0.01f), WeightDecay = weightDecay });
        var grads = new double[3][];
        for (int t = 0; t < 3; t++)
        {
            grads[t] = Enumerable.Range(0, 19).Select(i => Math.Sin(i + 3.0 * t) * (t + 1)).ToArray();
            for (int i = 0; i < 19; i++) p.Grad!.Span[i] = (float)grads[t][i];
            adam.Update();
        }
        var expected = Reference(init.Select(x => (double)x).ToArray(), grads, 0.01, 0.9, 0.999, 1e-8, weightDecay);
        for (int i = 0; i < 19; i++) Assert.Equal(expected[i], p.Span[i], 1e-6);
    }

    [Fact]
    public void Update_FirstStep_MovesEachParameterByLearningRate()
    {
        // At t = 1, m_hat = g and v_hat = g^2, so the step is lr * sign(g) (up to eps): a hand-checkable case.
        var (store, p) = StoreWith(1f, -2f, 3f);
        p.Grad!.Span[0] = 0.5f; p.Grad.Span[1] = -4f; p.Grad.Span[2] = 1e3f;
        new Adam(store, new AdamOptions { LearningRate = LearningRateSchedule.Constant(0.1f) }).Update();
        Assert.Equal(0.9f, p.Span[0], 1e-6f);
        Assert.Equal(-1.9f, p.Span[1], 1e-6f);
        Assert.Equal(2.9f, p.Span[2], 1e-6f);
    }

    [Fact]
    public void Update_NaNGradient_ThrowsAndLeavesParametersUnchanged()
    {
        var (store, p) = StoreWith(1f, 2f);
        var adam = new Adam(store);
        p.Grad!.Span[0] = 1f;
        adam.Update();
        var before = p.ToArray();
        p.Grad.Span[1] = float.NaN;
        var ex = Assert.Throws<InvalidOperationException>(adam.Update);
        Assert.Contains("NaN", ex.Message);
        Assert.Contains("step 2", ex.Message);
        Assert.Equal(before, p.ToArray());
        Assert.Equal(1, adam.Step);
    }

    [Fact]
    public void ClipGlobalNorm_LargeGradient_ScalesToMaxNorm()
    {
        var (store, p) = StoreWith(0f, 0f);
        p.Grad!.Span[0] = 3f; p.Grad.Span[1] = 4f;
        double norm = GradientClipping.ClipGlobalNorm(store, 1f);
        Assert.Equal(5.0, norm, 1e-9);
        Assert.Equal(0.6f, p.Grad.Span[0], 1e-6f);
        Assert.Equal(0.8f, p.Grad.Span[1], 1e-6f);
        GradientClipping.ClipGlobalNorm(store, 10f);   // below the threshold: unchanged
        Assert.Equal(0.6f, p.Grad.Span[0], 1e-6f);
    }

    [Fact]
    public void WarmupCosine_FollowsWarmupThenCosine()
    {
        var s = LearningRateSchedule.WarmupCosine(1f, 10, 110, 0.1f);
        Assert.Equal(0.1f, s.At(1), 1e-6f);
        Assert.Equal(1f, s.At(10), 1e-6f);
        Assert.Equal(0.55f, s.At(60), 1e-5f);     // halfway through the decay: (peak + final) / 2
        Assert.Equal(0.1f, s.At(110), 1e-6f);
        Assert.Equal(0.1f, s.At(500), 1e-6f);
        Assert.True(s.At(30) > s.At(40));
    }
}
