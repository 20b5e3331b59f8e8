using Amortized.Inference.Approximators;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Inference.Tests.Approximators;

/// <summary>Bulk ESS (Vehtari et al. 2021) of step-major draws (S * C, P) against known answers.</summary>
public class EffectiveSampleSizeTests
{
    [Fact]
    public void BulkEss_IidDraws_IsTheDrawCount()
    {
        const int chains = 4, perChain = 1000, p = 2;
        var draws = new float[chains * perChain * p];
        new Rng(5).FillNormal(draws);
        double[] ess = McmcSamples.BulkEffectiveSampleSize(draws, chains, perChain, p);
        foreach (double e in ess) Assert.InRange(e, 0.9 * 4000, 1.1 * 4000);
    }

    [Fact]
    public void BulkEss_Ar1_IsNTimesOneMinusPhiOverOnePlusPhi()
    {
        // x_s = phi x_{s-1} + sqrt(1 - phi^2) e_s, started stationary: integrated autocorrelation time (1 + phi) /
        // (1 - phi) = 19, so ESS = N / 19.
        const int chains = 8, perChain = 10000;
        const double phi = 0.9;
        var draws = new float[chains * perChain];
        var rng = new Rng(6);
        for (int c = 0; c < chains; c++)
        {
            double x = rng.Normal();
            for (int s = 0; s < perChain; s++)
            {
                x = phi * x + Math.Sqrt(1 - phi * phi) * rng.Normal();
                draws[s * chains + c] = (float)x;
            }
        }
        double expected = chains * perChain * (1 - phi) / (1 + phi);
        double ess = McmcSamples.BulkEffectiveSampleSize(draws, chains, perChain, 1)[0];
        Assert.InRange(ess, 0.85 * expected, 1.15 * expected);
    }

    [Fact]
    public void BulkEss_ChainsStuckApart_IsTiny()
    {
        // Four well-mixed chains, each around its own level 0, 5, 10, 15: the pooled draws are not one distribution.
        const int chains = 4, perChain = 1000;
        var draws = new float[chains * perChain];
        var rng = new Rng(7);
        for (int s = 0; s < perChain; s++)
            for (int c = 0; c < chains; c++) draws[s * chains + c] = 5f * c + rng.Normal();
        double ess = McmcSamples.BulkEffectiveSampleSize(draws, chains, perChain, 1)[0];
        Assert.True(ess < 40, $"ESS {ess:F1} of {chains * perChain} draws; expected < 40");
    }

    [Fact]
    public void BulkEss_ConstantOrTooShort_IsNaN_AndWrongLengthNamesShape()
    {
        Assert.True(double.IsNaN(McmcSamples.BulkEffectiveSampleSize(new float[40], 2, 20, 1)[0]));
        Assert.True(double.IsNaN(McmcSamples.BulkEffectiveSampleSize(new float[6], 2, 3, 1)[0]));
        var ex = Assert.Throws<ArgumentException>(() => McmcSamples.BulkEffectiveSampleSize(new float[7], 2, 4, 1));
        Assert.Equal("draws", ex.ParamName);
        Assert.Contains("7 values", ex.Message);
    }
}
