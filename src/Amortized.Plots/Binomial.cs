namespace Amortized.Plots;

/// <summary>
/// Binomial quantiles for the rank-histogram band: under exact calibration the count in one bin of an SBC rank
/// histogram is Binomial(N datasets, p = share of rank values in that bin).
/// </summary>
internal static class Binomial
{
    /// <summary>
    /// The q-quantile of Binomial(n, p): the smallest k with P(X ≤ k) ≥ q.
    /// </summary>
    /// <remarks>
    /// The PMF is walked upward in log space, log f(k+1) = log f(k) + log(n−k) − log(k+1) + log(p/(1−p)),
    /// starting from log f(0) = n·log(1−p). In linear space (1−p)^n underflows for large n
    /// (0.95^20000 ≈ 1e−446), and the recurrence would then keep every later term at zero too. Terms that do
    /// underflow in exp() are below 1e−308 and cannot move the sum. O(k) per call; fine for the bins of one figure.
    /// </remarks>
    public static int Quantile(int n, double p, double q)
    {
        if (n < 0 || !(p >= 0 && p <= 1) || !(q >= 0 && q <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(q),
                $"Binomial.Quantile: n = {n}, p = {p}, q = {q} out of range.");
        }
        if (p == 0 || q == 0)
        {
            return 0;
        }
        if (p == 1)
        {
            return n;
        }
        double logRatio = Math.Log(p) - double.LogP1(-p);
        double logPmf = n * double.LogP1(-p);
        double cdf = 0;
        for (int k = 0; k < n; k++)
        {
            cdf += Math.Exp(logPmf);
            if (cdf >= q)
            {
                return k;
            }
            logPmf += Math.Log(n - k) - Math.Log(k + 1) + logRatio;
        }
        return n;
    }
}
