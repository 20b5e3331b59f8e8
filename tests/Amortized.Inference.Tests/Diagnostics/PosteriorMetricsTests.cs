using Amortized.Inference.Diagnostics;
using Xunit;

namespace Amortized.Inference.Tests.Diagnostics;

public class PosteriorMetricsTests
{
    /// <summary>One parameter, N data sets, the given draws per data set (all of equal count).</summary>
    private static PosteriorDraws OneParameter(params float[][] perDataset)
    {
        int s = perDataset[0].Length;
        var values = new float[perDataset.Length * s];
        for (int n = 0; n < perDataset.Length; n++) perDataset[n].CopyTo(values, n * s);
        return new PosteriorDraws(values, perDataset.Length, s, 1);
    }

    [Fact]
    public void ZScoresAndContraction_TinyInput_HandComputed()
    {
        var draws = OneParameter([1, 2, 3], [0, 4, 8]);   // means 2 and 4, sds (ddof = 1) 1 and 4
        Assert.Equal([1.5, -0.25], PosteriorMetrics.ZScores(draws, [0.5f, 5f]));
        Assert.Equal([0.5, -1.0], PosteriorMetrics.Contraction(draws, [2.0]));
        Assert.Equal([0.75, -3.0], PosteriorMetrics.Contraction(draws, [2.0], varianceRatio: true));
    }

    [Fact]
    public void NormalizedRmse_TinyInput_HandComputed()
    {
        // Truths 1 and 3 (range 2). Draw 0: errors -1, -2 -> RMSE sqrt(2.5); draw 1: errors 1, 0 -> sqrt(0.5).
        var draws = OneParameter([0, 2], [1, 3]);
        double expected = (Math.Sqrt(2.5) + Math.Sqrt(0.5)) / 2 / 2;   // median over the two draws, over the range
        Assert.Equal(expected, PosteriorMetrics.NormalizedRmse(draws, [1f, 3f])[0], 12);
    }

    [Fact]
    public void Recovery_TinyInput_MediansMadsAndCorrelation()
    {
        // Medians 1, 2, 3 (even S: mean of the middle two); truths 1, 3, 2 -> r = 0.5.
        var draws = OneParameter([1, 1, 1, 10], [1, 2, 2, 3], [2, 3, 3, 4]);
        var recovery = PosteriorMetrics.Recovery(draws, [1f, 3f, 2f]);
        Assert.Equal([1.0, 2.0, 3.0], recovery.Medians);
        // |x - median|: (0, 0, 0, 9) -> 0; (1, 0, 0, 1) -> 0.5; (1, 0, 0, 1) -> 0.5.
        Assert.Equal([0.0, 0.5, 0.5], recovery.Mads);
        Assert.Equal(0.5, recovery.Correlation[0], 12);
    }

    [Fact]
    public void ExpectedCoverageAndCalibrationError_TinyInput_HandComputed()
    {
        // Draws 0..4: the linear quantile is 4q, so the central interval of level a is [2 - 2a, 2 + 2a].
        var draws = OneParameter([0, 1, 2, 3, 4], [0, 1, 2, 3, 4]);
        float[] truths = [2f, 3.5f];   // always inside; inside only for a >= 0.75
        var one = PosteriorMetrics.ExpectedCoverage(draws, truths, [0.5, 0.8]);
        Assert.Equal([0.5, 1.0], one.Coverage);

        // BayesFlow's levels a_k = 0.005 + 0.99 k / 19: coverage 0.5 for k <= 14 and 1 for k >= 15. The sorted
        // errors' 10th and 11th values are 1 - a_16 and |0.5 - a_6| (= a_13 - 0.5).
        double expected = ((0.995 - 0.99 * 16 / 19) + (0.495 - 0.99 * 6 / 19)) / 2;
        Assert.Equal(expected, PosteriorMetrics.CalibrationError(draws, truths)[0], 12);
        // A single data set with truth 2: coverage 1 everywhere, errors 1 - a_k, median 1 - median(a) = 0.5.
        Assert.Equal(0.5, PosteriorMetrics.CalibrationError(OneParameter([0, 1, 2, 3, 4]), [2f])[0], 12);
    }

    [Fact]
    public void PriorSd_IsColumnSampleSd()
    {
        Assert.Equal([1.0, 2.0], PosteriorMetrics.PriorSd([1f, 0f, 2f, 2f, 3f, 4f], 2));
    }

    [Fact]
    public void ExactPosterior_CalibrationErrorNearZero_ZScoresStandard_ContractionAndRecoveryAsAnalytic()
    {
        var (draws, truths) = GaussianLinearPosteriors.Exact.Value;
        // The exact posterior's calibration error is sampling noise: each level's coverage over N = 200 data sets
        // has sd sqrt(a (1 - a) / 200) <= 0.035. Over 300 replicates (30 seeds x 10 parameters, N = 200) it had
        // median 0.016, mean 0.019, 99th percentile 0.055 and maximum 0.068. So every one of 10 parameters stays
        // below 0.07 (a > 97% event) and their mean below 0.03 (about 4 sd of a 10-value mean above 0.019).
        double[] error = PosteriorMetrics.CalibrationError(draws, truths);
        string all = string.Join(", ", error.Select(v => v.ToString("F3")));
        Assert.All(error, e => Assert.True(e < 0.07, $"calibration errors {all}"));
        Assert.True(error.Average() < 0.03, $"calibration errors {all}");

        double[] z = PosteriorMetrics.ZScores(draws, truths);
        double zMean = z.Average(), zSd = Math.Sqrt(z.Sum(v => (v - zMean) * (v - zMean)) / (z.Length - 1));
        Assert.InRange(zMean, -0.1, 0.1);   // 2000 z-scores: sd of the mean 0.022
        Assert.InRange(zSd, 0.93, 1.07);

        // Contraction 1 - sqrt(0.05 / 0.1) = 0.293 per data set; the draws' sd has relative noise 1 / sqrt(2 S) = 2%.
        double[] contraction = PosteriorMetrics.Contraction(draws, GaussianLinearPosteriors.PriorSds());
        Assert.All(contraction, c => Assert.InRange(c, 0.293 - 0.07, 0.293 + 0.07));
        double[] variance = PosteriorMetrics.Contraction(draws, GaussianLinearPosteriors.PriorSds(), varianceRatio: true);
        Assert.InRange(variance.Average(), 0.49, 0.51);

        // Median x/2 against theta: corr = sqrt(Var(theta) / Var(x)) = sqrt(0.5) = 0.707 (sd of r about 0.035).
        var recovery = PosteriorMetrics.Recovery(draws, truths);
        Assert.All(recovery.Correlation, r => Assert.InRange(r, 0.6, 0.8));
        // MAD of a normal is 0.6745 sd.
        Assert.InRange(recovery.Mads.Average(), 0.6745 * GaussianLinearPosteriors.PosteriorSd * 0.97, 0.6745 * GaussianLinearPosteriors.PosteriorSd * 1.03);

        // Each draw misses the truth by N(0, 2 x 0.05): RMSE sqrt(0.1), over the range of the 200 truths.
        double[] nrmse = PosteriorMetrics.NormalizedRmse(draws, truths);
        for (int d = 0; d < draws.Parameters; d++)
        {
            double min = double.MaxValue, max = double.MinValue;
            for (int n = 0; n < draws.Datasets; n++) { min = Math.Min(min, truths[n * 10 + d]); max = Math.Max(max, truths[n * 10 + d]); }
            Assert.InRange(nrmse[d] * (max - min), Math.Sqrt(0.1) * 0.9, Math.Sqrt(0.1) * 1.1);
        }
    }

    [Fact]
    public void OverConfidentPosterior_CalibrationErrorLargeAndCoverageTooLow()
    {
        var (draws, truths) = GaussianLinearPosteriors.OverConfident.Value;
        // Intervals 2.5x too narrow: the 50% interval covers P(|Z| < 0.674 / 2.5) = 0.21, an error near 0.3.
        double[] error = PosteriorMetrics.CalibrationError(draws, truths);
        Assert.All(error, e => Assert.True(e > 0.15, $"calibration error {e}"));
        var coverage = PosteriorMetrics.ExpectedCoverage(draws, truths);
        for (int l = 0; l < coverage.Levels.Length; l++)
            for (int d = 0; d < coverage.Parameters; d++)
                Assert.True(coverage.At(l, d) <= coverage.Levels[l] + 0.02, $"level {coverage.Levels[l]}: coverage {coverage.At(l, d)}");
        double[] z = PosteriorMetrics.ZScores(draws, truths);
        double zSd = Math.Sqrt(z.Sum(v => v * v) / z.Length);
        Assert.InRange(zSd, 2.3, 2.7);   // the truth is 2.5 reported sds away on average
    }

    [Fact]
    public void ExpectedCoverage_InvalidLevels_NameTheArgument()
    {
        var draws = OneParameter([0, 1, 2]);
        Assert.Equal("levels", Assert.Throws<ArgumentException>(() => PosteriorMetrics.ExpectedCoverage(draws, [1f], [0.5, 1.0])).ParamName);
        Assert.Equal("levels", Assert.Throws<ArgumentOutOfRangeException>(() => PosteriorMetrics.ExpectedCoverage(draws, [1f], 0)).ParamName);
        var ex = Assert.Throws<ArgumentException>(() => PosteriorMetrics.Contraction(draws, [0.0]));
        Assert.Equal("priorSd", ex.ParamName);
        Assert.Contains("priorSd[0] is 0", ex.Message);
    }
}
