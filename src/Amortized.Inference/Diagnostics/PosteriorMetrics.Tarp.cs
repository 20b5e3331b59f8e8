using Amortized.Tensors;

namespace Amortized.Inference.Diagnostics;

public static partial class PosteriorMetrics
{
    /// <summary>
    /// TARP, "Tests of Accuracy with Random Points" (Lemos, Coogan, Hezaveh and Perreault-Levasseur 2023, ICML): a
    /// joint calibration test. Per data set n a reference point r_n is drawn; the ball around r_n through the truth
    /// holds a fraction f_n of the draws. For a calibrated posterior f_n is uniform, so the ECDF of f (the expected
    /// coverage probability, ECP) follows the diagonal.
    /// </summary>
    /// <param name="draws">(N, S, D).</param>
    /// <param name="truths">(N, D).</param>
    /// <param name="references">(N, D) reference points; empty (the default) draws them uniformly in the box
    /// [min, max] of the truths per parameter, as BayesFlow.</param>
    /// <param name="resolution">K: ECP is reported at linspace(0, 1, K + 1).</param>
    /// <param name="standardize">Rescale every parameter by the truths' [min, max] to [0, 1] before measuring
    /// Euclidean distances, so no parameter dominates by its units.</param>
    /// <param name="seed">Seed of the reference points.</param>
    /// <remarks>
    /// Differences from BayesFlow's <c>tarp</c>, both deliberate: the ECP is the exact ECDF of f at a fixed grid
    /// (BayesFlow histograms f over [min f, max f], which shifts the grid with the data), and the KS statistic is the
    /// one-sample distance of f from U(0, 1) with its asymptotic p-value (BayesFlow compares the ECP and grid arrays).
    /// </remarks>
    public static TarpResult Tarp(PosteriorDraws draws, ReadOnlySpan<float> truths,
        ReadOnlySpan<float> references = default,
        int resolution = 100, bool standardize = true, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(draws);
        draws.CheckTruths(truths, nameof(Tarp));
        int n = draws.Datasets, s = draws.Draws, p = draws.Parameters;
        if (resolution < 1)
            throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "Tarp: expected K >= 1.");
        if (!references.IsEmpty && references.Length != n * p)
            throw new ArgumentException($"Tarp: references has {references.Length} values; expected (N, D) = ({n}, " +
                $"{p}) = {n * p}, or none.", nameof(references));

        var low = new double[p];
        var scale = new double[p];
        for (int d = 0; d < p; d++)
        {
            double min = double.PositiveInfinity, max = double.NegativeInfinity;
            for (int i = 0; i < n; i++)
            {
                min = Math.Min(min, truths[i * p + d]);
                max = Math.Max(max, truths[i * p + d]);
            }
            low[d] = min;
            scale[d] = max > min ? max - min : 1;   // a constant parameter keeps its units
        }
        var reference = new double[n * p];
        if (references.IsEmpty)
        {
            var rng = new Rng(seed);
            for (int i = 0; i < reference.Length; i++) reference[i] = low[i % p] + rng.NextDouble() * (scale[i % p]);
        }
        else
        {
            for (int i = 0; i < reference.Length; i++) reference[i] = references[i];
        }

        var coverage = new double[n];
        ReadOnlySpan<float> values = draws.Values;
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<double> r = reference.AsSpan(i * p, p);
            double truthDistance = Distance(truths.Slice(i * p, p), r, low, scale, standardize);
            int closer = 0;
            for (int j = 0; j < s; j++)
                if (Distance(values.Slice((i * s + j) * p, p), r, low, scale, standardize) < truthDistance) closer++;
            coverage[i] = (double)closer / s;
        }

        double[] alpha = SampleStatistics.Linspace(0, 1, resolution + 1);
        double[] sorted = (double[])coverage.Clone();
        Array.Sort(sorted);
        var ecp = new double[alpha.Length];
        int c = 0;
        for (int k = 0; k < alpha.Length; k++)
        {
            while (c < n && sorted[c] <= alpha[k]) c++;
            ecp[k] = (double)c / n;
        }
        // ATC as BayesFlow: sum of (ECP - alpha) d alpha over the upper half of the grid.
        double atc = 0, step = 1.0 / resolution;
        for (int k = alpha.Length / 2; k < alpha.Length; k++) atc += (ecp[k] - alpha[k]) * step;

        double ks = 0;
        for (int i = 0; i < n; i++) ks = Math.Max(ks, Math.Max((i + 1.0) / n - sorted[i], sorted[i] - (double)i / n));
        return new TarpResult(alpha, ecp, coverage, atc, ks, KolmogorovPValue(ks, n));
    }

    private static double Distance(ReadOnlySpan<float> x, ReadOnlySpan<double> reference, double[] low,
        double[] scale, bool standardize)
    {
        double sum = 0;
        for (int d = 0; d < x.Length; d++)
        {
            // Shifting both points by low[d] cancels, so only the scale matters.
            double e = x[d] - reference[d];
            if (standardize) e /= scale[d];
            sum += e * e;
        }
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// P(D_n &gt;= d) for the one-sample KS statistic: Kolmogorov's limit Q(t) = 2 sum_j (-1)^(j-1) exp(-2 j^2 t^2)
    /// at t = (sqrt n + 0.12 + 0.11 / sqrt n) d (Stephens 1970), accurate to about 1e-2 for n &gt;= 5.
    /// </summary>
    internal static double KolmogorovPValue(double d, int n)
    {
        double sn = Math.Sqrt(n);
        double t = (sn + 0.12 + 0.11 / sn) * d;
        if (t < 0.2) return 1;   // the series converges slowly there and Q(t) = 1 to double precision
        double sum = 0;
        for (int j = 1; j <= 100; j++)
        {
            double term = Math.Exp(-2.0 * j * j * t * t);
            sum += (j % 2 == 1 ? term : -term);
            if (term < 1e-16) break;
        }
        return Math.Clamp(2 * sum, 0, 1);
    }
}
