using Amortized.Networks.Flows;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Networks.Tests.Flows;

public class BaseDistributionTests
{
    [Fact]
    public void StandardNormal_LogProb_MatchesFormula()
    {
        var z = Tensor.FromArray([0f, 0f, 1f, -2f], 2, 2);
        var logp = new StandardNormal(2).LogProb(z).ToArray();
        Assert.Equal(-Math.Log(2 * Math.PI), logp[0], 1e-5);
        Assert.Equal(-Math.Log(2 * Math.PI) - 2.5, logp[1], 1e-5);
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(3f)]
    [InlineData(30f)]
    public void StudentT1D_LogProb_MatchesClosedForm(float nu)
    {
        // t density: Gamma((nu+1)/2) / (sqrt(nu pi) Gamma(nu/2)) (1 + x^2/nu)^(-(nu+1)/2); at nu = 1 it is Cauchy.
        var dist = new StudentT(1, nu);
        var x = Tensor.FromArray([0f, 0.7f, -3f], 3, 1);
        var logp = dist.LogProb(x).ToArray();
        for (int i = 0; i < 3; i++)
        {
            double v = x.Span[i];
            double expected = SpecialFunctions.LogGamma((nu + 1) / 2.0) - SpecialFunctions.LogGamma(nu / 2.0)
                - 0.5 * Math.Log(nu * Math.PI) - (nu + 1) / 2.0 * Math.Log(1 + v * v / nu);
            Assert.Equal(expected, logp[i], 1e-5);
        }
        if (nu == 1f) Assert.Equal(-Math.Log(Math.PI), logp[0], 1e-5);   // Cauchy at 0: 1/pi
    }

    [Fact]
    public void StudentT2D_DensityIntegratesToOne()
    {
        var dist = new StudentT(2, 5f);
        const int n = 401;
        const float lo = -40f, hi = 40f;
        float step = (hi - lo) / (n - 1);
        var grid = Tensor.Zeros(n * n, 2);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                grid.Span[(i * n + j) * 2] = lo + i * step;
                grid.Span[(i * n + j) * 2 + 1] = lo + j * step;
            }
        var logp = dist.LogProb(grid).ToArray();
        double integral = logp.Sum(v => Math.Exp(v)) * step * step;
        Assert.InRange(integral, 0.995, 1.001);   // the tails beyond 40 hold about 1e-4 of the mass
    }

    [Fact]
    public void StudentT_Samples_HaveVarianceNuOverNuMinus2()
    {
        var draws = new StudentT(3, 6f).Sample(40000, new Rng(4)).ToArray();
        double mean = draws.Average(v => (double)v), variance = draws.Average(v => (double)v * v) - mean * mean;
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(variance, 1.5 * 0.95, 1.5 * 1.05);   // nu / (nu - 2) = 1.5
    }

    [Fact]
    public void LogGamma_MatchesFactorialsAndHalfIntegers()
    {
        Assert.Equal(Math.Log(24), SpecialFunctions.LogGamma(5), 1e-12);
        Assert.Equal(0.5 * Math.Log(Math.PI), SpecialFunctions.LogGamma(0.5), 1e-12);
        Assert.Equal(Math.Log(Math.Sqrt(Math.PI) / 2), SpecialFunctions.LogGamma(1.5), 1e-12);
    }

    [Fact]
    public void SampleGamma_MeanAndVarianceEqualShape()
    {
        var rng = new Rng(9);
        foreach (double shape in new[] { 0.5, 2.5 })
        {
            var x = Enumerable.Range(0, 40000).Select(_ => SpecialFunctions.SampleGamma(shape, rng)).ToArray();
            double mean = x.Average(), variance = x.Average(v => v * v) - mean * mean;
            Assert.InRange(mean, shape * 0.97, shape * 1.03);
            Assert.InRange(variance, shape * 0.93, shape * 1.07);
        }
    }
}
