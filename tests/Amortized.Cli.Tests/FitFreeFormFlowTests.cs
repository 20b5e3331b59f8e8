using Amortized.Inference.FileFormats;
using Amortized.Inference.Serialization;
using Amortized.Networks.Flows;
using Xunit;

namespace Amortized.Cli.Tests;

/// <summary><c>fit --inference-network free-form-flow</c> and <c>fit --base-mixture K</c>.</summary>
public sealed class FitFreeFormFlowTests
{
    private static readonly string[] Tiny = ["--epochs", "1", "--batches-per-epoch", "8", "--batch-size", "32",
        "--threads", "1", "--no-report"];

    private static CliRunner.Result Fit(params string[] args) => CliRunner.Run(["fit", .. args, .. Tiny]);

    private static void AssertSamples(string dir)
    {
        string obs = Path.Combine(dir, "obs.csv"), draws = Path.Combine(dir, "draws.csv");
        File.WriteAllText(obs, "x_1,x_2\n0.0,0.0\n");
        var sample = CliRunner.Run("sample", dir, "--observation", obs, "--samples", "20", "--out", draws);
        Assert.True(sample.ExitCode == 0, sample.ToString());
        Assert.Equal(20, Csv.ReadTable(draws).RowCount);
    }

    [Fact]
    public void FreeFormFlow_TrainsSavesAndSamples()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        var fit = Fit("two_moons", "--out", dir, "--inference-network", "free-form-flow");
        Assert.True(fit.ExitCode == 0, fit.ToString());
        var approximator = ApproximatorFile.Load(Path.Combine(dir, "model.amz"));
        Assert.IsType<FreeFormFlow>(approximator.InferenceNetwork);
        Assert.Equal(50, approximator.Spec!.FreeFormFlow!.Beta);
        using (var run = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json"))))
            Assert.Equal("free-form-flow", run.RootElement.GetProperty("inference_network").GetString());
        AssertSamples(dir);
    }

    [Fact]
    public void BaseMixture_IsInTheSavedModel_AndTheModelSamples()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        var fit = Fit("two_moons", "--out", dir, "--inference-network", "spline", "--base-mixture", "4");
        Assert.True(fit.ExitCode == 0, fit.ToString());
        var approximator = ApproximatorFile.Load(Path.Combine(dir, "model.amz"));
        Assert.Equal(4, approximator.Spec!.CouplingFlow!.BaseMixtureComponents);
        Assert.Contains("mixture base x4", approximator.InferenceNetwork.ToString());
        AssertSamples(dir);
        // Another mixture size has other parameter shapes: the checkpoint's restore refuses it, naming the mixture.
        var resumed = Fit("two_moons", "--out", dir, "--inference-network", "spline", "--base-mixture", "3", "--resume");
        Assert.NotEqual(0, resumed.ExitCode);
        Assert.Contains("inference.base.logits", resumed.Error);
    }

    [Theory]
    [InlineData("--inference-network", "free-form-flow")]
    [InlineData("--inference-network", "flow-matching")]
    [InlineData("--method", "point")]
    public void BaseMixture_WithoutACouplingFlow_ExitsTwo(params string[] other)
    {
        var fit = Fit(["two_moons", "--out", Path.Combine(CliRunner.TempDir(), "run"), "--base-mixture", "3", .. other]);
        Assert.Equal(2, fit.ExitCode);
        Assert.Contains("--base-mixture", fit.Error);
    }

    [Fact]
    public void BaseMixture_OutOfRange_ExitsTwo()
    {
        var fit = Fit("two_moons", "--out", Path.Combine(CliRunner.TempDir(), "run"), "--base-mixture", "65");
        Assert.Equal(2, fit.ExitCode);
        Assert.Contains("--base-mixture", fit.Error);
    }
}
