using Amortized.Inference.Distributions;
using Amortized.Tensors;
using Amortized.Testing;
using Xunit;

namespace Amortized.Inference.Tests.Distributions;

/// <summary>
/// Every discrete distribution, through one contract: 10^5 seeded draws against the pmf by chi-square (threshold
/// the 0.999 quantile for the bins' degrees of freedom), sample moments, the pmf summing to 1, and the log pmf
/// equal, value by value, to a pmf built here by its ratio recursion (no log Gamma involved).
/// </summary>
public sealed class DiscreteDistributionTests
{
    /// <param name="Pmf">P(X = k), k = 0..Length-1, built by recursion, covering all but &lt; 1e-12 of the
    /// mass.</param>
    public sealed record Case(IDiscreteDistribution Distribution, double[] Pmf, double Mean, double Variance);

    private static readonly Dictionary<string, Case> s_cases = new()
    {
        ["Poisson(3.2) inversion"] = PoissonCase(3.2),
        ["Poisson(47.5) PTRS"] = PoissonCase(47.5),
        ["Poisson(10) PTRS boundary"] = PoissonCase(10),
        ["Binomial(20, 0.3) inversion"] = BinomialCase(20, 0.3),
        ["Binomial(1000, 0.37) recursion"] = BinomialCase(1000, 0.37),
        ["Binomial(200, 0.9) recursion, p > 1/2"] = BinomialCase(200, 0.9),
        ["NegativeBinomial(3.5, 0.4)"] = NegativeBinomialCase(3.5, 0.4),
        ["NegativeBinomial(40, 0.2) PTRS mixture"] = NegativeBinomialCase(40, 0.2),
        ["Categorical(0.1, 0.25, 0.4, 0.25)"] = new(new Categorical(0.1, 0.25, 0.4, 0.25), [0.1, 0.25, 0.4, 0.25],
            0.25 + 0.8 + 0.75, 0.1 * 1.8 * 1.8 + 0.25 * 0.8 * 0.8 + 0.4 * 0.2 * 0.2 + 0.25 * 1.2 * 1.2),
        ["Bernoulli(0.3)"] = new(new Bernoulli(0.3), [0.7, 0.3], 0.3, 0.21),
    };

    public static TheoryData<string> Cases => [.. s_cases.Keys];

    /// <summary>p_0 = e^-rate, p_k = p_{k-1} rate / k.</summary>
    private static Case PoissonCase(double rate) =>
        new(new Poisson(rate), Recursion(Math.Exp(-rate), k => rate / k, int.MaxValue), rate, rate);

    /// <summary>p_0 = (1-p)^n, p_k = p_{k-1} (n - k + 1) / k p / (1 - p).</summary>
    private static Case BinomialCase(int n, double p) =>
        new(new Binomial(n, p), Recursion(Math.Pow(1 - p, n), k => (n - k + 1.0) / k * p / (1 - p), n), n * p,
            n * p * (1 - p));

    /// <summary>p_0 = p^r, p_k = p_{k-1} (k - 1 + r) / k (1 - p).</summary>
    private static Case NegativeBinomialCase(double r, double p) =>
        new(new NegativeBinomial(r, p), Recursion(Math.Pow(p, r), k => (k - 1 + r) / k * (1 - p), int.MaxValue),
            r * (1 - p) / p, r * (1 - p) / (p * p));

    private static double[] Recursion(double p0, Func<int, double> ratio, int max)
    {
        var pmf = new List<double> { p0 };
        double sum = p0;
        for (int k = 1; k <= max && (1 - sum > 1e-13 || k < 5); k++)
        {
            pmf.Add(pmf[^1] * ratio(k));
            sum += pmf[^1];
        }
        return [.. pmf];
    }

    private static Rng RngFor(string label) =>
        new(TestSeeds.Default + 1, (ulong)Array.IndexOf([.. s_cases.Keys], label));

    private static int[] Draw(IDiscreteDistribution distribution, Rng rng, int n)
    {
        var draws = new int[n];
        for (int i = 0; i < n; i++) draws[i] = distribution.SampleInt(rng);
        return draws;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sample_ChiSquare_BelowQuantile999(string label)
    {
        Case c = s_cases[label];
        int[] draws = Draw(c.Distribution, RngFor(label), GoodnessOfFit.Draws);
        (double statistic, int df) = GoodnessOfFit.ChiSquare(draws, c.Pmf);
        double threshold = GoodnessOfFit.ChiSquareQuantile999(df);
        Assert.True(statistic < threshold, $"{label}: chi-square {statistic} on {df} df >= {threshold}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sample_Moments_MatchClosedForm(string label)
    {
        Case c = s_cases[label];
        Assert.Equal(c.Mean, c.Distribution.Mean, 10);
        Assert.Equal(c.Variance, c.Distribution.Variance, 10);
        int[] draws = Draw(c.Distribution, RngFor(label), GoodnessOfFit.Draws);
        GoodnessOfFit.AssertMoments(Array.ConvertAll(draws, k => (double)k), c.Mean, c.Variance, label);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LogProbability_SumsToOne_AndMatchesRecursion(string label)
    {
        Case c = s_cases[label];
        double sum = 0;
        for (int k = 0; k < c.Pmf.Length; k++)
        {
            double logp = c.Distribution.LogProbability(k);
            sum += Math.Exp(logp);
            if (c.Pmf[k] > 1e-250)
                Assert.True(Math.Abs(logp - Math.Log(c.Pmf[k])) < 1e-9,
                    $"{label}: log P({k}) = {logp}; recursion gives {Math.Log(c.Pmf[k])}");
            Assert.Equal(logp, c.Distribution.LogDensity(k));
        }
        Assert.True(Math.Abs(sum - 1) < 1e-10, $"{label}: pmf sums to {sum} over 0..{c.Pmf.Length - 1}");
        Assert.Equal(double.NegativeInfinity, c.Distribution.LogProbability(-1));
        Assert.Equal(double.NegativeInfinity, c.Distribution.LogDensity(0.5));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sample_SameSeed_SameDraws(string label)
    {
        IDiscreteDistribution d = s_cases[label].Distribution;
        Assert.Equal(Draw(d, new Rng(7, 3), 200), Draw(d, new Rng(7, 3), 200));
        Assert.NotEqual(Draw(d, new Rng(7, 3), 200), Draw(d, new Rng(8, 3), 200));
        Assert.Equal(d.SampleInt(new Rng(9)), d.Sample(new Rng(9)));
    }

    [Fact]
    public void Sample_DegenerateParameters_GiveTheCertainValue()
    {
        var rng = new Rng(TestSeeds.Default);
        Assert.Equal(0, new Poisson(0).SampleInt(rng));
        Assert.Equal(0, new Binomial(50, 0).SampleInt(rng));
        Assert.Equal(50, new Binomial(50, 1).SampleInt(rng));
        Assert.Equal(0, new Binomial(0, 0.5).SampleInt(rng));
        Assert.Equal(0.0, new Binomial(50, 1).LogProbability(50), 12);   // log Gamma rounding only
        Assert.Equal(1, new Bernoulli(1).SampleInt(rng));
        Assert.Equal(double.NegativeInfinity, new Poisson(0).LogProbability(1));
    }

    [Fact]
    public void Binomial_HugeN_MeanWithinFiveStandardErrors()
    {
        // n = 10^9: the order-statistic recursion must stay exact and fast where inversion would take ~10^8 steps.
        var binomial = new Binomial(1_000_000_000, 0.25);
        var rng = new Rng(TestSeeds.Default, 99);
        const int draws = 2000;
        double sum = 0;
        for (int i = 0; i < draws; i++) sum += binomial.SampleInt(rng);
        double se = Math.Sqrt(binomial.Variance / draws);
        Assert.True(Math.Abs(sum / draws - binomial.Mean) < 5 * se, $"mean {sum / draws} vs {binomial.Mean}");
    }
}
