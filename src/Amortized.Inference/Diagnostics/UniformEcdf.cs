using System.Diagnostics;
using Amortized.Tensors;

namespace Amortized.Inference.Diagnostics;

/// <summary>
/// The binomial machinery behind the simultaneous ECDF band and the log-gamma statistic (Säilynoja, Bürkner and
/// Vehtari 2022, Sec. 2.2). If N values are uniform on (0, 1), the ECDF count at z, c(z) = #{u &lt;= z}, is
/// Binomial(N, z). The "minimal coverage probability" of one sample over evaluation points z_1..z_K is
/// gamma = 2 min_k min(P(X_k &lt;= c_k), P(X_k &gt;= c_k)), X_k ~ Binomial(N, z_k): the two-sided tail probability of
/// the most extreme point of its ECDF. Small gamma means the ECDF strays far from the diagonal somewhere.
/// </summary>
internal static class UniformEcdf
{
    /// <summary>log k! for k = 0..n (a running sum of logs: exact to a few ulps at these sizes).</summary>
    public static double[] LogFactorials(int n)
    {
        var result = new double[n + 1];
        for (int k = 2; k <= n; k++) result[k] = result[k - 1] + Math.Log(k);
        return result;
    }

    /// <summary>
    /// Fills lower[c] = P(X &lt;= c) and upper[c] = P(X &gt;= c) for c = 0..n, X ~ Binomial(n, p). Both tails are
    /// summed from their own small end, so neither is computed as 1 - (something close to 1) and tiny tail
    /// probabilities keep their relative precision.
    /// </summary>
    public static void Tails(int n, double p, ReadOnlySpan<double> logFactorial, Span<double> lower, Span<double> upper)
    {
        Debug.Assert(lower.Length == n + 1 && upper.Length == n + 1 && logFactorial.Length == n + 1);
        if (p <= 0 || p >= 1)
        {
            // Degenerate: all mass at 0 (p = 0) or at n (p = 1).
            int atom = p <= 0 ? 0 : n;
            for (int c = 0; c <= n; c++)
            {
                lower[c] = c >= atom ? 1 : 0;
                upper[c] = c <= atom ? 1 : 0;
            }
            return;
        }
        double logP = Math.Log(p), logQ = double.LogP1(-p);
        // pmf first (into upper as scratch), then the cumulative sums.
        for (int k = 0; k <= n; k++)
            upper[k] = Math.Exp(logFactorial[n] - logFactorial[k] - logFactorial[n - k] + k * logP + (n - k) * logQ);
        double run = 0;
        for (int k = 0; k <= n; k++) { run += upper[k]; lower[k] = Math.Min(run, 1); }
        run = 0;
        for (int k = n; k >= 0; k--) { run += upper[k]; upper[k] = Math.Min(run, 1); }
    }

    /// <summary>
    /// Minimal coverage probability of each row of <paramref name="sortedSamples"/> (rows, n), each row ascending.
    /// The count at point k is #{x &lt; thresholds[k]} (strict) or #{x &lt;= thresholds[k]}, and it is judged against
    /// Binomial(n, probabilities[k]). Thresholds must ascend. Returns gamma per row (rows).
    /// </summary>
    /// <remarks>
    /// Cost O(K (n + rows)): one binomial table per point, shared by all rows, and a pointer per row.
    /// </remarks>
    public static double[] MinimalCoverage(ReadOnlySpan<double> sortedSamples, int rows, int n,
        ReadOnlySpan<double> thresholds, ReadOnlySpan<double> probabilities, bool strict)
    {
        Debug.Assert(sortedSamples.Length == (long)rows * n && thresholds.Length == probabilities.Length);
        var logFactorial = LogFactorials(n);
        var lower = new double[n + 1];
        var upper = new double[n + 1];
        var position = new int[rows];
        var gamma = new double[rows];
        Array.Fill(gamma, 1.0);
        for (int k = 0; k < thresholds.Length; k++)
        {
            Tails(n, probabilities[k], logFactorial, lower, upper);
            double t = thresholds[k];
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<double> row = sortedSamples.Slice(r * n, n);
                int c = position[r];
                if (strict) { while (c < n && row[c] < t) c++; }
                else { while (c < n && row[c] <= t) c++; }
                position[r] = c;
                double g = Math.Min(lower[c], upper[c]);
                if (g < gamma[r]) gamma[r] = g;
            }
        }
        for (int r = 0; r < rows; r++) gamma[r] = Math.Min(1, 2 * gamma[r]);
        return gamma;
    }

    /// <summary>
    /// <paramref name="simulations"/> rows of <paramref name="n"/> sorted U(0, 1) draws (simulations, n): the null
    /// samples whose minimal coverage probabilities calibrate the band and log gamma. Row m draws from stream m,
    /// so a row does not depend on how many rows are asked for.
    /// </summary>
    public static double[] SortedUniforms(int simulations, int n, ulong seed)
    {
        var u = new double[(long)simulations * n];
        for (int m = 0; m < simulations; m++)
        {
            var rng = new Rng(seed, (ulong)m);
            Span<double> row = u.AsSpan(m * n, n);
            for (int i = 0; i < n; i++) row[i] = rng.NextDouble();
            row.Sort();
        }
        return u;
    }

    /// <summary>scipy's binom.ppf: the smallest c with P(X &lt;= c) &gt;= q, from a lower-tail table.</summary>
    public static int LowerQuantile(ReadOnlySpan<double> lower, double q)
    {
        for (int c = 0; c < lower.Length; c++) if (lower[c] >= q) return c;
        return lower.Length - 1;
    }

    /// <summary>
    /// binom.ppf(1 - q): the smallest c with P(X &lt;= c) &gt;= 1 - q, i.e. with P(X &gt;= c + 1)
    /// &lt;= q, read from the upper-tail table so that q far below 1e-16 still resolves.
    /// </summary>
    public static int UpperQuantile(ReadOnlySpan<double> upper, double q)
    {
        int n = upper.Length - 1;
        for (int c = 0; c < n; c++) if (upper[c + 1] <= q) return c;
        return n;
    }
}
