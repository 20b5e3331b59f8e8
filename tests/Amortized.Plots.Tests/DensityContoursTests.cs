using Xunit;

namespace Amortized.Plots.Tests;

public sealed class DensityContoursTests
{
    /// <summary>
    /// For a standard bivariate normal the highest-density region holding mass m is the disc of radius
    /// sqrt(-2 ln(1 - m)): 1.177 for 50%, 2.146 for 90%. Contour points from 40,000 draws must lie near them.
    /// </summary>
    [Theory]
    [InlineData(0.5, 1.1774)]
    [InlineData(0.9, 2.1460)]
    public void StandardNormal_ContoursAreTheHighestDensityCircles(double mass, double radius)
    {
        var rng = TestData.NewRandom();
        const int n = 40_000;
        var x = new double[n];
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = TestData.Normal(rng);
            y[i] = TestData.Normal(rng);
        }
        var segments = DensityContours.Segments(x, y, (-4, 4), (-4, 4), [mass]);
        Assert.True(segments.Count > 40, $"only {segments.Count} segments");
        double sum = 0, worst = 0;
        foreach (var (x0, y0, _, _) in segments)
        {
            double r = Math.Sqrt(x0 * x0 + y0 * y0);
            sum += r;
            worst = Math.Max(worst, Math.Abs(r - radius));
        }
        double mean = sum / segments.Count;
        // Binning and smoothing widen the density a little (cells of 0.2, kernel sd about 0.2), so the mean radius
        // is allowed 6% and any one point 20%.
        Assert.True(Math.Abs(mean / radius - 1) < 0.06, $"mean radius {mean:F3}, expected {radius}");
        Assert.True(worst < 0.2 * radius, $"a contour point is {worst:F3} off the circle of radius {radius}");
    }

    [Fact]
    public void TooFewDrawsOrEmptyLimits_GiveNoContours()
    {
        Assert.Empty(DensityContours.Segments([0, 1, 2], [0, 1, 2], (0, 2), (0, 2), [0.5]));
        var many = Enumerable.Range(0, 100).Select(i => (double)i).ToArray();
        Assert.Empty(DensityContours.Segments(many, many, (1, 1), (0, 100), [0.5]));
    }
}
