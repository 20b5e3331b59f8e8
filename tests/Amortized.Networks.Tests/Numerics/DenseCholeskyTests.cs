using Amortized.Networks.Numerics;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Networks.Tests.Numerics;

public class DenseCholeskyTests
{
    /// <summary>A random SPD matrix M M' + n I (n x n).</summary>
    private static double[] Spd(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var m = new double[n * n];
        for (int i = 0; i < m.Length; i++) m[i] = rng.Normal();
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = i == j ? n : 0;
                for (int k = 0; k < n; k++) s += m[i * n + k] * m[j * n + k];
                a[i * n + j] = s;
            }
        return a;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(12)]
    public void Factor_ReproducesTheMatrix_AndSolveInvertsIt(int n)
    {
        var a = Spd(n, (ulong)n);
        var l = DenseCholesky.Factor(a, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (j > i) Assert.Equal(0, l[i * n + j]);
                double s = 0;
                for (int k = 0; k < n; k++) s += l[i * n + k] * l[j * n + k];
                Assert.Equal(a[i * n + j], s, 1e-10 * n);
            }
        // A X = B for two right-hand sides: multiply back.
        const int m = 2;
        var b = new double[n * m];
        for (int i = 0; i < b.Length; i++) b[i] = i - 0.5 * n;
        var x = (double[])b.Clone();
        DenseCholesky.SolveInPlace(l, n, x, m);
        for (int i = 0; i < n; i++)
            for (int col = 0; col < m; col++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += a[i * n + k] * x[k * m + col];
                Assert.Equal(b[i * m + col], s, 1e-9 * n);
            }
    }

    [Fact]
    public void NotPositiveDefinite_ThrowsWithThePivot()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => DenseCholesky.Factor([1, 2, 2, 1], 2));
        Assert.Contains("pivot 1", ex.Message);
        Assert.Throws<InvalidOperationException>(() => DenseCholesky.Factor([double.NaN], 1));
        Assert.Throws<ArgumentException>(() => DenseCholesky.Factor([1, 0, 0], 2));
    }
}
