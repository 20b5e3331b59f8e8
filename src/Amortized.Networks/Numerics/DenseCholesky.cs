namespace Amortized.Networks.Numerics;

/// <summary>
/// Cholesky factorisation A = L L' of a small dense symmetric positive definite matrix in double precision, and
/// solves with its factor. Matrices are row-major n x n arrays.
/// </summary>
public static class DenseCholesky
{
    /// <summary>The lower-triangular factor L of <paramref name="a"/> (only the lower triangle of a is read).</summary>
    /// <exception cref="InvalidOperationException">A pivot is not positive: the matrix is not positive
    /// definite.</exception>
    public static double[] Factor(ReadOnlySpan<double> a, int n)
    {
        if (n < 0 || a.Length < n * n)
            throw new ArgumentException(
                $"DenseCholesky: expected a {n} x {n} matrix ({n * n} values); got {a.Length}.", nameof(a));
        var l = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
                if (i == j)
                {
                    if (!(s > 0)) throw new InvalidOperationException(
                        $"Cholesky: matrix is not positive definite (pivot {i} is {s}).");
                    l[i * n + i] = Math.Sqrt(s);
                }
                else
                {
                    l[i * n + j] = s / l[j * n + j];
                }
            }
        }
        return l;
    }

    /// <summary>
    /// Solves (L L') X = B in place for the factor <paramref name="l"/> (n x n) and B (n x m, row-major), column by
    /// column: forward substitution with L, then back substitution with L'.
    /// </summary>
    public static void SolveInPlace(ReadOnlySpan<double> l, int n, Span<double> b, int m)
    {
        if (l.Length < n * n || b.Length < n * m)
            throw new ArgumentException($"DenseCholesky: expected a {n} x {n} factor and a {n} x {m} right-hand " +
                $"side; got {l.Length} and {b.Length} values.");
        for (int col = 0; col < m; col++)
        {
            for (int i = 0; i < n; i++)
            {
                double sum = b[i * m + col];
                for (int p = 0; p < i; p++) sum -= l[i * n + p] * b[p * m + col];
                b[i * m + col] = sum / l[i * n + i];
            }
            for (int i = n - 1; i >= 0; i--)
            {
                double sum = b[i * m + col];
                for (int p = i + 1; p < n; p++) sum -= l[p * n + i] * b[p * m + col];
                b[i * m + col] = sum / l[i * n + i];
            }
        }
    }
}
