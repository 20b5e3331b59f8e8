using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>
/// MultivariateNormal(mean, covariance) over D values: x = mean + L z with L the Cholesky factor of the covariance
/// (D x D) and z standard normal (D).
/// </summary>
public sealed class MultivariateNormal : IMultivariateDistribution
{
    /// <summary>Relative tolerance for the covariance's symmetry:
    /// |C_ij - C_ji| &lt;= tol max(|C_ij|, |C_ji|).</summary>
    public const double SymmetryTolerance = 1e-10;

    private readonly double[] _mean;
    private readonly double[] _covariance;   // D x D row-major
    private readonly double[] _cholesky;     // lower factor L, D x D row-major
    private readonly double _logNormalizer;  // -(D/2) log(2 pi) - sum_i log L_ii

    /// <summary>A multivariate normal with the given mean (D) and covariance (D x D, symmetric positive
    /// definite).</summary>
    public MultivariateNormal(double[] mean, double[,] covariance)
    {
        Check.Vector(mean, nameof(mean), nameof(MultivariateNormal), 1);
        ArgumentNullException.ThrowIfNull(covariance);
        int d = mean.Length;
        for (int i = 0; i < d; i++) Check.Finite(mean[i], $"{nameof(mean)}[{i}]", nameof(MultivariateNormal));
        if (covariance.GetLength(0) != d || covariance.GetLength(1) != d)
            throw new ArgumentException($"MultivariateNormal: covariance must be ({d}, {d}) to match mean ({d}); " +
                $"got ({covariance.GetLength(0)}, {covariance.GetLength(1)}).", nameof(covariance));
        _mean = (double[])mean.Clone();
        _covariance = new double[d * d];
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++)
            {
                double cij = covariance[i, j], cji = covariance[j, i];
                if (Math.Abs(cij - cji) > SymmetryTolerance * Math.Max(Math.Abs(cij), Math.Abs(cji)))
                    throw new ArgumentException($"MultivariateNormal: covariance must be symmetric; covariance[{i}, " +
                        $"{j}] = {cij} but covariance[{j}, {i}] = {cji}.", nameof(covariance));
                _covariance[i * d + j] = cij;
            }
        }
        _cholesky = new double[d * d];
        if (!Cholesky.TryDecompose(_covariance, d, _cholesky))
            throw new ArgumentException("MultivariateNormal: covariance must be positive definite; its Cholesky " +
                "factorization found a pivot <= 0 (a singular or indefinite matrix).", nameof(covariance));
        _logNormalizer = -d * LogMath.LogSqrt2Pi - Cholesky.HalfLogDet(_cholesky, d);
    }

    /// <inheritdoc/>
    public int Dimension => _mean.Length;

    /// <summary>The mean (D).</summary>
    public ReadOnlySpan<double> Mean => _mean;

    /// <summary>The covariance (D x D, row-major).</summary>
    public ReadOnlySpan<double> Covariance => _covariance;

    /// <summary>The lower Cholesky factor L of the covariance (D x D, row-major).</summary>
    public ReadOnlySpan<double> CholeskyFactor => _cholesky;

    /// <inheritdoc/>
    public void Sample(Rng rng, Span<double> destination)
    {
        int d = Dimension;
        RequireLength(destination.Length, nameof(destination));
        Span<double> z = d <= 64 ? stackalloc double[d] : new double[d];
        for (int i = 0; i < d; i++) z[i] = rng.Normal();
        for (int i = 0; i < d; i++)
        {
            double s = _mean[i];
            for (int k = 0; k <= i; k++) s += _cholesky[i * d + k] * z[k];
            destination[i] = s;
        }
    }

    /// <inheritdoc/>
    /// <remarks>-(D/2) log 2 pi - (1/2) log det C - |y|^2 / 2 with L y = x - mean solved by forward
    /// substitution.</remarks>
    public double LogDensity(ReadOnlySpan<double> x)
    {
        int d = Dimension;
        RequireLength(x.Length, nameof(x));
        Span<double> y = d <= 64 ? stackalloc double[d] : new double[d];
        double q = 0;
        for (int i = 0; i < d; i++)
        {
            double s = x[i] - _mean[i];
            for (int k = 0; k < i; k++) s -= _cholesky[i * d + k] * y[k];
            y[i] = s / _cholesky[i * d + i];
            q += y[i] * y[i];
        }
        return _logNormalizer - 0.5 * q;
    }

    private void RequireLength(int length, string name)
    {
        if (length != Dimension)
            throw new ArgumentException($"MultivariateNormal: {name} holds {length} values; expected {Dimension}.",
                name);
    }
}
