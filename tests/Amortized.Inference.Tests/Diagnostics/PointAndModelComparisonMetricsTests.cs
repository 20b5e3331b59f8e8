using Amortized.Inference.Approximators;
using Amortized.Inference.Diagnostics;
using Xunit;

namespace Amortized.Inference.Tests.Diagnostics;

/// <summary>The pure diagnostics of point estimates and model probabilities, on values worked by hand.</summary>
public class PointAndModelComparisonMetricsTests
{
    [Fact]
    public void Recovery_HandValues()
    {
        // One parameter, truths 0, 1, 2, 3; estimates 0, 1, 2, 5: SSE 4, SST 5, range 3.
        var r = PointMetrics.Recovery("mean", [0f, 1f, 2f, 5f], [0f, 1f, 2f, 3f], 1);
        Assert.Equal(1 - 4.0 / 5, r.RSquared[0], 12);
        Assert.Equal(Math.Sqrt(4.0 / 4) / 3, r.Nrmse[0], 12);
        Assert.True(r.Correlation[0] > 0.9 && r.Correlation[0] < 1);
        var exact = PointMetrics.Recovery("mean", [1f, 2f, 3f, 4f], [1f, 2f, 3f, 4f], 2);
        Assert.Equal([1.0, 1.0], exact.RSquared);
        Assert.Equal([0.0, 0.0], exact.Nrmse);
        Assert.True(double.IsNaN(PointMetrics.Recovery("m", [1f, 2f], [1f, 1f], 1).RSquared[0]));   // constant truths
    }

    [Fact]
    public void Coverage_CountsTruthsInsideEachCentralInterval()
    {
        // Levels 0.05, 0.25, 0.5, 0.75, 0.95: intervals [q0, q4] (nominal 0.9) and [q1, q3] (0.5). Quantiles of every
        // data set: -2, -1, 0, 1, 2; truths -3, -1.5, 0, 0.5, 1 (inclusive ends), 2.5: the outer holds 4 of 6, the
        // inner 3 of 6.
        float[] row = [-2f, -1f, 0f, 1f, 2f];
        float[] truths = [-3f, -1.5f, 0f, 0.5f, 1f, 2.5f];
        var quantiles = Enumerable.Repeat(row, truths.Length).SelectMany(q => q).ToArray();
        var c = PointMetrics.Coverage("q", quantiles, [0.05f, 0.25f, 0.5f, 0.75f, 0.95f], truths, 1);
        Assert.Equal(0.9, c.Nominal[0], 6);
        Assert.Equal(0.5, c.Nominal[1], 6);
        Assert.Equal(4.0 / 6, c.At(0, 0), 12);
        Assert.Equal(3.0 / 6, c.At(1, 0), 12);
        var e = Assert.Throws<ArgumentException>(() => PointMetrics.Coverage("q", quantiles[..^1], [0.05f, 0.25f, 0.5f, 0.75f, 0.95f], truths, 1));
        Assert.Contains("expected (N, Q, D) = (6, 5, 1)", e.Message);
    }

    [Fact]
    public void Report_QuantileRule_RecoversTheLevelNearestHalf()
    {
        // Two data sets, one parameter, levels 0.1, 0.5, 0.9: the median row is the middle one.
        var report = PointDiagnosticsReport.Compute(
            [new PointRuleValues("q", [-1f, 0f, 1f, 9f, 10f, 11f], [0.1f, 0.5f, 0.9f])], [0f, 10f], 1, ["mu"]);
        Assert.Equal("q@0.5", report.Recovery[0].Estimate);
        Assert.Equal([0.0, 10.0], report.Recovery[0].Estimates);
        Assert.Equal(1.0, report.Recovery[0].RSquared[0]);
        Assert.Equal(1.0, report.Coverage[0].At(0, 0));
        Assert.Contains("\"parameter\": \"mu\"", report.ToJson());
    }

    [Fact]
    public void Calibration_HandValues_AndTheEceOfModelComparisonMetricsIsItsSum()
    {
        // Four rows, K = 2, p(model 1) = 0.1, 0.15, 0.8, 0.9; true models 0, 1, 1, 1. Two bins: [0, 0.5) holds rows
        // 0 and 1 (mean p 0.125, observed 0.5), [0.5, 1] rows 2 and 3 (mean 0.85, observed 1).
        float[] p = [0.9f, 0.1f, 0.85f, 0.15f, 0.2f, 0.8f, 0.1f, 0.9f];
        float[] t = [1, 0, 0, 1, 0, 1, 0, 1];
        var curve = ModelComparisonDiagnostics.Calibration(p, t, 2, 1, numBins: 2);
        Assert.Equal([2, 2], curve.Counts);
        Assert.Equal(0.125, curve.MeanPredicted[0], 6);
        Assert.Equal(0.5, curve.ObservedFrequency[0]);
        Assert.Equal(1.0, curve.ObservedFrequency[1]);
        Assert.Equal(0.5 * (0.5 - 0.125) + 0.5 * (1 - 0.85), curve.ExpectedCalibrationError, 6);
        Assert.Equal(curve.ExpectedCalibrationError, ModelComparisonMetrics.ExpectedCalibrationError(p, t, 2, 2)[1]);
        Assert.Equal(0.75, ModelComparisonDiagnostics.Accuracy(p, t, 2));
        var confusion = ModelComparisonDiagnostics.ConfusionMatrix(p, t, 2);
        Assert.Equal((1, 0, 1, 2), (confusion[0, 0], confusion[0, 1], confusion[1, 0], confusion[1, 1]));
        var report = ModelComparisonReport.Compute(p, t, ["a", "b"], numBins: 2);
        Assert.Equal(0.75, report.Accuracy);
        Assert.Contains("\"confusion_matrix\"", report.ToJson());
        Assert.True(double.IsNaN(ModelComparisonDiagnostics.Calibration(p, t, 2, 1, numBins: 4).MeanPredicted[1]));
    }
}
