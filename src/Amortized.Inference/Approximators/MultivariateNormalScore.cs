using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Inference.Approximators;

/// <summary>
/// Negative log density of N(theta; mu, Sigma) with a Cholesky link: elicits the posterior mean and covariance.
/// Head (B, D + D (D + 1) / 2) = [mu (D), raw diagonal (D), strictly lower entries (D (D - 1) / 2, row-major)];
/// estimate mu (B, D); <see cref="Covariance"/> gives Sigma (B, D, D).
/// </summary>
/// <remarks>
/// The lower-triangular factor P is that of the precision, Sigma^-1 = P P^T (BayesFlow's
/// <c>MultivariateNormalScore</c> also scores through the precision factor), with diagonal softplus(raw) + 1e-5 > 0.
/// Then -log N = 1/2 |P^T (theta - mu)|^2 - sum_i log P_ii + D/2 log 2 pi: no triangular solve in the loss, the
/// log-determinant comes from the diagonal, and Sigma is positive definite by construction.
/// </remarks>
public sealed class MultivariateNormalScore : ScoringRule
{
    private const float DiagonalFloor = 1e-5f;
    private static readonly float s_halfLog2Pi = 0.5f * MathF.Log(2f * MathF.PI);

    /// <summary>Creates the rule; its estimates are named <paramref name="name"/>.</summary>
    public MultivariateNormalScore(string name = "mvn") : base(name)
    {
    }

    /// <inheritdoc />
    public override int HeadDim(int dimension) => dimension + dimension * (dimension + 1) / 2;

    /// <inheritdoc />
    public override Tensor Score(Tensor head, Tensor target)
    {
        CheckShapes(head, target);
        int b = target.Shape[0], d = target.Shape[1];
        var (mu, diagonal, factor) = Split(head, d);
        var r = target - mu;                                            // (B, D)
        // z_j = (P^T r)_j = sum_i P_ij r_i: broadcast r down the columns of P, then reduce over i.
        var z = (factor * r.Reshape(b, d, 1)).Sum(1);                   // (B, D)
        return 0.5f * z.Square().Sum(1) - diagonal.Log().Sum(1) + d * s_halfLog2Pi;
    }

    /// <inheritdoc />
    public override Tensor Estimate(Tensor head, int dimension)
    {
        CheckHead(head, dimension);
        return head.Slice(1, 0, dimension);
    }

    /// <summary>
    /// Sigma = (P P^T)^-1 per row, (B, D, D) row-major, from raw head outputs (B, H); computed in double.
    /// </summary>
    public float[] Covariance(Tensor head, int dimension)
    {
        CheckHead(head, dimension);
        int b = head.Shape[0], d = dimension;
        float[] factor;
        using (Tape.NoGrad()) factor = Split(head, d).Factor.ToArray();
        var result = new float[b * d * d];
        var w = new double[d * d];
        for (int row = 0; row < b; row++)
        {
            // W = P^-1 by forward substitution (lower triangular), then Sigma = P^-T P^-1 = W^T W.
            var p = factor.AsSpan(row * d * d, d * d);
            Array.Clear(w);
            for (int c = 0; c < d; c++)
            {
                w[c * d + c] = 1.0 / p[c * d + c];
                for (int i = c + 1; i < d; i++)
                {
                    double s = 0;
                    for (int k = c; k < i; k++) s += p[i * d + k] * w[k * d + c];
                    w[i * d + c] = -s / p[i * d + i];
                }
            }
            var sigma = result.AsSpan(row * d * d, d * d);
            for (int i = 0; i < d; i++)
            {
                for (int j = 0; j < d; j++)
                {
                    double s = 0;
                    for (int k = Math.Max(i, j); k < d; k++) s += w[k * d + i] * w[k * d + j];
                    sigma[i * d + j] = (float)s;
                }
            }
        }
        return result;
    }

    /// <summary>mu (B, D), positive diagonal (B, D) and the precision factor P (B, D, D).</summary>
    private static (Tensor Mu, Tensor Diagonal, Tensor Factor) Split(Tensor head, int d)
    {
        int b = head.Shape[0], offDiagonal = d * (d - 1) / 2;
        var mu = head.Slice(1, 0, d);
        var diagonal = head.Slice(1, d, d).Softplus() + DiagonalFloor;
        // Scatter [diagonal, lower entries, 0] into the D x D matrix with one gather: entry (i, j) reads column
        // i (diagonal), d + i (i - 1) / 2 + j (below it) or the trailing zero (above it).
        var parts = offDiagonal > 0
            ? new[] { diagonal, head.Slice(1, 2 * d, offDiagonal), Tensor.Zeros(b, 1) }
            : new[] { diagonal, Tensor.Zeros(b, 1) };
        var packed = Tensor.Concat(parts, 1);
        var factor = packed.IndexSelect(1, ScatterIndices(d)).Reshape(b, d, d);
        return (mu, diagonal, factor);
    }

    private static int[] ScatterIndices(int d)
    {
        int zero = d + d * (d - 1) / 2;
        var indices = new int[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++)
                indices[i * d + j] = i == j ? i : i > j ? d + i * (i - 1) / 2 + j : zero;
        return indices;
    }
}
