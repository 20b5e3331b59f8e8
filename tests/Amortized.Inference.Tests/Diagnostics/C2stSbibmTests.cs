using Amortized.Inference.Diagnostics;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Inference.Tests.Diagnostics;

/// <summary>C2st with <see cref="C2stOptions.Sbibm"/>: sklearn-style epochs, early stopping, mean fold accuracy.</summary>
public class C2stSbibmTests
{
    /// <summary>count rows of N(shift e_1, I) in dim dimensions: only the first axis is shifted.</summary>
    private static float[] Normal(int count, int dim, double shift, ulong stream)
    {
        var rng = new Rng(11, stream);
        var x = new float[count * dim];
        rng.FillNormal(x);
        for (int i = 0; i < count; i++) x[i * dim] += (float)shift;
        return x;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void Accuracy_SameDistribution_IsChance(int dim)
    {
        float[] a = Normal(2000, dim, 0, 1), b = Normal(2000, dim, 0, 2);
        double accuracy = C2st.Accuracy(a, 2000, b, 2000, dim, C2stOptions.Sbibm(dim), seed: 3);
        // Out-of-fold accuracy at chance: 0.5 plus binomial noise sqrt(0.25 / 4000) = 0.008 (and a little overfit).
        Assert.InRange(accuracy, 0.47, 0.53);
    }

    [Fact]
    public void Accuracy_OneSdShift_ReachesBayesAccuracy()
    {
        float[] a = Normal(2000, 2, 0, 1), b = Normal(2000, 2, 1, 2);
        double accuracy = C2st.Accuracy(a, 2000, b, 2000, 2, C2stOptions.Sbibm(2), seed: 3);
        // Means 1 sd apart: the Bayes classifier splits at the midpoint, accuracy Phi(0.5) = 0.6915.
        Assert.InRange(accuracy, 0.6915 - 0.03, 0.6915 + 0.03);
    }

    [Fact]
    public void Accuracy_SeparatedSets_IsNearOne()
    {
        float[] a = Normal(1000, 3, 0, 1), b = Normal(1000, 3, 8, 2);
        double accuracy = C2st.Accuracy(a, 1000, b, 1000, 3, C2stOptions.Sbibm(3), seed: 3);
        Assert.True(accuracy > 0.98, $"accuracy {accuracy:F4}, expected > 0.98");
    }

    [Fact]
    public void Accuracy_SameSeed_SameResult()
    {
        float[] a = Normal(300, 2, 0, 1), b = Normal(300, 2, 1, 2);
        var options = C2stOptions.Sbibm(2) with { MaxEpochs = 30 };
        double first = C2st.Accuracy(a, 300, b, 300, 2, options, seed: 9);
        double second = C2st.Accuracy(a, 300, b, 300, 2, options, seed: 9);
        double other = C2st.Accuracy(a, 300, b, 300, 2, options, seed: 10);
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Sbibm_HasSklearnSettings_AndInvalidEpochOptionsNameThemselves()
    {
        var options = C2stOptions.Sbibm(4);
        Assert.Equal([40, 40], options.HiddenWidths);
        Assert.Equal((1000, 200, 1e-3f, 1e-4f, false), (options.MaxEpochs, options.BatchSize, options.LearningRate,
            options.L2, options.BalanceClasses));
        Assert.Null(new C2stOptions().MaxEpochs);
        var ex = Assert.Throws<ArgumentException>(() => C2st.Accuracy(new float[30], 10, new float[30], 10, 3,
            options with { MaxEpochs = 0 }));
        Assert.Equal("options", ex.ParamName);
        Assert.Contains("MaxEpochs 0", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => C2stOptions.Sbibm(0));
    }
}
