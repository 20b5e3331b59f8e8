using Amortized.Inference.Diagnostics;
using Xunit;

namespace Amortized.Inference.Tests.Diagnostics;

public class TarpTests
{
    [Fact]
    public void Tarp_TinyInputWithReferences_HandComputed()
    {
        // D = 1, N = 2, S = 4, reference 0 for both. Data set 0: truth at distance 1.5, draws 0 and 1 closer -> 0.5.
        // Data set 1: truth at distance 4, every draw closer -> 1.
        float[] values = [0, 1, 2, 3, -1, 1, 2, -3];
        var draws = new PosteriorDraws(values, 2, 4, 1);
        var tarp = PosteriorMetrics.Tarp(draws, [1.5f, 4f], references: [0f, 0f], resolution: 4, standardize: false);
        Assert.Equal([0.5, 1.0], tarp.Coverage);
        Assert.Equal([0, 0.25, 0.5, 0.75, 1], tarp.Alpha);
        Assert.Equal([0, 0, 0.5, 0.5, 1], tarp.Ecp);
        // Upper half (alpha = 0.5, 0.75, 1): (0 - 0.25 + 0) x 0.25.
        Assert.Equal(-0.0625, tarp.Atc, 12);
        Assert.Equal(0.5, tarp.KsDistance, 12);
    }

    [Fact]
    public void KolmogorovPValue_MatchesKnownCriticalValues()
    {
        // The 5% and 1% critical values of the limit distribution are 1.358 / sqrt(n) and 1.628 / sqrt(n).
        const int n = 10_000;
        Assert.InRange(PosteriorMetrics.KolmogorovPValue(1.358 / Math.Sqrt(n), n), 0.045, 0.055);
        Assert.InRange(PosteriorMetrics.KolmogorovPValue(1.628 / Math.Sqrt(n), n), 0.008, 0.012);
        Assert.Equal(1.0, PosteriorMetrics.KolmogorovPValue(0.0, n));
    }

    [Fact]
    public void ExactPosterior_EcpCloseToDiagonal()
    {
        var (draws, truths) = GaussianLinearPosteriors.Exact.Value;
        var tarp = PosteriorMetrics.Tarp(draws, truths, seed: 4);
        Assert.True(tarp.KsPValue > 0.01, $"KS distance {tarp.KsDistance:F3}, p {tarp.KsPValue:E2}");
        Assert.True(Math.Abs(tarp.Atc) < 0.03, $"ATC {tarp.Atc:F4}");
        for (int k = 0; k < tarp.Alpha.Length; k++)
            Assert.True(Math.Abs(tarp.Ecp[k] - tarp.Alpha[k]) < 0.12, $"ECP({tarp.Alpha[k]}) = {tarp.Ecp[k]}");
    }

    [Fact]
    public void OverConfidentPosterior_EcpFarFromDiagonal()
    {
        var (draws, truths) = GaussianLinearPosteriors.OverConfident.Value;
        var tarp = PosteriorMetrics.Tarp(draws, truths, seed: 4);
        Assert.True(tarp.KsPValue < 1e-6, $"KS distance {tarp.KsDistance:F3}, p {tarp.KsPValue:E2}");
        Assert.True(tarp.KsDistance > 0.2, $"KS distance {tarp.KsDistance:F3}");
    }

    [Fact]
    public void Tarp_ReferencesOfWrongShape_NameTheArgument()
    {
        var draws = new PosteriorDraws(new float[2 * 3 * 2], 2, 3, 2);
        var ex = Assert.Throws<ArgumentException>(() => PosteriorMetrics.Tarp(draws, new float[4], references: new float[3]));
        Assert.Equal("references", ex.ParamName);
        Assert.Contains("(N, D) = (2, 2)", ex.Message);
    }
}
