using Amortized.Inference.Diagnostics;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Inference.Tests.Misspecification;

/// <summary>The squared MMD against a direct double-loop oracle, and its basic properties and input checks.</summary>
public sealed class MmdTests
{
    private const double Tolerance = 1e-12;   // relative; float inputs, double kernel and sums

    /// <summary>The oracle: every pair, every scale, in double, straight from the definition.</summary>
    private static double Oracle(float[] x, int nx, float[] y, int ny, int dim)
    {
        double K(float[] a, int i, float[] b, int j)
        {
            double d2 = 0;
            for (int f = 0; f < dim; f++)
            {
                double d = (double)a[i * dim + f] - b[j * dim + f];
                d2 += d * d;
            }
            double k = 0;
            for (int s = 0; s < 11; s++)
            {
                double scale = Math.Pow(10, -6 + 1.2 * s);
                k += scale / (scale + d2);
            }
            return k;
        }
        double xx = 0, yy = 0, xy = 0;
        for (int i = 0; i < nx; i++) for (int j = 0; j < nx; j++) xx += K(x, i, x, j);
        for (int i = 0; i < ny; i++) for (int j = 0; j < ny; j++) yy += K(y, i, y, j);
        for (int i = 0; i < nx; i++) for (int j = 0; j < ny; j++) xy += K(x, i, y, j);
        return xx / nx / nx + yy / ny / ny - 2 * xy / nx / ny;
    }

    private static float[] Normal(int count, ulong seed, float mean = 0f)
    {
        var values = new float[count];
        new Rng(seed).FillNormal(values, mean);
        return values;
    }

    [Fact]
    public void Squared_OnePointEach_IsTwiceKernelAtZeroMinusTwiceKernel()
    {
        // x = {0}, y = {1} in one dimension: MMD^2 = k(0,0) + k(1,1) - 2 k(0,1) = 2 * 11 - 2 * sum_s s / (s + 1).
        double k01 = 0;
        foreach (double s in new[] { 1e-6, 1.5849e-5, 2.5119e-4, 3.9811e-3, 6.3096e-2, 1, 15.849, 251.19, 3981.1, 63096, 1e6 })
            k01 += s / (s + 1);
        double mmd = Mmd.Squared([0f], 1, [1f], 1, 1);
        Assert.Equal(22 - 2 * k01, mmd, 4);   // BayesFlow's rounded scales: agreement to their 5 digits
        Assert.Equal(Oracle([0f], 1, [1f], 1, 1), mmd, Tolerance);
    }

    [Theory]
    [InlineData(3, 4, 2)]
    [InlineData(1, 11, 3)]    // Ny = 11 crosses every vector width (2, 4, 8 doubles) with a scalar tail
    [InlineData(17, 9, 1)]
    [InlineData(5, 5, 64)]
    public void Squared_SmallInputs_MatchesDoubleLoopOracle(int nx, int ny, int dim)
    {
        var x = Normal(nx * dim, 1);
        var y = Normal(ny * dim, 2, mean: 0.5f);
        double expected = Oracle(x, nx, y, ny, dim);
        double actual = Mmd.Squared(x, nx, y, ny, dim);
        Assert.True(Math.Abs(actual - expected) <= Tolerance * Math.Max(1, Math.Abs(expected)),
            $"({nx}, {ny}, {dim}): MMD^2 {actual:R}, oracle {expected:R}");
    }

    [Fact]
    public void Squared_TinyHandValues_MatchesOracle()
    {
        float[] x = [0f, 0f, 1f, 0f, 0f, 2f];      // (3, 2)
        float[] y = [0f, 1e-3f, 10f, -10f];        // (2, 2): one point near x_0 (only tiny scales see it), one far away
        Assert.Equal(Oracle(x, 3, y, 2, 2), Mmd.Squared(x, 3, y, 2, 2), Tolerance);
    }

    [Fact]
    public void Squared_IdenticalSets_IsExactlyZero()
    {
        var x = Normal(40 * 3, 3);
        Assert.Equal(0.0, Mmd.Squared(x, 40, x, 40, 3));
        Assert.Equal(0.0, Mmd.Squared(x, 40, (float[])x.Clone(), 40, 3));
    }

    [Fact]
    public void Squared_SwappedArguments_IsSymmetric()
    {
        var x = Normal(13 * 4, 4);
        var y = Normal(29 * 4, 5, mean: 0.3f);
        double a = Mmd.Squared(x, 13, y, 29, 4), b = Mmd.Squared(y, 29, x, 13, 4);
        Assert.True(Math.Abs(a - b) <= Tolerance * Math.Abs(a), $"MMD^2(x, y) = {a:R}, MMD^2(y, x) = {b:R}");
        Assert.True(a > 0);
    }

    [Fact]
    public void Squared_SameDistribution_IsSmallAndShiftedIsLarger()
    {
        var x = Normal(300 * 2, 6);
        var y = Normal(300 * 2, 7);
        var shifted = Normal(300 * 2, 8, mean: 1f);
        double same = Mmd.Squared(x, 300, y, 300, 2), different = Mmd.Squared(x, 300, shifted, 300, 2);
        // The biased estimator's null bias is about (1/300 + 1/300)(k(0) - E k(a, b)) = 0.0067 * (11 - 5.2) = 0.04.
        Assert.True(same < 0.06 && different > 4 * same, $"same distribution {same:G4}, mean shifted by 1 {different:G4}");
    }

    [Fact]
    public void Squared_LengthNotRowsTimesDim_ThrowsNamingArgumentExpectedAndActual()
    {
        var ex = Assert.Throws<ArgumentException>(() => Mmd.Squared(new float[7], 3, new float[6], 3, 2));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("7", ex.Message);
        Assert.Contains("3 * 2 = 6", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Mmd.Squared(new float[6], 3, new float[9], 3, 2));
        Assert.Equal("y", ex.ParamName);
        Assert.Contains("9", ex.Message);
    }

    [Fact]
    public void Squared_NonFiniteValue_ThrowsNamingRowAndFeature()
    {
        var y = new float[6];
        y[3] = float.NaN;
        var ex = Assert.Throws<ArgumentException>(() => Mmd.Squared(new float[4], 2, y, 3, 2));
        Assert.Equal("y", ex.ParamName);
        Assert.Contains("NaN at row 1, feature 1", ex.Message);
        var x = new float[4];
        x[0] = float.PositiveInfinity;
        ex = Assert.Throws<ArgumentException>(() => Mmd.Squared(x, 2, new float[6], 3, 2));
        Assert.Equal("x", ex.ParamName);
        Assert.Contains("row 0, feature 0", ex.Message);
    }

    [Fact]
    public void Squared_EmptySetOrZeroDim_ThrowsOutOfRange()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Mmd.Squared([], 0, new float[2], 1, 2));
        Assert.Equal("nx", ex.ParamName);
        Assert.Contains("nx is 0", ex.Message);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => Mmd.Squared(new float[2], 1, [], 0, 2));
        Assert.Equal("ny", ex.ParamName);
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => Mmd.Squared([], 1, [], 1, 0));
        Assert.Equal("dim", ex.ParamName);
    }
}
