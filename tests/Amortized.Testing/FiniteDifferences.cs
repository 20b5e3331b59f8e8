namespace Amortized.Testing;

/// <summary>
/// Central-difference Jacobians (for flows: log|det J| of a bijection against its claimed log-determinant)
/// and the log-determinant of a small dense matrix, all in double.
/// </summary>
public static class FiniteDifferences
{
    /// <summary>Relative step for functions that run in float32 (see <see cref="GradCheck"/> for why 1e-2).</summary>
    public const double Float32Step = 1e-2;

    /// <summary>Relative step for functions that run in double: about the cube root of double epsilon.</summary>
    public const double DoubleStep = 1e-5;

    /// <summary>
    /// J[i, j] = d f_i / d x_j by central differences of a float32 function: x_j is moved by
    /// +-step * max(1, |x_j|), and the difference is divided by the float32 step actually taken.
    /// </summary>
    public static double[,] NumericalJacobian(Func<float[], float[]> f, float[] x, double step = Float32Step)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        var point = (float[])x.Clone();
        int m = f(point).Length;
        var jacobian = new double[m, x.Length];
        for (int j = 0; j < x.Length; j++)
        {
            double h = step * Math.Max(1.0, Math.Abs(x[j]));
            float plus = (float)(x[j] + h), minus = (float)(x[j] - h);
            point[j] = plus;
            float[] yPlus = f(point);
            point[j] = minus;
            float[] yMinus = f(point);
            point[j] = x[j];
            CheckLength(yPlus.Length, m);
            CheckLength(yMinus.Length, m);
            double dx = (double)plus - minus;
            for (int i = 0; i < m; i++) jacobian[i, j] = ((double)yPlus[i] - yMinus[i]) / dx;
        }
        return jacobian;
    }

    /// <summary>J[i, j] = d f_i / d x_j by central differences of a double function.</summary>
    public static double[,] NumericalJacobian(Func<double[], double[]> f, double[] x, double step = DoubleStep)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        var point = (double[])x.Clone();
        int m = f(point).Length;
        var jacobian = new double[m, x.Length];
        for (int j = 0; j < x.Length; j++)
        {
            double h = step * Math.Max(1.0, Math.Abs(x[j]));
            point[j] = x[j] + h;
            double[] yPlus = f(point);
            point[j] = x[j] - h;
            double[] yMinus = f(point);
            point[j] = x[j];
            CheckLength(yPlus.Length, m);
            CheckLength(yMinus.Length, m);
            for (int i = 0; i < m; i++) jacobian[i, j] = (yPlus[i] - yMinus[i]) / (2 * h);
        }
        return jacobian;
    }

    /// <summary>log |det A| of a square matrix by LU decomposition with partial pivoting (-inf when singular).</summary>
    public static double LogAbsDeterminant(double[,] a)
    {
        ArgumentNullException.ThrowIfNull(a);
        int n = a.GetLength(0);
        if (a.GetLength(1) != n)
            throw new ArgumentException($"LogAbsDeterminant: matrix is {n} x {a.GetLength(1)}; it must be square.", nameof(a));
        var lu = (double[,])a.Clone();
        double logDet = 0;
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < n; r++)
                if (Math.Abs(lu[r, col]) > Math.Abs(lu[pivot, col])) pivot = r;
            if (lu[pivot, col] == 0) return double.NegativeInfinity;
            if (pivot != col)
                for (int c = 0; c < n; c++) (lu[col, c], lu[pivot, c]) = (lu[pivot, c], lu[col, c]);
            logDet += Math.Log(Math.Abs(lu[col, col]));
            for (int r = col + 1; r < n; r++)
            {
                double factor = lu[r, col] / lu[col, col];
                for (int c = col; c < n; c++) lu[r, c] -= factor * lu[col, c];
            }
        }
        return logDet;
    }

    private static void CheckLength(int actual, int expected)
    {
        if (actual != expected)
            throw new InvalidOperationException($"NumericalJacobian: f returned {actual} values after returning {expected}.");
    }
}
