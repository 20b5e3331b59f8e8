namespace Amortized.Inference.Distributions;

/// <summary>Cholesky factorization of small dense symmetric matrices (row-major, D x D), for MVN and LKJ.</summary>
internal static class Cholesky
{
    /// <summary>
    /// Writes the lower factor L (D x D, zeros above the diagonal) with A = L L^T, reading only A's lower
    /// triangle. False when A is not (numerically) positive definite: a pivot is not &gt; 0 or not finite.
    /// </summary>
    public static bool TryDecompose(ReadOnlySpan<double> a, int d, Span<double> l)
    {
        l[..(d * d)].Clear();
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double sum = a[i * d + j];
                for (int k = 0; k < j; k++) sum -= l[i * d + k] * l[j * d + k];
                if (i == j)
                {
                    if (!(sum > 0) || !double.IsFinite(sum)) return false;
                    l[i * d + i] = Math.Sqrt(sum);
                }
                else
                {
                    l[i * d + j] = sum / l[j * d + j];
                }
            }
        }
        return true;
    }

    /// <summary>sum_i log L_ii = (1/2) log det A.</summary>
    public static double HalfLogDet(ReadOnlySpan<double> l, int d)
    {
        double s = 0;
        for (int i = 0; i < d; i++) s += Math.Log(l[i * d + i]);
        return s;
    }
}
