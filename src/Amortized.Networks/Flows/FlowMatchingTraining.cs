using Amortized.Networks.Numerics;
using Amortized.Tensors;

namespace Amortized.Networks.Flows;

/// <summary>
/// The training-side pieces of <see cref="FlowMatching"/> that its options switch on: the training-time
/// distributions, the Fourier time embedding and minibatch optimal-transport pairing. All work on host copies
/// of small per-batch tensors (t is (B, 1); the pairing costs O(B^2 D + B^3)) and return tensors on the ambient
/// device; none records on the tape (t and the noise are data, not parameters).
/// </summary>
public static class FlowMatchingTraining
{
    /// <summary>
    /// Training times t (B, 1) in [0, 1] drawn from <see cref="FlowMatchingOptions.TimeDistribution"/>. Uniform
    /// draws exactly what earlier versions drew (one uniform per row), so default training is unchanged.
    /// </summary>
    public static Tensor SampleTimes(int rows, FlowMatchingOptions options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rng);
        var shape = new Shape(rows, 1);
        switch (options.TimeDistribution)
        {
            case FlowMatchingTimeDistribution.Uniform:
                return Tensor.RandomUniform(shape, rng);
            case FlowMatchingTimeDistribution.PowerLaw:
            {
                // Inverse CDF of the density (1 + alpha) t^alpha on [0, 1].
                var u = Tensor.RandomUniform(shape, rng).ToArray();
                double exponent = 1.0 / (1.0 + options.TimePowerLawAlpha);
                for (int i = 0; i < u.Length; i++) u[i] = (float)Math.Pow(u[i], exponent);
                return Tensor.FromArray(u, shape);
            }
            case FlowMatchingTimeDistribution.LogitNormal:
            {
                var n = Tensor.RandomNormal(shape, rng).ToArray();
                for (int i = 0; i < n.Length; i++)
                {
                    double logit = options.LogitNormalMean + (options.LogitNormalStd ?? 1.0) * n[i];
                    n[i] = (float)(1.0 / (1.0 + Math.Exp(-logit)));
                }
                return Tensor.FromArray(n, shape);
            }
            default:
                throw new ArgumentException($"FlowMatchingOptions.TimeDistribution is {options.TimeDistribution}; " +
                    $"expected one of {string.Join(", ", Enum.GetNames<FlowMatchingTimeDistribution>())}.");
        }
    }

    /// <summary>
    /// The Fourier time embedding of t (B, 1): (B, 1 + 2K) with columns [t, sin(w_0 t), cos(w_0 t), ...,
    /// sin(w_{K-1} t), cos(w_{K-1} t)], w_k = pi 2^k. Octave-spaced frequencies let the vector field change fast
    /// in t where the probability path does (near the data for sharp posteriors) without the MLP having to build
    /// high frequencies from one scalar input. Computed in double so the high octaves keep their phase.
    /// </summary>
    public static Tensor Embed(Tensor t, int frequencies)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.Shape.Rank != 2 || t.Shape[1] != 1)
            throw new ArgumentException($"FlowMatchingTraining.Embed: t must be (B, 1); got {t.Shape}.", nameof(t));
        if (frequencies is < 0 or > FlowMatchingOptions.MaxTimeEmbeddingFrequencies)
            throw new ArgumentOutOfRangeException(nameof(frequencies), frequencies,
                $"expected 0 to {FlowMatchingOptions.MaxTimeEmbeddingFrequencies}.");
        int b = t.Shape[0], width = 1 + 2 * frequencies;
        var times = t.ToArray();
        var features = new float[b * width];
        for (int r = 0; r < b; r++)
        {
            double time = times[r];
            int row = r * width;
            features[row] = (float)time;
            for (int k = 0; k < frequencies; k++)
            {
                double angle = Math.PI * Math.ScaleB(1.0, k) * time;
                features[row + 1 + 2 * k] = (float)Math.Sin(angle);
                features[row + 2 + 2 * k] = (float)Math.Cos(angle);
            }
        }
        return Tensor.FromArray(features, new Shape(b, width));
    }

    /// <summary>
    /// The rows of <paramref name="noise"/> (B, D) reordered so that row j is the draw the exact assignment pairs
    /// with batch row j, minimising sum_j |noise'_j - target_j|^2 + w |c_i(j) - c_j|^2 over all permutations
    /// (discrete optimal transport between the two empirical measures), where noise row i starts at batch row i
    /// and c (B, C) are the <paramref name="conditions"/>. Permuting the noise rather than the targets keeps each
    /// target with its conditions, so the regression target is unchanged. With w = 0 (plain OT) the noise a
    /// target receives depends on the target alone, so across a batch of different conditions the network can
    /// read the target off the noise and learn to ignore the conditions: the posterior collapses towards the
    /// marginal. The condition term (w &gt; 0) keeps noise within rows of similar conditions (conditional OT, as
    /// in BayesFlow's <c>condition_ratio</c>); larger w is closer to independent pairing. Deterministic.
    /// </summary>
    public static Tensor PairByOptimalTransport(Tensor noise, Tensor targets, Tensor? conditions = null,
        double conditionWeight = 0)
    {
        var (z, cost) = PairingCost(noise, targets, conditions, conditionWeight);
        int b = noise.Shape[0], d = noise.Shape[1];
        // assignment[i]: the batch row that noise row i goes to.
        var assignment = LinearAssignment.Solve(cost, b);
        var paired = new float[z.Length];
        for (int i = 0; i < b; i++) Array.Copy(z, i * d, paired, assignment[i] * d, d);
        return Tensor.FromArray(paired, noise.Shape);
    }

    /// <summary>
    /// Entropic minibatch OT (BayesFlow's default <c>log_sinkhorn</c>): the Sinkhorn plan P (B x B, uniform
    /// marginals) for the cost of <see cref="PairByOptimalTransport"/> with regularization
    /// <paramref name="regularization"/> times the mean cost, and each batch row j draws its noise row from column
    /// j of P (with replacement, from <paramref name="rng"/>). Small regularization approaches the exact
    /// assignment, large regularization independent pairing. Returns the noise for each batch row (B, D).
    /// </summary>
    public static Tensor PairBySinkhorn(Tensor noise, Tensor targets, Tensor? conditions, double conditionWeight,
        double regularization, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (!(regularization > 0) || !double.IsFinite(regularization))
            throw new ArgumentOutOfRangeException(nameof(regularization), regularization,
                "expected a finite value above 0.");
        var (z, cost) = PairingCost(noise, targets, conditions, conditionWeight);
        int b = noise.Shape[0], d = noise.Shape[1];
        var logPlan = SinkhornLogPlan(cost, b, regularization);
        var paired = new float[z.Length];
        var column = new double[b];
        for (int j = 0; j < b; j++)
        {
            // Column j of P sums to 1/B; draw i with probability B P[i, j] by inverting its running sum.
            double total = 0;
            for (int i = 0; i < b; i++) total += column[i] = Math.Exp(logPlan[i * b + j]);
            double u = rng.NextDouble() * total, running = 0;
            int pick = b - 1;
            for (int i = 0; i < b; i++)
            {
                running += column[i];
                if (u < running) { pick = i; break; }
            }
            Array.Copy(z, pick * d, paired, j * d, d);
        }
        return Tensor.FromArray(paired, noise.Shape);
    }

    /// <summary>
    /// log P of the entropic OT plan between two uniform measures on n points with cost C (n x n): log-domain
    /// Sinkhorn iterations on the dual potentials with eps = <paramref name="regularization"/> x mean(C), at most
    /// 100 sweeps (BayesFlow's max_steps), stopping once every row sum is within a relative 1e-4 of 1/n (its
    /// rtol; the columns are exact after each sweep).
    /// </summary>
    internal static double[] SinkhornLogPlan(ReadOnlySpan<double> cost, int n, double regularization)
    {
        double mean = 0;
        for (int i = 0; i < cost.Length; i++) mean += cost[i];
        mean = cost.Length == 0 ? 1 : mean / cost.Length;
        double eps = regularization * (mean > 0 ? mean : 1), logMarginal = -Math.Log(n);
        var f = new double[n];
        var g = new double[n];
        var terms = new double[n];
        for (int sweep = 0; sweep < 100; sweep++)
        {
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++) terms[j] = (g[j] - cost[i * n + j]) / eps;
                f[i] = eps * (logMarginal - LogSumExp(terms));
            }
            for (int j = 0; j < n; j++)
            {
                for (int i = 0; i < n; i++) terms[i] = (f[i] - cost[i * n + j]) / eps;
                g[j] = eps * (logMarginal - LogSumExp(terms));
            }
            double worst = 0;
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++) terms[j] = (f[i] + g[j] - cost[i * n + j]) / eps;
                worst = Math.Max(worst, Math.Abs(Math.Exp(LogSumExp(terms)) * n - 1));
            }
            if (worst < 1e-4) break;
        }
        var logPlan = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) logPlan[i * n + j] = (f[i] + g[j] - cost[i * n + j]) / eps;
        return logPlan;
    }

    private static double LogSumExp(ReadOnlySpan<double> values)
    {
        double max = double.NegativeInfinity;
        foreach (double v in values) max = Math.Max(max, v);
        if (double.IsNegativeInfinity(max)) return max;
        double sum = 0;
        foreach (double v in values) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }

    /// <summary>The host noise and the B x B pairing cost |z_i - x_j|^2 + w |c_i - c_j|^2, checking the shapes.
    /// </summary>
    private static (float[] Noise, double[] Cost) PairingCost(Tensor noise, Tensor targets, Tensor? conditions,
        double conditionWeight)
    {
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentNullException.ThrowIfNull(targets);
        if (noise.Shape.Rank != 2 || noise.Shape != targets.Shape)
            throw new ArgumentException($"Flow-matching OT pairing: noise and targets must both be (B, D); got " +
                $"{noise.Shape} and {targets.Shape}.");
        int b = noise.Shape[0], d = noise.Shape[1];
        var z = noise.ToArray();
        var cost = SquaredDistances(z, targets.ToArray(), b, d);
        if (conditions is not null && conditionWeight > 0 && conditions.Size > 0)
        {
            if (conditions.Shape.Rank != 2 || conditions.Shape[0] != b)
                throw new ArgumentException($"Flow-matching OT pairing: conditions must be ({b}, C); got " +
                    $"{conditions.Shape}.", nameof(conditions));
            var c = conditions.ToArray();
            var conditionCost = SquaredDistances(c, c, b, conditions.Shape[1]);
            for (int i = 0; i < cost.Length; i++) cost[i] += conditionWeight * conditionCost[i];
        }
        return (z, cost);
    }

    /// <summary>The B x B matrix of |a_i - b_j|^2 for row-major a, b (B, D), in double.</summary>
    internal static double[] SquaredDistances(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int rows, int dim)
    {
        var cost = new double[rows * rows];
        for (int i = 0; i < rows; i++)
        {
            var ai = a.Slice(i * dim, dim);
            for (int j = 0; j < rows; j++)
            {
                var bj = b.Slice(j * dim, dim);
                double s = 0;
                for (int k = 0; k < dim; k++)
                {
                    double diff = ai[k] - bj[k];
                    s += diff * diff;
                }
                cost[i * rows + j] = s;
            }
        }
        return cost;
    }
}
