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
}
