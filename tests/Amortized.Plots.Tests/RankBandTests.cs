using Xunit;

namespace Amortized.Plots.Tests;

/// <summary>
/// The rank-histogram band against binomial quantiles computed by hand: exact rational arithmetic (Python's
/// fractions.Fraction and math.comb) summing C(n,k)·p^k·(1−p)^(n−k) until the CDF first reaches q.
/// </summary>
public sealed class RankBandTests
{
    [Theory]
    [InlineData(100, 0.05, 0.005, 0)]
    [InlineData(100, 0.05, 0.995, 11)]
    [InlineData(100, 0.05, 0.025, 1)]
    [InlineData(100, 0.05, 0.975, 10)]
    [InlineData(200, 0.05, 0.005, 3)]
    [InlineData(200, 0.05, 0.995, 19)]
    [InlineData(1000, 0.05, 0.005, 33)]
    [InlineData(1000, 0.05, 0.995, 69)]
    [InlineData(50, 0.3, 0.005, 7)]
    [InlineData(50, 0.3, 0.995, 24)]
    [InlineData(50, 0.4, 0.005, 11)]
    [InlineData(50, 0.4, 0.995, 29)]
    [InlineData(20, 0.5, 0.005, 4)]
    [InlineData(20, 0.5, 0.995, 16)]
    [InlineData(100, 0.1, 0.025, 5)]
    [InlineData(100, 0.1, 0.975, 16)]
    // 0.95^20000 ≈ 1e−446 underflows a double; the log-space walk must still land on the exact quantile.
    [InlineData(20000, 0.05, 0.005, 921)]
    [InlineData(20000, 0.05, 0.995, 1080)]
    public void Quantile_MatchesExactRationalComputation(int n, double p, double q, int expected)
    {
        Assert.Equal(expected, Binomial.Quantile(n, p, q));
    }

    [Fact]
    public void Quantile_DegenerateProbabilities()
    {
        Assert.Equal(0, Binomial.Quantile(10, 0, 0.5));
        Assert.Equal(10, Binomial.Quantile(10, 1, 0.5));
        Assert.Equal(0, Binomial.Quantile(10, 0.5, 0));
        Assert.Equal(10, Binomial.Quantile(10, 0.5, 1));
    }

    [Fact]
    public void Layout_UnevenBins_SplitRankValuesByFloor()
    {
        // L = 9 draws: ranks 0..9 (10 values) in 3 bins → ⌊r·3/10⌋ gives {0..3}, {4..6}, {7..9}.
        (int[] first, int[] count) = RankBins.Layout(9, 3);
        Assert.Equal([0, 4, 7], first);
        Assert.Equal([4, 3, 3], count);
        for (int r = 0; r <= 9; r++)
        {
            int b = RankBins.BinOf(r, 9, 3);
            Assert.InRange(r, first[b], first[b] + count[b] - 1);
        }
    }

    [Fact]
    public void Band_EvenBins_UsesBinomialOneTwentieth()
    {
        // 99 draws → 100 rank values → 5 per bin, p = 1/20, N = 100: quantiles 0.005 and 0.995 of Bin(100, 0.05).
        (int[] lower, int[] upper, double[] expected) = RankBins.Band(100, 99, 20, 0.99);
        Assert.All(lower, v => Assert.Equal(0, v));
        Assert.All(upper, v => Assert.Equal(11, v));
        Assert.All(expected, v => Assert.Equal(5.0, v, 12));

        (lower, upper, _) = RankBins.Band(1000, 99, 20, 0.99);
        Assert.All(lower, v => Assert.Equal(33, v));
        Assert.All(upper, v => Assert.Equal(69, v));
    }

    [Fact]
    public void Band_UnevenBins_UsesEachBinsShare()
    {
        // Bins of 4, 3, 3 of 10 rank values: p = 0.4, 0.3, 0.3 with N = 50.
        (int[] lower, int[] upper, double[] expected) = RankBins.Band(50, 9, 3, 0.99);
        Assert.Equal([11, 7, 7], lower);
        Assert.Equal([29, 24, 24], upper);
        Assert.Equal(20.0, expected[0], 12);
        Assert.Equal(15.0, expected[1], 12);
    }
}
