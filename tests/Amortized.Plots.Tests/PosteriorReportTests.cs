using System.Text.Json;
using Amortized.Inference.Diagnostics;
using Xunit;

namespace Amortized.Plots.Tests;

/// <summary>The library's report: what a program outside the command line gets from one call.</summary>
public sealed class PosteriorReportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("amz-plots-report-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>N = 40 data sets, S = 50 draws, D = 2: draws centred on the truth, so the posterior is calibrated.</summary>
    private static (DiagnosticsReport Report, float[] Draws) Calibrated(double priorSd = 1.1)
    {
        const int n = 40, s = 50, d = 2;
        var rng = TestData.NewRandom();
        var truths = new float[n * d];
        var draws = new float[n * s * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                double mean = TestData.Normal(rng);
                truths[i * d + j] = (float)(mean + 0.5 * TestData.Normal(rng));
                for (int k = 0; k < s; k++) draws[(i * s + k) * d + j] = (float)(mean + 0.5 * TestData.Normal(rng));
            }
        var report = DiagnosticsReport.Compute(new PosteriorDraws(draws, n, s, d, ["beta", "sigma"]), truths, [priorSd, priorSd],
            new DiagnosticsOptions { Seed = 1 });
        return (report, draws);
    }

    [Fact]
    public void Write_AllParts_WritesFiguresMetricsAndPage()
    {
        var (report, draws) = Calibrated();
        string html = PosteriorReport.Write(_directory, new PosteriorReportContent
        {
            Title = "my model",
            Diagnostics = report,
            FirstDatasetDraws = draws.AsSpan(0, 50 * 2).ToArray(),
            PriorDraws = [0f, 0f, 1f, 1f, -1f, 0.5f],
            TrainLoss = [3.0, 2.0, 1.5],
            ValidationLoss = [3.1, null, 1.6],
            Run = [new("seed", "7")],
            Metadata = [new("model", "regression"), new("task", null)],
            Notes = ["a note <b>"],
            Architecture = "Mlp(2 -> 8 -> 2)",
        });

        Assert.Equal(Path.Combine(_directory, PosteriorReport.HtmlFile), html);
        string page = File.ReadAllText(html);
        Assert.Contains("<title>my model</title>", page, StringComparison.Ordinal);
        Assert.Contains("a note &lt;b&gt;", page, StringComparison.Ordinal);
        Assert.Contains("Mlp(2 -&gt; 8 -&gt; 2)", page, StringComparison.Ordinal);
        Assert.Contains("beta", page, StringComparison.Ordinal);
        Assert.Contains(report.Calibrated ? "the posterior is calibrated" : "NOT calibrated", page, StringComparison.Ordinal);
        foreach (string figure in new[] { "loss", "calibration_ecdf", "rank_histograms", "recovery", "z_score_contraction", "pairs" })
        {
            Assert.True(File.Exists(Path.Combine(_directory, PosteriorReport.FiguresFolder, figure + ".png")), figure + ".png");
            Assert.True(File.Exists(Path.Combine(_directory, PosteriorReport.FiguresFolder, figure + ".svg")), figure + ".svg");
        }
        Assert.Equal(6, page.Split("<figure>").Length - 1);

        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(_directory, PosteriorReport.MetricsFile)));
        var root = metrics.RootElement;
        Assert.Equal("regression", root.GetProperty("model").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("task").ValueKind);
        Assert.Equal(report.Calibrated, root.GetProperty("calibrated").GetBoolean());
        Assert.True(root.GetProperty("diagnostics").ValueKind == JsonValueKind.Object);
        Assert.False(root.TryGetProperty("misspecification", out _));
    }

    [Fact]
    public void Write_DiagnosticsOnly_LeavesOutLossAndPairs()
    {
        var (report, _) = Calibrated();
        string page = File.ReadAllText(PosteriorReport.Write(_directory, new PosteriorReportContent { Title = "t", Diagnostics = report }));

        Assert.False(File.Exists(Path.Combine(_directory, PosteriorReport.FiguresFolder, "loss.png")));
        Assert.False(File.Exists(Path.Combine(_directory, PosteriorReport.FiguresFolder, "pairs.png")));
        Assert.Equal(4, page.Split("<figure>").Length - 1);
        // 40 data sets are fewer than 100: the page says the checks have little power, with the default advice.
        Assert.Contains("Only 40 held-out data sets were checked", page, StringComparison.Ordinal);
        Assert.Contains("check 300 or more", page, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_CalibratedWithFailedSupportingChecks_SaysSoNextToTheVerdict()
    {
        // With a prior five times narrower than the posterior, contraction fails while the ranks stay calibrated: the page
        // must not show a bare "calibrated" headline above red rows.
        var (report, _) = Calibrated(priorSd: 0.1);
        Assert.True(report.Calibrated);
        var outside = report.FailedOutsideVerdict;
        Assert.Contains(outside, r => r.Metric == "contraction");
        string page = File.ReadAllText(PosteriorReport.Write(_directory, new PosteriorReportContent
        {
            Title = "t", Diagnostics = report, Architecture = "net",
        }));
        Assert.Contains($"{outside.Count} supporting check", page, StringComparison.Ordinal);
        Assert.Contains("contraction (beta)", page, StringComparison.Ordinal);
        Assert.Contains("<tr class=\"fail outside\">", page, StringComparison.Ordinal);
        Assert.Contains("<details><summary>Architecture</summary>", page, StringComparison.Ordinal);
    }
}
