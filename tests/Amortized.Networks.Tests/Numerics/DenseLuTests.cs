using Amortized.Networks.Numerics;
using Xunit;

namespace Amortized.Networks.Tests.Numerics;

public class DenseLuTests
{
    [Fact]
    public void LogAbsDeterminant_MatchesKnownDeterminants()
    {
        // det [[2, 1], [1, 3]] = 5.
        Assert.Equal(Math.Log(5), DenseLu.LogAbsDeterminant([2, 1, 1, 3], 2), 1e-14);
        // A zero leading entry needs a row swap; det [[0, 2, 1], [1, 1, 0], [3, 0, 1]] = 0 - 2 (1 - 0) + (0 - 3) = -5.
        Assert.Equal(Math.Log(5), DenseLu.LogAbsDeterminant([0, 2, 1, 1, 1, 0, 3, 0, 1], 3), 1e-14);
        // An upper-triangular matrix: the product of its diagonal, sign dropped.
        Assert.Equal(Math.Log(2 * 0.5 * 4), DenseLu.LogAbsDeterminant([-2, 7, 1, 0, 0.5, 9, 0, 0, 4], 3), 1e-14);
        // Vandermonde on (1, 2, 3, 4): prod_{i<j} (x_j - x_i) = 1 * 2 * 3 * 1 * 2 * 1 = 12.
        double[] vandermonde = new double[16];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) vandermonde[i * 4 + j] = Math.Pow(i + 1, j);
        Assert.Equal(Math.Log(12), DenseLu.LogAbsDeterminant(vandermonde, 4), 1e-12);
    }

    [Fact]
    public void LogAbsDeterminant_SingularIsNegativeInfinity_AndShortInputIsRefused()
    {
        Assert.Equal(double.NegativeInfinity, DenseLu.LogAbsDeterminant([1, 2, 2, 4], 2));
        Assert.Throws<ArgumentException>(() => DenseLu.LogAbsDeterminant([1, 2, 3], 2));
    }
}
