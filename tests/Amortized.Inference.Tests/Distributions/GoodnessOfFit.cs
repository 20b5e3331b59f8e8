using Xunit;

namespace Amortized.Inference.Tests.Distributions;

/// <summary>
/// Goodness-of-fit statistics for the distribution tests, each with the critical value it is compared with.
/// </summary>
internal static class GoodnessOfFit
{
    /// <summary>Draws per goodness-of-fit test.</summary>
    public const int Draws = 100_000;

    /// <summary>
    /// Kolmogorov-Smirnov statistic D = sup |F_n(x) - F(x)| of the draws against the CDF F; sorts
    /// <paramref name="draws"/> in place.
    /// </summary>
    public static double KolmogorovSmirnov(double[] draws, Func<double, double> cdf)
    {
        Array.Sort(draws);
        int n = draws.Length;
        double d = 0;
        for (int i = 0; i < n; i++)
        {
            double f = cdf(draws[i]);
            d = Math.Max(d, Math.Max((i + 1.0) / n - f, f - (double)i / n));
        }
        return d;
    }

    /// <summary>The asymptotic 1% critical value of D for n draws, 1.63 / sqrt(n).</summary>
    public static double KsCritical(int n) => 1.63 / Math.Sqrt(n);

    /// <summary>
    /// Pearson's chi-square of integer draws against a pmf, with the degrees of freedom. Bins are the single
    /// values whose expected count is at least 5; the values below the first such bin join it, and those above
    /// the last join it (so the bins cover all integers and their probabilities sum to 1).
    /// </summary>
    /// <param name="draws">The draws.</param>
    /// <param name="pmf">P(X = k) for k = 0..pmf.Length-1; the mass beyond is taken as 1 - sum.</param>
    public static (double Statistic, int DegreesOfFreedom) ChiSquare(int[] draws, double[] pmf)
    {
        int n = draws.Length;
        var counts = new long[pmf.Length + 1];          // the last slot counts values >= pmf.Length
        foreach (int k in draws) counts[k >= 0 && k < pmf.Length ? k : pmf.Length]++;
        Assert.True(Array.TrueForAll(draws, k => k >= 0), "a draw is negative");

        int first = Array.FindIndex(pmf, p => n * p >= 5), last = Array.FindLastIndex(pmf, p => n * p >= 5);
        Assert.True(first >= 0 && last > first, "fewer than two bins have an expected count of 5");
        double statistic = 0;
        int bins = 0;
        for (int k = first; k <= last; k++)
        {
            double expected = 0;
            long observed = 0;
            int from = k == first ? 0 : k, to = k == last ? pmf.Length : k;   // to inclusive; pmf.Length = beyond
            for (int j = from; j <= to; j++)
            {
                expected += j < pmf.Length ? pmf[j] : Math.Max(0, 1 - pmf.Sum());
                observed += counts[j];
            }
            expected *= n;
            statistic += (observed - expected) * (observed - expected) / expected;
            bins++;
        }
        return (statistic, bins - 1);
    }

    /// <summary>
    /// The 0.999 quantile of chi-square with k degrees of freedom by the Wilson-Hilferty approximation
    /// k (1 - 2/(9k) + z sqrt(2/(9k)))^3, z = Phi^-1(0.999) = 3.090232; within about 1% of the exact quantile for
    /// k &gt;= 3 (e.g. k = 10: 29.62 vs 29.59) and a little above it for k = 1, 2 (11.0 vs 10.83; 13.9 vs 13.8),
    /// so the test is at most slightly more lenient there.
    /// </summary>
    public static double ChiSquareQuantile999(int k)
    {
        const double z = 3.090232306167813;
        double c = 2.0 / (9 * k);
        double t = 1 - c + z * Math.Sqrt(c);
        return k * t * t * t;
    }

    /// <summary>
    /// Asserts the sample mean and variance of the draws against the known moments, each within 5 standard
    /// errors: sd / sqrt(n) for the mean, sqrt((m4 - s^4) / n) for the variance (m4 the sample fourth central
    /// moment). A 5-SE band fails by chance with probability about 6e-7.
    /// </summary>
    public static void AssertMoments(double[] draws, double mean, double variance, string label)
    {
        int n = draws.Length;
        double m = draws.Average();
        double m2 = 0, m4 = 0;
        foreach (double x in draws)
        {
            double d2 = (x - m) * (x - m);
            m2 += d2;
            m4 += d2 * d2;
        }
        m2 /= n;
        m4 /= n;
        double seMean = Math.Sqrt(variance / n), seVar = Math.Sqrt((m4 - m2 * m2) / n);
        Assert.True(Math.Abs(m - mean) <= 5 * seMean,
            $"{label}: sample mean {m} vs {mean}; |difference| {Math.Abs(m - mean)} > 5 SE = {5 * seMean}");
        double s2 = m2 * n / (n - 1);
        Assert.True(Math.Abs(s2 - variance) <= 5 * seVar,
            $"{label}: sample variance {s2} vs {variance}; |difference| {Math.Abs(s2 - variance)} > 5 SE = " +
            $"{5 * seVar}");
    }
}
