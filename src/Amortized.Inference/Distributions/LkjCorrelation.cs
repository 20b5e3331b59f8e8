using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>
/// LKJ(eta) over d x d correlation matrices R (unit diagonal, symmetric, positive definite): density
/// c_d(eta) det(R)^(eta - 1). eta = 1 is uniform over correlation matrices; larger eta concentrates near the
/// identity. Each off-diagonal r has marginal density proportional to (1 - r^2)^(eta - 1 + (d - 2)/2). A draw is
/// the matrix, row-major (D = d^2 values).
/// </summary>
/// <remarks>
/// Lewandowski, Kurowicka and Joe 2009, "Generating random correlation matrices based on vines and extended onion
/// method", J. Multivariate Anal. 100(9). Sampling uses the C-vine (section 2.4): the partial correlation of pair
/// (i, j), i &lt; j, given variables 0..i-1 is 2 Beta(b_i, b_i) - 1 with b_i = eta + (d - 2 - i)/2, independently;
/// those map to the Cholesky factor as in Stan's read_corr_L. The normalizing constant is their equation (16).
/// </remarks>
public sealed class LkjCorrelation : IMultivariateDistribution
{
    /// <summary>Tolerance on the unit diagonal and symmetry of a point given to <see cref="LogDensity"/>, loose
    /// enough for a matrix that went through float32 storage.</summary>
    public const double MatrixTolerance = 1e-5;

    private readonly double _logNormalizer;

    /// <summary>An LKJ over <paramref name="size"/> x <paramref name="size"/> correlation matrices (size &gt;= 2)
    /// with shape <paramref name="eta"/> &gt; 0.</summary>
    public LkjCorrelation(int size, double eta)
    {
        if (size < 2)
            throw new ArgumentOutOfRangeException(nameof(size), size,
                $"LkjCorrelation: size must be >= 2; got {size}.");
        Size = size;
        Eta = Check.Positive(eta, nameof(eta), nameof(LkjCorrelation));
        _logNormalizer = LogNormalizer(size, eta);
    }

    /// <summary>d, the matrix size.</summary>
    public int Size { get; }

    /// <summary>The shape eta.</summary>
    public double Eta { get; }

    /// <inheritdoc/>
    public int Dimension => Size * Size;

    /// <inheritdoc/>
    /// <remarks>R = L L^T from <see cref="SampleCholesky"/>.</remarks>
    public void Sample(Rng rng, Span<double> destination)
    {
        int d = Size;
        RequireLength(destination.Length, nameof(destination));
        Span<double> l = d <= 16 ? stackalloc double[d * d] : new double[d * d];
        SampleCholesky(rng, l);
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double s = 0;
                for (int k = 0; k <= j; k++) s += l[i * d + k] * l[j * d + k];
                destination[i * d + j] = s;
                destination[j * d + i] = s;
            }
            destination[i * d + i] = 1;   // exactly: the rows of L have unit norm up to rounding
        }
    }

    /// <summary>
    /// Writes the lower Cholesky factor L (d x d, row-major; rows of unit norm) of a draw R = L L^T.
    /// </summary>
    public void SampleCholesky(Rng rng, Span<double> destination)
    {
        int d = Size;
        RequireLength(destination.Length, nameof(destination));
        destination.Clear();
        // remaining[j]: 1 minus the squared entries already placed in row j of L, i.e. L_jj^2 once row j is done.
        Span<double> remaining = d <= 64 ? stackalloc double[d] : new double[d];
        remaining.Fill(1);
        destination[0] = 1;
        for (int i = 0; i < d - 1; i++)
        {
            double b = Eta + 0.5 * (d - 2 - i);
            destination[i * d + i] = Math.Sqrt(remaining[i]);
            for (int j = i + 1; j < d; j++)
            {
                double partial = 2 * Beta.Draw(b, b, rng) - 1;
                destination[j * d + i] = partial * Math.Sqrt(remaining[j]);
                remaining[j] *= 1 - partial * partial;
            }
        }
        destination[(d - 1) * d + d - 1] = Math.Sqrt(remaining[d - 1]);
    }

    /// <inheritdoc/>
    /// <remarks>Negative infinity unless x is a d x d correlation matrix (unit diagonal and symmetric within
    /// <see cref="MatrixTolerance"/>, positive definite).</remarks>
    public double LogDensity(ReadOnlySpan<double> x)
    {
        int d = Size;
        RequireLength(x.Length, nameof(x));
        for (int i = 0; i < d; i++)
        {
            if (!(Math.Abs(x[i * d + i] - 1) <= MatrixTolerance)) return double.NegativeInfinity;
            for (int j = 0; j < i; j++)
                if (!(Math.Abs(x[i * d + j] - x[j * d + i]) <= MatrixTolerance)) return double.NegativeInfinity;
        }
        Span<double> l = d <= 16 ? stackalloc double[d * d] : new double[d * d];
        if (!Cholesky.TryDecompose(x, d, l)) return double.NegativeInfinity;
        // log det R = 2 sum log L_ii.
        return _logNormalizer + (Eta - 1) * 2 * Cholesky.HalfLogDet(l, d);
    }

    /// <summary>
    /// log c_d(eta) = -[sum_{k=1}^{d-1} (2 eta - 2 + d - k)(d - k) log 2
    /// + sum_{k=1}^{d-1} (d - k) log B(eta + (d - k - 1)/2, eta + (d - k - 1)/2)] (Lewandowski et al. 2009, eq. 16).
    /// </summary>
    internal static double LogNormalizer(int d, double eta)
    {
        double logInverse = 0;
        for (int k = 1; k < d; k++)
        {
            double b = eta + 0.5 * (d - k - 1);
            logInverse += (2 * eta - 2 + d - k) * (d - k) * Math.Log(2) + (d - k) * LogMath.LogBeta(b, b);
        }
        return -logInverse;
    }

    private void RequireLength(int length, string name)
    {
        if (length != Dimension)
            throw new ArgumentException($"LkjCorrelation: {name} holds {length} values; expected {Dimension} " +
                $"({Size} x {Size}).", name);
    }
}
