using System.Globalization;
using System.Text.Json.Nodes;
using Amortized.Inference.Approximators;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Serialization;
using Xunit;

namespace Amortized.Cli.Tests;

/// <summary>
/// <c>fit --method point</c> and <c>fit --method model-comparison</c>: the run folder, run.json, the report with its
/// own figures and metrics, <c>sample</c> and <c>diagnose</c> on such runs, and exit 2 for bad combinations.
/// </summary>
public sealed class EstimatorFitTests
{
    private static readonly string[] Quick = ["--epochs", "5", "--batches-per-epoch", "50", "--threads", "1"];

    private static JsonNode Metrics(string dir) => JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")))!;

    [Fact]
    public void Point_GaussianLinear_ReportRecoversTheAnalyticValues_SampleGivesEstimatesNearTheExactPosterior()
    {
        string root = CliRunner.TempDir(), dir = Path.Combine(root, "run");
        var fit = CliRunner.Run(["fit", "gaussian_linear", "--method", "point", "--out", dir,
            "--quantile-levels", "0.05,0.25,0.5,0.75,0.95", "--diagnostic-datasets", "300", .. Quick]);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        foreach (string file in new[] { "model.amz", "run.json", "history.csv", "report.html", "metrics.json",
                     "figures/recovery_mean.png", "figures/recovery_quantiles_0_5.svg", "figures/quantile_coverage_quantiles.png",
                     "figures/loss.png" })
            Assert.True(File.Exists(Path.Combine(dir, file)), file);
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))!;
        Assert.Equal("point", (string)run["method"]!);
        Assert.Equal(5, ((JsonArray)run["quantile_levels"]!).Count);

        // gaussian_linear's posterior N(x/2, 0.05 I): the mean explains half the prior variance, and each central
        // interval covers its nominal share of the truths.
        var metrics = Metrics(dir);
        Assert.Equal("gaussian_linear", (string)metrics["task"]!);
        var recovery = ((JsonArray)metrics["diagnostics"]!["recovery"]!).Where(r => (string)r!["estimate"]! == "mean");
        double rSquared = recovery.Average(r => (double)r!["r_squared"]!);
        Assert.InRange(rSquared, 0.4, 0.6);
        var coverage = (JsonArray)metrics["diagnostics"]!["quantile_coverage"]!;
        Assert.Equal(20, coverage.Count);   // 2 intervals x 10 parameters
        foreach (double nominal in new[] { 0.9, 0.5 })
        {
            double observed = coverage.Where(c => (double)c!["nominal"]! == nominal).Average(c => (double)c!["coverage"]!);
            Assert.True(Math.Abs(observed - nominal) < 0.05, $"coverage {observed:F3} of the {nominal} interval");
        }
        string report = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("Quantile interval coverage", report);

        // Estimates for x = 0.4 everywhere: mean 0.2, 5% and 95% quantiles 0.2 -+ 1.645 sqrt(0.05) = 0.2 -+ 0.368.
        string obs = Path.Combine(root, "obs.csv"), output = Path.Combine(root, "estimates.csv");
        File.WriteAllText(obs, string.Join(",", Enumerable.Range(1, 10).Select(i => $"x_{i}")) + "\n" +
            string.Join(",", Enumerable.Repeat("0.4", 10)) + "\n");
        var sample = CliRunner.Run("sample", dir, "--observation", obs, "--out", output);
        Assert.True(sample.ExitCode == 0, sample.ToString());
        var table = Csv.ReadTable(output);
        Assert.Equal(1, table.RowCount);
        Assert.Equal(10 + 5 * 10, table.ColumnNames.Count);
        Assert.Equal("mean:theta_1", table.ColumnNames[0]);
        for (int j = 1; j <= 10; j++)
        {
            Assert.InRange(table.Values($"mean:theta_{j}")[0], 0.15f, 0.25f);
            Assert.InRange(table.Values($"q0.05:theta_{j}")[0], 0.2f - 0.368f - 0.07f, 0.2f - 0.368f + 0.07f);
            Assert.InRange(table.Values($"q0.95:theta_{j}")[0], 0.2f + 0.368f - 0.07f, 0.2f + 0.368f + 0.07f);
        }

        // The model file is a point file; the continuous loader says so, and density commands refuse the run.
        Assert.Equal(5, ((QuantileScore)ApproximatorFile.LoadPoint(Path.Combine(dir, "model.amz"), out _).Rules[1]).Levels.Count);
        var e = Assert.Throws<InvalidDataException>(() => ApproximatorFile.Load(Path.Combine(dir, "model.amz")));
        Assert.Contains("it holds a point approximator", e.Message);
        var plot = CliRunner.Run("sample", dir, "--observation", obs, "--out", output, "--plot", Path.Combine(root, "p.png"));
        Assert.Equal(2, plot.ExitCode);
        Assert.Contains("--plot draws posterior samples; this is a point run", plot.Error);
        string parameters = Path.Combine(root, "theta.csv");
        File.WriteAllText(parameters, string.Join(",", Enumerable.Range(1, 10).Select(i => $"theta_{i}")) + "\n" +
            string.Join(",", Enumerable.Repeat("0.1", 10)) + "\n");
        var logProb = CliRunner.Run("log-prob", dir, "--observation", obs, "--parameters", parameters, "--out",
            Path.Combine(root, "lp.csv"));
        Assert.Equal(2, logProb.ExitCode);
        Assert.Contains("holds a point model", logProb.Error);

        // diagnose rewrites the report with the run's own checks.
        var diagnose = CliRunner.Run("diagnose", dir, "--datasets", "50");
        Assert.True(diagnose.ExitCode == 0, diagnose.ToString());
        Assert.Equal(50, (int)Metrics(dir)["diagnostics"]!["datasets"]!);
    }

    [Fact]
    public void ModelComparison_TwoTasksOfTheSameDataShape_AccurateReport_SampleGivesProbabilities()
    {
        string root = CliRunner.TempDir(), dir = Path.Combine(root, "run");
        var fit = CliRunner.Run(["fit", "--method", "model-comparison", "--models", "gaussian_linear,gaussian-linear-uniform",
            "--out", dir, "--diagnostic-datasets", "600", .. Quick]);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        foreach (string file in new[] { "model.amz", "run.json", "report.html", "figures/calibration.png",
                     "figures/confusion_matrix.svg", "figures/loss.png" })
            Assert.True(File.Exists(Path.Combine(dir, file)), file);
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))!;
        Assert.Equal(["gaussian_linear", "gaussian_linear_uniform"], ((JsonArray)run["models"]!).Select(m => (string)m!));

        var diagnostics = Metrics(dir)["diagnostics"]!;
        Assert.Equal(["gaussian_linear", "gaussian_linear_uniform"], ((JsonArray)diagnostics["models"]!).Select(m => (string)m!));
        double accuracy = (double)diagnostics["accuracy"]!;
        Assert.True(accuracy > 0.75, $"accuracy {accuracy:F3} (chance is 0.5)");
        var confusion = (JsonArray)diagnostics["confusion_matrix"]!;
        Assert.Equal(600, confusion.Sum(row => ((JsonArray)row!).Sum(v => (int)v!)));

        // Data near 0 are likely under gaussian_linear's N(0, 0.2) predictive, |x| near 0.9 in every coordinate only
        // under the uniform prior on [-1, 1].
        string obs = Path.Combine(root, "obs.csv"), output = Path.Combine(root, "p.csv");
        File.WriteAllText(obs, string.Join(",", Enumerable.Range(1, 10).Select(i => $"x_{i}")) + "\n" +
            "0.1,0.2,-0.1,0.3,0.0,0.1,-0.2,0.1,0.05,0.0\n0.9,-0.95,0.99,-0.97,0.93,0.96,-0.9,0.95,-0.99,0.9\n");
        var sample = CliRunner.Run("sample", dir, "--observation", obs, "--out", output);
        Assert.True(sample.ExitCode == 0, sample.ToString());
        var table = Csv.ReadTable(output);
        Assert.Equal(["dataset", "p(gaussian_linear)", "p(gaussian_linear_uniform)"], table.ColumnNames);
        var narrow = table.Values("p(gaussian_linear)");
        var uniform = table.Values("p(gaussian_linear_uniform)");
        Assert.Equal(1f, narrow[0] + uniform[0], 5);
        Assert.True(narrow[0] > 0.5f, $"p(gaussian_linear | x near 0) = {narrow[0]}");
        Assert.True(uniform[1] > 0.9f, $"p(gaussian_linear_uniform | |x| near 0.9) = {uniform[1]}");
    }

    [Theory]
    [InlineData("fit --method model-comparison", "fit --method model-comparison needs --models TASK,TASK[,...]")]
    [InlineData("fit two_moons --method model-comparison --models two_moons,gaussian_mixture", "leave out TASK (got 'two_moons')")]
    [InlineData("fit --method model-comparison --models two_moons", "--models names 1 task(s); model comparison needs at least 2")]
    [InlineData("fit --method model-comparison --models two_moons,two-moons", "--models names a task twice")]
    [InlineData("fit --method model-comparison --models two_moons,gaussian_linear", "the tasks' data differ: 'two_moons' simulates x [2] but 'gaussian_linear' simulates x [10]")]
    [InlineData("fit --method model-comparison --models two_moons,gaussian_mixture --quantile-levels 0.1,0.9", "--quantile-levels is for --method point")]
    [InlineData("fit --method point", "fit --method point needs a TASK")]
    [InlineData("fit two_moons --method point --inference-network spline", "--inference-network spline: --method point trains a scoring-rule head")]
    [InlineData("fit two_moons --method point --no-conditional-affine", "--method point has none")]
    [InlineData("fit two_moons --method point --models two_moons,gaussian_mixture", "--models names the tasks of --method model-comparison; got --method point")]
    [InlineData("fit two_moons --method point --quantile-levels 0.5", "--quantile-levels gives 1 level(s); expected at least 2")]
    [InlineData("fit two_moons --method point --quantile-levels 0.9,0.1", "--quantile-levels: level 2 is 0.1; expected levels strictly increasing in (0, 1)")]
    [InlineData("fit two_moons --method point --quantile-levels 0.1,high", "--quantile-levels: 'high' is not a number")]
    [InlineData("fit two_moons --models two_moons,gaussian_mixture", "--models names the tasks of --method model-comparison; got --method posterior")]
    [InlineData("fit two_moons --quantile-levels 0.1,0.9", "--quantile-levels is for --method point; got --method posterior")]
    [InlineData("fit --method point --data sims.npz --inference-variables theta --inference-conditions x", "--data is for --method posterior")]
    public void BadCombinations_ExitTwoWithAClearMessage_BeforeTouchingTheFolder(string command, string message)
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        var result = CliRunner.Run([.. command.Split(' '), "--out", dir]);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(message, result.Error);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Help_DescribesTheMethodsAndTheModels()
    {
        var help = CliRunner.Run("fit", "--help");
        Assert.Contains("model-comparison", help.Output);
        Assert.Contains("--models", help.Output);
        Assert.Contains("--quantile-levels", help.Output);
        Assert.Contains(string.Join(",", new[] { 0.05, 0.25, 0.5, 0.75, 0.95 }.Select(l => l.ToString(CultureInfo.InvariantCulture))), help.Output);
    }
}
