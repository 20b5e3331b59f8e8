using Amortized.Inference.Diagnostics;
using Amortized.Tensors;
using Xunit;
using MisspecificationTest = Amortized.Inference.Diagnostics.Misspecification;

namespace Amortized.Inference.Tests.Misspecification;

/// <summary>The MMD test: calibration under the null, power against a shift, the subset shortcut, input checks.</summary>
public sealed class MisspecificationTestTests
{
    private static float[] Normal(int count, Rng rng, float mean = 0f)
    {
        var values = new float[count];
        rng.FillNormal(values, mean);
        return values;
    }

    [Theory]
    [InlineData(1, 100)]
    [InlineData(5, 200)]
    public void Test_ObservedFromReferenceDistribution_PValuesAreUniform(int numObserved, int numReference)
    {
        // 200 independent repetitions of the whole experiment (fresh observed and reference sets each time). With
        // 99 null draws p lies on the grid k / 100, so P(p <= 0.05) = 0.05 and the CDF at u is floor(100 u) / 100.
        const int repetitions = 200, bootstrap = 99, dim = 2;
        var pValues = new double[repetitions];
        for (int r = 0; r < repetitions; r++)
        {
            var rng = new Rng(20230828, (ulong)r);
            var observed = Normal(numObserved * dim, rng);
            var reference = Normal(numReference * dim, rng);
            pValues[r] = MisspecificationTest.Test(observed, numObserved, reference, numReference, dim, bootstrap, seed: (ulong)r).PValue;
        }
        int rejected = pValues.Count(p => p <= 0.05);
        // Binomial(200, 0.05): mean 10, sd 3.1; 4 sd either side.
        Assert.InRange(rejected, 0, 22);
        Array.Sort(pValues);
        double ks = 0;
        for (int i = 0; i < repetitions; i++)
        {
            double cdf = Math.Floor(100 * pValues[i] + 1e-9) / 100;   // the discrete uniform's CDF at p
            ks = Math.Max(ks, Math.Max(Math.Abs((i + 1.0) / repetitions - cdf), Math.Abs((double)i / repetitions - cdf)));
        }
        // Kolmogorov-Smirnov at the 1% level for n = 200 is 1.63 / sqrt(200) = 0.115.
        Assert.True(ks < 0.115, $"KS distance of the p-values from uniform is {ks:F3}; {rejected} of {repetitions} p <= 0.05");
    }

    [Fact]
    public void Test_MeanShiftedObservations_PValueIsSmallest()
    {
        var rng = new Rng(3);
        var reference = Normal(500 * 2, rng);
        var shifted = Normal(20 * 2, rng, mean: 1f);
        var result = MisspecificationTest.Test(shifted, 20, reference, 500, 2, bootstrap: 200, seed: 4);
        Assert.Equal(1.0 / 201, result.PValue, 12);
        Assert.True(result.Mmd > result.NullDistribution.Max(), $"MMD^2 {result.Mmd:G4}, largest null {result.NullDistribution.Max():G4}");
        Assert.Equal(20, result.ObservedCount);
        Assert.Equal(500, result.ReferenceCount);
        Assert.Equal(200, result.NullDistribution.Length);
    }

    [Fact]
    public void Test_OneFarObservation_IsDetected()
    {
        var rng = new Rng(5);
        var reference = Normal(300 * 3, rng);
        var result = MisspecificationTest.Test([10f, 10f, 10f], 1, reference, 300, 3, bootstrap: 100, seed: 6);
        Assert.Equal(1.0 / 101, result.PValue, 12);
    }

    [Fact]
    public void Test_SameSeed_IsDeterministicAndSeedsDiffer()
    {
        var rng = new Rng(7);
        var reference = Normal(150 * 2, rng);
        var observed = Normal(4 * 2, rng);
        var a = MisspecificationTest.Test(observed, 4, reference, 150, 2, bootstrap: 50, seed: 8);
        var b = MisspecificationTest.Test(observed, 4, reference, 150, 2, bootstrap: 50, seed: 8);
        var c = MisspecificationTest.Test(observed, 4, reference, 150, 2, bootstrap: 50, seed: 9);
        Assert.Equal(a.Mmd, b.Mmd);
        Assert.Equal(a.NullDistribution, b.NullDistribution);
        Assert.Equal(a.PValue, b.PValue);
        Assert.NotEqual(a.NullDistribution, c.NullDistribution);
    }

    [Fact]
    public void Test_CachedAndUncachedReferenceKernel_Agree()
    {
        var rng = new Rng(10);
        var reference = Normal(120 * 3, rng);
        var observed = Normal(6 * 3, rng, mean: 0.2f);
        var cached = MisspecificationTest.TestCore(observed, 6, reference, 120, 3, 40, 11, maxCachedReference: 4096);
        var streamed = MisspecificationTest.TestCore(observed, 6, reference, 120, 3, 40, 11, maxCachedReference: 0);
        // The cached matrix holds float kernel values, so sums over it differ from the double ones at ~1e-8.
        Assert.True(Math.Abs(cached.Mmd - streamed.Mmd) < 1e-8 * cached.Mmd, $"cached {cached.Mmd:R}, streamed {streamed.Mmd:R}");
        Assert.Equal(cached.PValue, streamed.PValue);
        for (int i = 0; i < 40; i++)
            Assert.True(Math.Abs(cached.NullDistribution[i] - streamed.NullDistribution[i]) < 1e-6 * cached.NullDistribution[i],
                $"draw {i}: cached {cached.NullDistribution[i]:R}, streamed {streamed.NullDistribution[i]:R}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SubsetStatistic_FromRowSums_EqualsDirectMmdOfSubsetAndRest(bool cache)
    {
        // The O(n^2) shortcut (total - 2 SR + SS, SR - SS) against MMD^2(R_S, R \ S) computed from scratch.
        const int m = 60, dim = 2, n = 7;
        var rng = new Rng(12);
        var reference = Normal(m * dim, rng);
        var kernel = new MmdReferenceKernel(reference, m, dim, cache);
        var order = new int[m];
        rng.Permutation(order);
        var gathered = new float[m * dim];
        var statistic = MisspecificationTest.SubsetStatistic(kernel, order.AsSpan(0, n), gathered, new double[m], new double[m]);
        var subset = new float[n * dim];
        var rest = new float[(m - n) * dim];
        kernel.Gather(order.AsSpan(0, n), subset);
        kernel.Gather(order.AsSpan(n), rest);
        double direct = Mmd.Squared(subset, n, rest, m - n, dim);
        Assert.True(Math.Abs(statistic - direct) < 1e-6 * direct, $"shortcut {statistic:R}, direct {direct:R}");
    }

    [Fact]
    public void Test_DimMismatch_ThrowsNamingArgumentExpectedAndActual()
    {
        var ex = Assert.Throws<ArgumentException>(() => MisspecificationTest.Test(new float[6], 2, new float[40], 20, 2));
        Assert.Equal("observedSummaries", ex.ParamName);
        Assert.Contains("holds 6 values; expected numObserved * dim = 2 * 2 = 4", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => MisspecificationTest.Test(new float[4], 2, new float[41], 20, 2));
        Assert.Equal("referenceSummaries", ex.ParamName);
        Assert.Contains("41", ex.Message);
    }

    [Fact]
    public void Test_NaNSummary_ThrowsNamingArgumentAndRow()
    {
        var reference = new float[40];
        reference[13] = float.NaN;
        var ex = Assert.Throws<ArgumentException>(() => MisspecificationTest.Test(new float[4], 2, reference, 20, 2));
        Assert.Equal("referenceSummaries", ex.ParamName);
        Assert.Contains("NaN at row 6, feature 1", ex.Message);
    }

    [Fact]
    public void Test_EmptyOrTooLargeObservedSetOrNoDraws_Throws()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => MisspecificationTest.Test([], 0, new float[40], 20, 2));
        Assert.Equal("numObserved", ex.ParamName);
        var big = Assert.Throws<ArgumentException>(() => MisspecificationTest.Test(new float[40], 20, new float[40], 20, 2));
        Assert.Equal("numReference", big.ParamName);
        Assert.Contains("numReference is 20; it must exceed numObserved (20)", big.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => MisspecificationTest.Test(new float[4], 2, new float[40], 20, 2, bootstrap: 0));
        Assert.Equal("bootstrap", ex.ParamName);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => MisspecificationTest.Test(new float[4], 2, new float[40], 20, 0));
        Assert.Equal("dim", ex.ParamName);
    }
}
