using Amortized.Inference.Diagnostics;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Inference.Tests.Diagnostics;

public class SimulationBasedCalibrationTests
{
    [Fact]
    public void Ranks_TinyInput_CountDrawsStrictlyBelowTruth()
    {
        // N = 2, S = 4, D = 2; row-major (N, S, D).
        float[] values =
        [
            1, 10,   2, 20,   3, 30,   4, 40,   // data set 0
            5, 0,    5, 0,    5, 0,    5, 0,    // data set 1: ties are not counted
        ];
        var draws = new PosteriorDraws(values, 2, 4, 2);
        float[] truths = [2.5f, 45f, 5f, -1f];
        Assert.Equal([2, 4, 0, 0], SimulationBasedCalibration.Ranks(draws, truths));
        Assert.Equal([0.5, 1.0, 0.0, 0.0], SimulationBasedCalibration.FractionalRanks(draws, truths));
    }

    [Fact]
    public void Ecdf_TinyInput_HandComputed()
    {
        // D = 2 columns: (0.1, 0.5, 0.9) and (0.2, 0.2, 1.0).
        double[] ranks = [0.1, 0.2, 0.5, 0.2, 0.9, 1.0];
        double[] ecdf = SimulationBasedCalibration.Ecdf(ranks, 2, [0.0, 0.2, 0.5, 1.0]);
        Assert.Equal([0, 1 / 3.0, 2 / 3.0, 1, 0, 2 / 3.0, 2 / 3.0, 1], ecdf);
        double[] deviation = SimulationBasedCalibration.MaxEcdfDeviation(ranks, 2, [0.0, 0.2, 0.5, 1.0]);
        Assert.Equal(2 / 3.0 - 0.5, deviation[0], 12);
        Assert.Equal(2 / 3.0 - 0.2, deviation[1], 12);
    }

    [Fact]
    public void SimultaneousBand_Shape_DifferenceFormAndDeterminism()
    {
        var band = SimulationBasedCalibration.SimultaneousBand(50, seed: 3);
        Assert.Equal(50, band.Points);   // K = min(N, 1000)
        Assert.Equal(50, band.Datasets);
        Assert.Equal(1e-5, band.Z[0], 12);
        Assert.Equal(1 - 1e-5, band.Z[^1], 12);
        for (int k = 0; k < band.Points; k++)
        {
            // Lower and upper quantiles of Binomial(50, z) / 50 straddle z to within one count.
            Assert.True(band.Lower[k] <= band.Z[k] + 1.0 / 50 && band.Z[k] <= band.Upper[k] + 1.0 / 50, $"z {band.Z[k]}: [{band.Lower[k]}, {band.Upper[k]}]");
            Assert.True(band.Lower[k] <= band.Upper[k]);
            Assert.Equal(band.Lower[k] - band.Z[k], band.LowerDifference[k], 15);
            Assert.Equal(band.Upper[k] - band.Z[k], band.UpperDifference[k], 15);
            Assert.Equal(Math.Round(band.Lower[k] * 50), band.Lower[k] * 50, 9);   // bounds are counts / N
        }
        // Simultaneous coverage needs pointwise intervals wider than 95%: the adjusted gamma is well below 0.05.
        Assert.InRange(band.Gamma, 1e-4, 0.03);
        var again = SimulationBasedCalibration.SimultaneousBand(50, seed: 3);
        Assert.Equal(band.Lower, again.Lower);
        Assert.Equal(band.Gamma, again.Gamma);
        Assert.Equal(20, SimulationBasedCalibration.SimultaneousBand(50, numPoints: 20).Points);
    }

    [Theory]
    [InlineData(100, 0.95)]
    [InlineData(100, 0.90)]
    [InlineData(300, 0.95)]
    public void SimultaneousBand_UniformEcdfs_CoverageMatchesConfidence(int n, double confidence)
    {
        var band = SimulationBasedCalibration.SimultaneousBand(n, confidence, seed: 1);
        // 3000 independent uniform samples of size n (one per "parameter" column): their ECDFs should all stay
        // inside with probability `confidence`. Binomial noise of the fraction is 0.004; the band's own Monte Carlo
        // error (gamma from 1000 simulations) is about 0.007.
        const int repetitions = 3000;
        var ranks = new double[n * repetitions];
        var rng = new Rng(2);
        for (int i = 0; i < ranks.Length; i++) ranks[i] = rng.NextDouble();
        bool[] inside = SimulationBasedCalibration.WithinBand(ranks, repetitions, band);
        double coverage = inside.Count(b => b) / (double)repetitions;
        Assert.InRange(coverage, confidence - 0.03, confidence + 0.03);
    }

    [Fact]
    public void WithinBand_TwoTruthsBelowAllDraws_MidRanksStayInsideWhereFractionalRanksLeave()
    {
        // N = 200 perfectly spread ranks of S = 1000 draws, two of them 0 (truth below every draw: each data set has
        // probability 1 / 1001 of that, so two in 200 happens 1.7% of the time under perfect calibration).
        const int n = 200, s = 1000;
        var ranks = new int[n];
        for (int i = 0; i < n; i++) ranks[i] = (int)Math.Round(i * (double)s / (n - 1));
        ranks[1] = 0;
        var band = SimulationBasedCalibration.SimultaneousBand(n, seed: 1);
        double[] fractional = ranks.Select(r => (double)r / s).ToArray();
        // Fractional ranks put both at exactly 0 <= z_1 = 1e-5, where Binomial(200, 1e-5) allows one count at most.
        Assert.False(SimulationBasedCalibration.WithinBand(fractional, 1, band)[0]);
        Assert.True(SimulationBasedCalibration.WithinBand(SimulationBasedCalibration.MidRanks(ranks, s), 1, band)[0]);
        Assert.Equal([0.5 / 1001, 1000.5 / 1001], SimulationBasedCalibration.MidRanks([0, 1000], s));
    }

    [Fact]
    public void CalibrationLogGamma_UniformRanks_NegativeAtAboutTheQuantileRate()
    {
        // 1000 parameters whose N = 100 ranks are exactly discrete-uniform on 0..S (S = 99), as for a perfect posterior.
        const int n = 100, s = 99, d = 1000;
        var ranks = new int[n * d];
        var rng = new Rng(5);
        for (int i = 0; i < ranks.Length; i++) ranks[i] = rng.Integer(0, s + 1);
        double[] logGamma = SimulationBasedCalibration.CalibrationLogGamma(ranks, d, s, seed: 6);
        double rejected = logGamma.Count(v => v < 0) / (double)d;
        // Expected 0.05; binomial noise 0.007 plus the null quantile's Monte Carlo error about 0.007.
        Assert.InRange(rejected, 0.025, 0.075);
    }

    [Fact]
    public void ExactPosterior_RanksUniform_InsideBandAndLogGammaNonNegative()
    {
        var (draws, truths) = GaussianLinearPosteriors.Exact.Value;
        var band = SimulationBasedCalibration.SimultaneousBand(draws.Datasets, 0.95, seed: 1);
        bool[] inside = SimulationBasedCalibration.WithinBand(draws, truths, band);
        double[] logGamma = SimulationBasedCalibration.CalibrationLogGamma(draws, truths, seed: 2);
        // Each of the 10 parameters fails a 5% test with probability 0.05, so "all pass" would be a 60% event;
        // at most 2 failures out of 10 has probability 0.99.
        Assert.True(inside.Count(b => !b) <= 2, $"outside the 95% band: {inside.Count(b => !b)} of 10");
        Assert.True(logGamma.Count(v => v < 0) <= 2, $"log gamma: {string.Join(", ", logGamma.Select(v => v.ToString("F2")))}");
        // With a Bonferroni level (0.05 / 10 per parameter) every parameter must pass: probability >= 0.95.
        var strict = SimulationBasedCalibration.SimultaneousBand(draws.Datasets, 0.995, seed: 1);
        Assert.All(SimulationBasedCalibration.WithinBand(draws, truths, strict), Assert.True);
        Assert.All(SimulationBasedCalibration.CalibrationLogGamma(draws, truths, quantile: 0.005, seed: 2), v => Assert.True(v >= 0, $"log gamma {v}"));
    }

    [Fact]
    public void OverConfidentPosterior_EveryParameterOutsideBandWithNegativeLogGamma()
    {
        var (draws, truths) = GaussianLinearPosteriors.OverConfident.Value;
        var band = SimulationBasedCalibration.SimultaneousBand(draws.Datasets, 0.95, seed: 1);
        Assert.All(SimulationBasedCalibration.WithinBand(draws, truths, band), Assert.False);
        Assert.All(SimulationBasedCalibration.CalibrationLogGamma(draws, truths, seed: 2), v => Assert.True(v < -5, $"log gamma {v}"));
        // Too-narrow posteriors put truths in the tails: ranks pile up at 0 and S.
        int[] ranks = SimulationBasedCalibration.Ranks(draws, truths);
        double extreme = ranks.Count(r => r < 50 || r > 950) / (double)ranks.Length;   // 0.1 if uniform
        Assert.True(extreme > 0.4, $"fraction of ranks in the outer 10%: {extreme:F3}");
    }

    [Fact]
    public void InvalidArguments_NameTheArgument()
    {
        var band = SimulationBasedCalibration.SimultaneousBand(10);
        var ex = Assert.Throws<ArgumentException>(() => SimulationBasedCalibration.WithinBand(new double[12], 2, band));
        Assert.Equal("band", ex.ParamName);
        Assert.Contains("N = 10", ex.Message);
        Assert.Contains("(6, 2)", ex.Message);
        Assert.Equal("fractionalRanks", Assert.Throws<ArgumentException>(() => SimulationBasedCalibration.WithinBand(new double[7], 2, band)).ParamName);
        Assert.Equal("confidence", Assert.Throws<ArgumentOutOfRangeException>(() => SimulationBasedCalibration.SimultaneousBand(10, 1.0)).ParamName);
        Assert.Equal("numDatasets", Assert.Throws<ArgumentOutOfRangeException>(() => SimulationBasedCalibration.SimultaneousBand(0)).ParamName);
        var rank = Assert.Throws<ArgumentException>(() => SimulationBasedCalibration.CalibrationLogGamma([0, 5, 11], 1, 10));
        Assert.Equal("ranks", rank.ParamName);
        Assert.Contains("0..10", rank.Message);
    }
}
