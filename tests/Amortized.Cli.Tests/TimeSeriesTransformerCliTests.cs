using Amortized.Inference.Approximators;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Serialization;
using Xunit;

namespace Amortized.Cli.Tests;

/// <summary><c>fit --summary-network time-series-transformer</c> on the built-in sir task (a series of 10 infected
/// fractions), end to end: the model file holds the transformer and its options, and <c>sample</c> uses it.</summary>
public sealed class TimeSeriesTransformerCliTests
{
    [Fact]
    public void Fit_SirWithTheTransformer_SavesItAndSamples()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        var fit = CliRunner.Run("fit", "sir", "--out", dir, "--summary-network", "time-series-transformer",
            "--epochs", "1", "--batches-per-epoch", "4", "--batch-size", "16", "--threads", "1",
            "--diagnostic-datasets", "8", "--diagnostic-samples", "20");
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.Contains("time-series-transformer", fit.Output);
        var approximator = ApproximatorFile.Load(Path.Combine(dir, "model.amz"));
        Assert.Equal(SummaryNetworkKind.TimeSeriesTransformer, approximator.Spec!.Summary);
        // The options are written out, so a later change of the defaults cannot change what this file rebuilds.
        Assert.Equal([64, 64], approximator.Spec.TimeSeriesTransformer!.EmbedDims);
        Assert.Equal(1, approximator.Spec.SummaryInputDim);
        Assert.Contains("TimeSeriesTransformer(F=1, S=16", approximator.SummaryNetwork!.ToString());

        string obs = Path.Combine(dir, "obs.csv"), draws = Path.Combine(dir, "draws.csv");
        File.WriteAllText(obs, string.Join(",", Enumerable.Range(1, 10).Select(i => $"x_{i}")) + "\n" +
            string.Join(",", Enumerable.Range(1, 10).Select(i => (0.01 * i).ToString(System.Globalization.CultureInfo.InvariantCulture))) + "\n");
        var sample = CliRunner.Run("sample", dir, "--observation", obs, "--samples", "20", "--out", draws);
        Assert.True(sample.ExitCode == 0, sample.ToString());
        var table = Csv.ReadTable(draws);
        Assert.Equal(20, table.RowCount);
        Assert.All(table.Values("beta"), v => Assert.True(float.IsFinite(v) && v > 0));
    }

    [Fact]
    public void UnknownSummaryNetwork_ExitsTwoListingTheTransformer()
    {
        var fit = CliRunner.Run("fit", "sir", "--out", Path.Combine(CliRunner.TempDir(), "run"), "--summary-network",
            "transformer", "--epochs", "1");
        Assert.Equal(2, fit.ExitCode);
        Assert.Contains("time-series-transformer", fit.Error);
    }
}
