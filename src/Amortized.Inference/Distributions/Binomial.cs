using Amortized.Networks;
using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>Binomial(n, p): the number of successes in n independent trials of probability p.</summary>
public sealed class Binomial : DiscreteDistribution
{
    /// <summary>Below this n min(p, 1-p) the sampler inverts the CDF directly (expected work ~ that product).</summary>
    internal const double InversionLimit = 10;

    /// <summary>A binomial with <paramref name="n"/> &gt;= 0 trials of success probability
    /// <paramref name="p"/> in [0, 1].</summary>
    public Binomial(int n, double p)
    {
        N = Check.NonNegative(n, nameof(n), nameof(Binomial));
        P = Check.Probability(p, nameof(p), nameof(Binomial));
    }

    /// <summary>Number of trials.</summary>
    public int N { get; }

    /// <summary>Success probability.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override double Mean => N * P;

    /// <inheritdoc/>
    public override double Variance => N * P * (1 - P);

    /// <inheritdoc/>
    /// <remarks>
    /// Exact for every n: while n min(p, 1-p) is large, the recursion on order statistics (Knuth, TAOCP vol. 2,
    /// 3.4.1, after Relles 1972) halves n: the i-th smallest of n uniforms, i = 1 + n/2, is X ~ Beta(i, n+1-i); if
    /// X &gt;= p, the successes are among the i-1 uniforms below X, each below p with probability p / X;
    /// otherwise those i all succeed and the n-i above X each succeed with probability (p - X) / (1 - X). That
    /// takes O(log n) beta draws, then the CDF is inverted on what remains.
    /// </remarks>
    public override int SampleInt(Rng rng)
    {
        int n = N, successes = 0;
        double p = P;
        while (n * Math.Min(p, 1 - p) >= InversionLimit)
        {
            int i = 1 + n / 2;
            double x = Beta.Draw(i, n + 1 - i, rng);
            if (x >= p)
            {
                n = i - 1;
                p /= x;
            }
            else
            {
                successes += i;
                n -= i;
                p = (p - x) / (1 - x);
            }
        }
        return successes + Inversion(n, p, rng);
    }

    /// <summary>Binomial(n, p) by sequential search of the CDF (exact; O(n min(p, 1-p)) expected work).</summary>
    private static int Inversion(int n, double p, Rng rng)
    {
        if (p <= 0) return 0;
        if (p >= 1) return n;
        if (p > 0.5) return n - Inversion(n, 1 - p, rng);
        double q = 1 - p, ratio = p / q;
        double pk = Math.Pow(q, n), cdf = pk, u = rng.NextDouble();
        int k = 0;
        while (u >= cdf && k < n)
        {
            pk *= ratio * (n - k) / (k + 1);
            k++;
            cdf += pk;
        }
        return k;
    }

    /// <inheritdoc/>
    public override double LogProbability(int k) => k >= 0 && k <= N
        ? SpecialFunctions.LogGamma(N + 1.0) - SpecialFunctions.LogGamma(k + 1.0)
            - SpecialFunctions.LogGamma(N - k + 1.0) + LogMath.XLogY(k, P) + LogMath.XLogY(N - k, 1 - P)
        : double.NegativeInfinity;
}
