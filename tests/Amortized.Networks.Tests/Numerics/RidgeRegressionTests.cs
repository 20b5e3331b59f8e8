using Amortized.Networks.Numerics;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Networks.Tests.Numerics;

public class RidgeRegressionTests
{
    [Fact]
    public void NoiseFreeLinearData_GiveTheCoefficientsInterceptAndZeroResidual()
    {
        // y0 = 1 + 2 x0 - x1, y1 = -3 + 0.5 x1, with inputs of different scales and means.
        const int rows = 1000;
        var rng = new Rng(3);
        var x = new float[rows * 2];
        var y = new float[rows * 2];
        for (int r = 0; r < rows; r++)
        {
            x[2 * r] = 5 + 10 * rng.Normal();
            x[2 * r + 1] = -2 + 0.1f * rng.Normal();
            y[2 * r] = 1 + 2 * x[2 * r] - x[2 * r + 1];
            y[2 * r + 1] = -3 + 0.5f * x[2 * r + 1];
        }
        var regression = new RidgeRegression(2, 2, "test");
        regression.Add(x, y, rows);
        var (b, m, sd) = regression.Solve();
        // The ridge (1e-4 per row on unit-variance inputs) shrinks each coefficient by about 1e-4 relative.
        Assert.Equal(2, b[0], 2e-3);
        Assert.Equal(-1, b[2], 2e-3);
        Assert.Equal(0, b[1], 2e-3);
        Assert.Equal(0.5, b[3], 2e-3);
        Assert.Equal(1, m[0], 2e-2);
        Assert.Equal(-3, m[1], 2e-3);
        Assert.All(sd, s => Assert.InRange(s, 0, 5e-3));
    }

    [Fact]
    public void NoRows_AndBadRows_AreClearErrors()
    {
        var regression = new RidgeRegression(1, 1, "fit", "c", "theta");
        Assert.Contains("no rows", Assert.Throws<InvalidOperationException>(() => regression.Solve()).Message);
        Assert.Contains("theta[1, 0]", Assert.Throws<ArgumentException>(() => regression.Add([1f, 2f], [0f, float.PositiveInfinity], 2)).Message);
        Assert.Contains("c (2, 1)", Assert.Throws<ArgumentException>(() => regression.Add([1f], [0f, 1f], 2)).Message);
        Assert.Equal(0, regression.Rows);
    }
}
