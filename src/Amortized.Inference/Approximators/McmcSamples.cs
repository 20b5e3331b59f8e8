using Amortized.Inference.Simulators;

namespace Amortized.Inference.Approximators;

/// <summary>
/// Draws of a vectorised MCMC run and its diagnostics. Legend: C chains, S kept draws per chain, P parameters.
/// <see cref="Draws"/> is (S * C, P) in step order: row s * C + c is chain c's s-th kept draw, so the first rows
/// spread over all chains.
/// </summary>
public sealed class McmcSamples
{
    internal McmcSamples(float[] draws, int numChains, int drawsPerChain, int parameterDim, double acceptanceRate,
        long likelihoodEvaluations, long likelihoodCalls, double[] widths)
    {
        Draws = draws;
        NumChains = numChains;
        DrawsPerChain = drawsPerChain;
        ParameterDim = parameterDim;
        AcceptanceRate = acceptanceRate;
        LikelihoodEvaluations = likelihoodEvaluations;
        LikelihoodCalls = likelihoodCalls;
        Widths = widths;
        RHat = SplitRHat(draws, numChains, drawsPerChain, parameterDim);
        EffectiveSampleSize = BulkEffectiveSampleSize(draws, numChains, drawsPerChain, parameterDim);
    }

    /// <summary>All kept draws, (S * C, P), step-major (see the class remarks).</summary>
    public float[] Draws { get; }

    /// <summary>C.</summary>
    public int NumChains { get; }

    /// <summary>S.</summary>
    public int DrawsPerChain { get; }

    /// <summary>P.</summary>
    public int ParameterDim { get; }

    /// <summary>S * C.</summary>
    public int Count => NumChains * DrawsPerChain;

    /// <summary>
    /// Fraction of proposals accepted after warm-up. Slice sampling always moves, so there this is the fraction
    /// of coordinate updates that did not give up after the shrinkage limit (1 in practice).
    /// </summary>
    public double AcceptanceRate { get; }

    /// <summary>
    /// Rows (one chain, one point) of log-likelihood evaluated, warm-up included; out-of-prior points cost none.
    /// </summary>
    public long LikelihoodEvaluations { get; }

    /// <summary>Batched log-likelihood calls, warm-up included.</summary>
    public long LikelihoodCalls { get; }

    /// <summary>Final slice width or proposal standard deviation per parameter (P).</summary>
    public double[] Widths { get; }

    /// <summary>
    /// Split R-hat per parameter (P) across chains (Gelman et al., BDA3 §11.4); NaN with fewer than 4 draws per chain.
    /// </summary>
    public double[] RHat { get; }

    /// <summary>
    /// Bulk effective sample size per parameter (P) over all chains (Vehtari et al. 2021; see
    /// <see cref="BulkEffectiveSampleSize"/>); NaN with fewer than 4 draws per chain or constant draws.
    /// </summary>
    public double[] EffectiveSampleSize { get; }

    /// <summary>Chain <paramref name="chain"/>'s <paramref name="index"/>-th kept draw (P).</summary>
    public ReadOnlySpan<float> Draw(int chain, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chain);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(chain, NumChains);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, DrawsPerChain);
        return Draws.AsSpan((index * NumChains + chain) * ParameterDim, ParameterDim);
    }

    /// <summary>Posterior mean per parameter (P) over all kept draws.</summary>
    public double[] Mean()
    {
        var mean = new double[ParameterDim];
        for (int i = 0; i < Count; i++)
            for (int j = 0; j < ParameterDim; j++) mean[j] += Draws[i * ParameterDim + j];
        for (int j = 0; j < ParameterDim; j++) mean[j] /= Count;
        return mean;
    }

    /// <summary>Posterior covariance (P, P), row-major, over all kept draws (n - 1 denominator).</summary>
    public double[] Covariance()
    {
        int p = ParameterDim;
        var mean = Mean();
        var cov = new double[p * p];
        for (int i = 0; i < Count; i++)
            for (int a = 0; a < p; a++)
            {
                double da = Draws[i * p + a] - mean[a];
                for (int b = 0; b < p; b++) cov[a * p + b] += da * (Draws[i * p + b] - mean[b]);
            }
        for (int k = 0; k < cov.Length; k++) cov[k] /= Math.Max(1, Count - 1);
        return cov;
    }

    /// <summary>
    /// The draws as one data set's posterior, key <paramref name="key"/> with shape (1, S * C, P), the layout of
    /// <see cref="ContinuousApproximator.Sample"/>, so <see cref="PosteriorEstimates.FromDraws"/> applies.
    /// </summary>
    public SimulationBatch ToBatch(string key) =>
        new SimulationBatch(1).Set(key, (float[])Draws.Clone(), 1, Count, ParameterDim);

    /// <summary>
    /// Split R-hat of step-major draws (S * C, P): each chain is cut into halves of floor(S / 2) draws (the middle
    /// one dropped when S is odd), and R-hat = sqrt(((n - 1) / n W + B / n) / W) over the 2C halves, where W is
    /// the mean within-half variance and B / n the variance of the half means.
    /// </summary>
    public static double[] SplitRHat(ReadOnlySpan<float> draws, int numChains, int drawsPerChain, int parameterDim)
    {
        if (draws.Length != numChains * drawsPerChain * parameterDim)
            throw new ArgumentException($"SplitRHat: draws have {draws.Length} values; expected C * S * P = " +
                $"{numChains} * {drawsPerChain} * {parameterDim}.", nameof(draws));
        var rhat = new double[parameterDim];
        int n = drawsPerChain / 2, m = 2 * numChains;
        if (n < 2)
        {
            Array.Fill(rhat, double.NaN);
            return rhat;
        }
        var means = new double[m];
        for (int j = 0; j < parameterDim; j++)
        {
            double within = 0;
            for (int h = 0; h < m; h++)
            {
                int chain = h >> 1, first = (h & 1) == 0 ? 0 : drawsPerChain - n;
                double sum = 0, sq = 0;
                for (int s = first; s < first + n; s++) sum += draws[(s * numChains + chain) * parameterDim + j];
                double mean = sum / n;
                for (int s = first; s < first + n; s++)
                {
                    double d = draws[(s * numChains + chain) * parameterDim + j] - mean;
                    sq += d * d;
                }
                means[h] = mean;
                within += sq / (n - 1) / m;
            }
            double grand = 0, between = 0;
            for (int h = 0; h < m; h++) grand += means[h] / m;
            for (int h = 0; h < m; h++) between += (means[h] - grand) * (means[h] - grand) / (m - 1);   // B / n
            double pooled = (n - 1.0) / n * within + between;
            rhat[j] = within > 0 ? Math.Sqrt(pooled / within) : between > 0 ? double.PositiveInfinity : double.NaN;
        }
        return rhat;
    }

    /// <summary>
    /// Bulk effective sample size of step-major draws (S * C, P) per parameter (P), as Stan and the posterior
    /// package compute it (Vehtari et al. 2021, Bayesian Analysis 16(2)): the chains are split into halves as in
    /// <see cref="SplitRHat"/>, the pooled draws are rank-normalised (z = Phi^-1((rank - 3/8) / (N + 1/4)), ties
    /// sharing their mean rank), and with the 2C halves of n draws the autocorrelation at lag t is
    /// rho_t = 1 - (W - mean autocovariance_t) / var_plus, W the mean within-half variance and
    /// var_plus = (n - 1) / n W + the variance of the half means. Geyer's initial positive sequence truncates the
    /// sum (so autocovariances are computed only up to the first lag pair whose sum is negative, O(S * lag) work)
    /// and his initial monotone sequence smooths it; ESS = 2 C n / tau with
    /// tau = -1 + 2 sum_{t &lt; T} rho_t + rho_T, floored at 1 / log10(2 C n).
    /// </summary>
    /// <param name="draws">Draws (S * C, P), step-major: draw s of chain c is row s * C + c.</param>
    /// <param name="numChains">C.</param>
    /// <param name="drawsPerChain">S; fewer than 4 gives NaN.</param>
    /// <param name="parameterDim">P.</param>
    /// <returns>ESS per parameter (P); NaN where the draws are constant or not all finite.</returns>
    public static double[] BulkEffectiveSampleSize(ReadOnlySpan<float> draws, int numChains, int drawsPerChain,
        int parameterDim)
    {
        if (numChains < 1 || drawsPerChain < 0 || parameterDim < 1)
            throw new ArgumentOutOfRangeException(nameof(numChains), $"EffectiveSampleSize: C = {numChains}, " +
                $"S = {drawsPerChain} and P = {parameterDim}; expected C >= 1, S >= 0 and P >= 1.");
        if (draws.Length != (long)numChains * drawsPerChain * parameterDim)
            throw new ArgumentException($"EffectiveSampleSize: draws have {draws.Length} values; expected " +
                $"C * S * P = {numChains} * {drawsPerChain} * {parameterDim}.", nameof(draws));
        var ess = new double[parameterDim];
        int n = drawsPerChain / 2, m = 2 * numChains, total = n * m;
        if (n < 2)
        {
            Array.Fill(ess, double.NaN);
            return ess;
        }
        // halves[h * n + i]: draw i of half h (chain h / 2; even h the first half, odd h the last).
        var halves = new double[total];
        var order = new int[total];
        var keys = new double[total];
        var means = new double[m];
        var rho = new double[n + 1];
        for (int j = 0; j < parameterDim; j++)
        {
            bool finite = true;
            for (int h = 0; h < m; h++)
            {
                int chain = h >> 1, first = (h & 1) == 0 ? 0 : drawsPerChain - n;
                for (int i = 0; i < n; i++)
                {
                    double v = draws[((first + i) * numChains + chain) * parameterDim + j];
                    finite &= double.IsFinite(v);
                    halves[h * n + i] = v;
                }
            }
            ess[j] = finite && RankNormalize(halves, order, keys) ? GeyerEss(halves, m, n, means, rho) : double.NaN;
        }
        return ess;
    }

    /// <summary>
    /// Replaces <paramref name="values"/> by their normal scores Phi^-1((r - 3/8) / (N + 1/4)) (Blom), r the
    /// 1-based rank with ties averaged; false when all values are equal (no ESS then).
    /// </summary>
    private static bool RankNormalize(double[] values, int[] order, double[] keys)
    {
        int count = values.Length;
        for (int i = 0; i < count; i++) order[i] = i;
        values.CopyTo(keys, 0);
        Array.Sort(keys, order);
        if (keys[0] == keys[count - 1]) return false;
        for (int start = 0; start < count;)
        {
            int end = start + 1;
            while (end < count && keys[end] == keys[start]) end++;
            double rank = (start + 1 + end) / 2.0;   // mean of the 1-based ranks start + 1 .. end
            double z = Networks.Numerics.NormalQuantile.Of((rank - 0.375) / (count + 0.25));
            for (int k = start; k < end; k++) values[order[k]] = z;
            start = end;
        }
        return true;
    }

    /// <summary>
    /// ESS of <paramref name="m"/> sequences of <paramref name="n"/> values, row h at values[h * n ..]: posterior's
    /// ess_rfun with the autocovariances computed lag by lag only as far as Geyer's truncation reaches.
    /// </summary>
    private static double GeyerEss(double[] values, int m, int n, double[] means, double[] rho)
    {
        double grand = 0;
        for (int h = 0; h < m; h++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += values[h * n + i];
            means[h] = sum / n;
            grand += means[h] / m;
        }
        double acov0 = MeanAutocovariance(values, m, n, means, 0);
        double meanVar = acov0 * n / (n - 1.0);
        double varPlus = meanVar * (n - 1.0) / n;
        if (m > 1)
        {
            double between = 0;
            for (int h = 0; h < m; h++) between += (means[h] - grand) * (means[h] - grand);
            varPlus += between / (m - 1);
        }
        if (!(varPlus > 0)) return double.NaN;
        Array.Clear(rho);
        // rho_t = 1 - (W - acov_t) / var_plus, pairs (even, odd) summed until the first negative pair sum.
        int t = 0;
        double even = 1, odd = 1 - (meanVar - MeanAutocovariance(values, m, n, means, 1)) / varPlus;
        rho[0] = even;
        rho[1] = odd;
        while (t < n - 5 && !double.IsNaN(even + odd) && even + odd > 0)
        {
            t += 2;
            even = 1 - (meanVar - MeanAutocovariance(values, m, n, means, t)) / varPlus;
            odd = 1 - (meanVar - MeanAutocovariance(values, m, n, means, t + 1)) / varPlus;
            if (even + odd >= 0)
            {
                rho[t] = even;
                rho[t + 1] = odd;
            }
        }
        int maxT = t;
        // The last positive even lag enters the improved estimate (Vehtari et al. 2021, eq. 13).
        if (even > 0) rho[maxT] = even;
        // Geyer's initial monotone sequence: pair sums never increase.
        for (t = 2; t <= maxT - 2; t += 2)
        {
            if (rho[t] + rho[t + 1] > rho[t - 2] + rho[t - 1])
            {
                rho[t] = (rho[t - 2] + rho[t - 1]) / 2;
                rho[t + 1] = rho[t];
            }
        }
        double count = (double)m * n;
        double tau = -1 + rho[maxT];
        for (int k = 0; k < maxT; k++) tau += 2 * rho[k];
        tau = Math.Max(tau, 1 / Math.Log10(count));
        return count / tau;
    }

    /// <summary>Mean over the sequences of the biased (1 / n) autocovariance at <paramref name="lag"/>.</summary>
    private static double MeanAutocovariance(double[] values, int m, int n, double[] means, int lag)
    {
        if (lag >= n) return 0;
        double total = 0;
        for (int h = 0; h < m; h++)
        {
            int o = h * n;
            double mean = means[h], sum = 0;
            for (int i = 0; i + lag < n; i++) sum += (values[o + i] - mean) * (values[o + i + lag] - mean);
            total += sum / n;
        }
        return total / m;
    }
}
