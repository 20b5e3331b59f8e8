namespace Amortized.Networks.Numerics;

/// <summary>
/// LU factorisation with partial pivoting of a small dense square matrix in double precision, for log |det A| of
/// Jacobians assembled on the host (the free-form flow's exact density). Matrices are row-major n x n arrays.
/// </summary>
public static class DenseLu
{
    /// <summary>
    /// log |det A| of the n x n matrix <paramref name="a"/> (row-major; not modified): the sum of log |u_ii| over
    /// the pivots of P A = L U (Golub and Van Loan, algorithm 3.4.1). Negative infinity when A is singular; the sign
    /// of the determinant is dropped, as a change of variables needs only its magnitude.
    /// </summary>
    /// <exception cref="ArgumentException">a holds fewer than n * n values.</exception>
    public static double LogAbsDeterminant(ReadOnlySpan<double> a, int n)
    {
        if (n < 0 || a.Length < n * n)
            throw new ArgumentException(
                $"DenseLu: expected a {n} x {n} matrix ({n * n} values); got {a.Length}.", nameof(a));
        var lu = a[..(n * n)].ToArray();
        double logDet = 0;
        for (int col = 0; col < n; col++)
        {
            // The largest pivot in the column keeps the multipliers at most 1 in magnitude (bounded growth).
            int pivot = col;
            for (int r = col + 1; r < n; r++)
                if (Math.Abs(lu[r * n + col]) > Math.Abs(lu[pivot * n + col])) pivot = r;
            double p = lu[pivot * n + col];
            if (p == 0 || !double.IsFinite(p)) return p == 0 ? double.NegativeInfinity : double.NaN;
            if (pivot != col)
                for (int c = 0; c < n; c++) (lu[col * n + c], lu[pivot * n + c]) = (lu[pivot * n + c], lu[col * n + c]);
            logDet += Math.Log(Math.Abs(p));
            for (int r = col + 1; r < n; r++)
            {
                double factor = lu[r * n + col] / p;
                if (factor == 0) continue;
                for (int c = col + 1; c < n; c++) lu[r * n + c] -= factor * lu[col * n + c];
            }
        }
        return logDet;
    }
}
