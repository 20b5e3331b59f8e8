using System.Text.Json;
using Amortized.Inference.Diagnostics;
using Xunit;

namespace Amortized.Plots.Tests;

/// <summary>The reports of point and model-comparison approximators, and the quantile coverage figure.</summary>
public sealed class EstimatorReportsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("amz-plots-estimators-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>N = 200, D = 2: estimates = truth + N(0, 0.5) noise; quantiles of that noise around the estimate.
    /// </summary>
    private static PointDiagnosticsReport Point()
    {
        const int n = 200, d = 2;
        var rng = TestData.NewRandom();
        float[] levels = [0.1f, 0.5f, 0.9f];
        var truths = new float[n * d];
        var means = new float[n * d];
        var quantiles = new float[n * 3 * d];
        for (int i = 0; i < n * d; i++)
        {
            truths[i] = (float)TestData.Normal(rng);
            means[i] = truths[i] + (float)(0.5 * TestData.Normal(rng));
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                for (int q = 0; q < 3; q++)
                    quantiles[(i * 3 + q) * d + j] = means[i * d + j] + (q - 1) * 1.2816f * 0.5f;
        return PointDiagnosticsReport.Compute([new PointRuleValues("mean", means), new PointRuleValues("quantiles",
            quantiles, levels)], truths, d, ["beta", "sigma"]);
    }

    [Fact]
    public void WritePoint_WritesRecoveryAndCoverageFigures_MetricsAndPage()
    {
        var report = Point();
        string html = EstimatorReports.WritePoint(_directory, report, new EstimatorReportContext
        {
            Title = "my estimator",
            TrainLoss = [2.0, 1.5, 1.2],
            Run = [new("task", "demo")],
            Metadata = [new("task", "demo")],
        });
        Assert.Equal(Path.Combine(_directory, "report.html"), html);
        foreach (string figure in new[] { "loss", "recovery_mean", "recovery_quantiles_0_5", "quantile_coverage_quantiles" })
        {
            Assert.True(File.Exists(Path.Combine(_directory, "figures", figure + ".png")), figure);
            Assert.True(File.Exists(Path.Combine(_directory, "figures", figure + ".svg")), figure);
        }
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(_directory, "metrics.json")));
        Assert.Equal("demo", metrics.RootElement.GetProperty("task").GetString());
        var diagnostics = metrics.RootElement.GetProperty("diagnostics");
        Assert.Equal(4, diagnostics.GetProperty("recovery").GetArrayLength());   // 2 estimates x 2 parameters
        var coverage = diagnostics.GetProperty("quantile_coverage")[0];
        Assert.Equal(0.8, coverage.GetProperty("nominal").GetDouble());
        // The quantiles are those of the noise, so the 80% interval covers about 80% of the truths.
        Assert.InRange(coverage.GetProperty("coverage").GetDouble(), 0.72, 0.88);
        string page = File.ReadAllText(html);
        Assert.Contains("Quantile interval coverage", page);
        Assert.Contains("<td>beta</td>", page);
    }

    [Fact]
    public void WriteModelComparison_WritesCalibrationAndConfusion_MetricsAndPage()
    {
        float[] p = [0.9f, 0.1f, 0.85f, 0.15f, 0.2f, 0.8f, 0.1f, 0.9f];
        float[] t = [1, 0, 0, 1, 0, 1, 0, 1];
        var report = ModelComparisonReport.Compute(p, t, ["narrow", "wide"], numBins: 2);
        string html = EstimatorReports.WriteModelComparison(_directory, report,
            new EstimatorReportContext { Title = "two models" });
        Assert.True(File.Exists(Path.Combine(_directory, "figures", "calibration.png")));
        Assert.True(File.Exists(Path.Combine(_directory, "figures", "confusion_matrix.svg")));
        Assert.False(File.Exists(Path.Combine(_directory, "figures", "loss.png")));   // no history given
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(_directory, "metrics.json")));
        var diagnostics = metrics.RootElement.GetProperty("diagnostics");
        Assert.Equal(0.75, diagnostics.GetProperty("accuracy").GetDouble());
        Assert.Equal(2, diagnostics.GetProperty("confusion_matrix")[1][1].GetInt32());
        Assert.Contains("75.0%", File.ReadAllText(html));
    }

    [Fact]
    public void QuantileCoverage_ChecksShapesAndRanges()
    {
        var plot = Figures.QuantileCoverage([0.5, 0.9], [0.48, 0.52, 0.91, 0.88], 100, ["a", "b"]);
        Assert.NotNull(plot);
        var wrongShape = Assert.Throws<ArgumentException>(() => Figures.QuantileCoverage([0.5, 0.9], [0.5, 0.5, 0.9], 100, ["a", "b"]));
        Assert.Contains("coverage", wrongShape.Message);
        Assert.Throws<ArgumentException>(() => Figures.QuantileCoverage([0.5], [1.5, 0.5], 100, ["a", "b"]));
        Assert.Throws<ArgumentException>(() => Figures.QuantileCoverage([], [], 100, ["a"]));
    }
}
