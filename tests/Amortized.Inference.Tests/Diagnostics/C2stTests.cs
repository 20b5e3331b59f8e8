using Amortized.Inference.Diagnostics;
using Amortized.Inference.Tasks;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Inference.Tests.Diagnostics;

public class C2stTests
{
    /// <summary>Draws from gaussian_linear's posterior for one data set, N(x/2, 0.05 I), shifted by `shift` sds per axis.</summary>
    private static float[] PosteriorDraws(float[] x, int count, double shift, ulong stream)
    {
        var (mean, variance) = GaussianLinear.Posterior(x);
        double sd = Math.Sqrt(variance);
        var rng = new Rng(77, stream);
        var draws = new float[count * x.Length];
        for (int i = 0; i < count; i++)
            for (int d = 0; d < x.Length; d++)
                draws[i * x.Length + d] = (float)(mean[d] + shift * sd + sd * rng.Normal());
        return draws;
    }

    private static float[] ObservedX() => new GaussianLinear().Sample(1, seed: 3).Get("x");

    [Fact]
    public void Accuracy_ExactPosteriorAgainstMoreExactDraws_IsNearChance()
    {
        float[] x = ObservedX();
        float[] a = PosteriorDraws(x, 1000, 0, 1), b = PosteriorDraws(x, 1000, 0, 2);
        double accuracy = C2st.Accuracy(a, 1000, b, 1000, 10, seed: 5);
        // Same distribution: out-of-fold accuracy is 0.5 plus binomial noise sqrt(0.25 / 2000) = 0.011.
        Assert.InRange(accuracy, 0.44, 0.56);
    }

    [Fact]
    public void Accuracy_ShiftedPosterior_IsClearlyDistinguished()
    {
        float[] x = ObservedX();
        float[] a = PosteriorDraws(x, 1000, 0, 1), b = PosteriorDraws(x, 1000, 1.5, 3);
        // Means 1.5 sd apart on each of 10 axes: distance 4.7 sd, Bayes accuracy Phi(2.37) = 0.991.
        double accuracy = C2st.Accuracy(a, 1000, b, 1000, 10, seed: 5);
        Assert.True(accuracy > 0.9, $"accuracy {accuracy:F3}");
    }

    [Fact]
    public void Accuracy_SameSeed_SameResult_AndUnequalCountsWork()
    {
        float[] x = ObservedX();
        float[] a = PosteriorDraws(x, 150, 0, 1), b = PosteriorDraws(x, 90, 1.0, 4);
        var options = new C2stOptions { Steps = 60, HiddenWidths = [16] };
        double first = C2st.Accuracy(a, 150, b, 90, 10, options, seed: 9);
        double second = C2st.Accuracy(a, 150, b, 90, 10, options, seed: 9);
        Assert.Equal(first, second);
        Assert.InRange(first, 0.6, 1.0);   // balanced accuracy: 1 sd on 10 axes is Phi(1.58) = 0.94 at best
    }

    [Fact]
    public void Accuracy_InvalidInput_NamesArgumentAndShape()
    {
        var ex = Assert.Throws<ArgumentException>(() => C2st.Accuracy(new float[29], 10, new float[30], 10, 3));
        Assert.Equal("a", ex.ParamName);
        Assert.Contains("29 values", ex.Message);
        Assert.Contains("(countA, dim) = (10, 3)", ex.Message);
        Assert.Equal("countB", Assert.Throws<ArgumentOutOfRangeException>(() => C2st.Accuracy(new float[30], 10, new float[9], 3, 3)).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => C2st.Accuracy(new float[30], 10, new float[30], 10, 3, new C2stOptions { Folds = 1 })).ParamName);
    }
}
