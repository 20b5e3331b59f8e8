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
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentNullException.ThrowIfNull(targets);
        if (noise.Shape.Rank != 2 || noise.Shape != targets.Shape)
            throw new ArgumentException($"PairByOptimalTransport: noise and targets must both be (B, D); got " +
                $"{noise.Shape} and {targets.Shape}.");
        int b = noise.Shape[0], d = noise.Shape[1];
        var z = noise.ToArray();
        var x = targets.ToArray();
        var cost = SquaredDistances(z, x, b, d);
        if (conditions is not null && conditionWeight > 0 && conditions.Size > 0)
        {
            if (conditions.Shape.Rank != 2 || conditions.Shape[0] != b)
                throw new ArgumentException($"PairByOptimalTransport: conditions must be ({b}, C); got " +
                    $"{conditions.Shape}.", nameof(conditions));
            var c = conditions.ToArray();
            var conditionCost = SquaredDistances(c, c, b, conditions.Shape[1]);
            for (int i = 0; i < cost.Length; i++) cost[i] += conditionWeight * conditionCost[i];
        }
        // assignment[i]: the batch row that noise row i goes to.
        var assignment = LinearAssignment.Solve(cost, b);
        var paired = new float[z.Length];
        for (int i = 0; i < b; i++) Array.Copy(z, i * d, paired, assignment[i] * d, d);
        return Tensor.FromArray(paired, noise.Shape);
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
