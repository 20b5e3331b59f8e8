using System.Text.Json;
using Xunit;

namespace Amortized.Cli.Tests;

/// <summary>
/// The defaults <c>fit</c> chooses when the user names none: the budget rules of TrainingDefaults, which the
/// accuracy benchmark measured (coupling flow, affine below 5,000 simulations and spline from there).
/// </summary>
public sealed class FitDefaultsTests
{
    [Theory]
    [InlineData(1000, "coupling")]
    [InlineData(10000, "spline")]
    public void FixedBudget_PicksTheCouplingTransformByItsSize(int simulations, string network)
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        var fit = CliRunner.Run("fit", "two_moons", "--simulations", simulations.ToString(), "--epochs", "1",
            "--threads", "1", "--no-report", "--out", dir);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")));
        Assert.Equal(network, run.RootElement.GetProperty("inference_network").GetString());
        // Offline batches of 64 by default: 90% of the budget in one epoch.
        Assert.Equal(64, run.RootElement.GetProperty("batch_size").GetInt32());
        Assert.Equal((simulations * 9 / 10 + 63) / 64, run.RootElement.GetProperty("steps").GetInt64());
    }

    [Fact]
    public void NamedNetwork_WinsOverTheRule()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        var fit = CliRunner.Run("fit", "two_moons", "--simulations", "10000", "--epochs", "1", "--threads", "1",
            "--inference-network", "coupling", "--no-report", "--out", dir);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")));
        Assert.Equal("coupling", run.RootElement.GetProperty("inference_network").GetString());
    }

    [Fact]
    public void ConditionalAffine_IsOnByDefault_AndCanBeLeftOut()
    {
        string on = Path.Combine(CliRunner.TempDir(), "on"), off = Path.Combine(CliRunner.TempDir(), "off");
        Assert.Equal(0, CliRunner.Run("fit", "gaussian_linear", "--simulations", "500", "--epochs", "1", "--threads",
            "1", "--no-report", "--out", on).ExitCode);
        Assert.Equal(0, CliRunner.Run("fit", "gaussian_linear", "--simulations", "500", "--epochs", "1", "--threads",
            "1", "--no-report", "--no-conditional-affine", "--out", off).ExitCode);
        Assert.True(Amortized.Inference.Serialization.ApproximatorFile.Load(Path.Combine(on, "model.amz"))
            .Spec!.CouplingFlow!.ConditionalAffine);
        Assert.False(Amortized.Inference.Serialization.ApproximatorFile.Load(Path.Combine(off, "model.amz"))
            .Spec!.CouplingFlow!.ConditionalAffine);
        var both = CliRunner.Run("fit", "gaussian_linear", "--conditional-affine", "--no-conditional-affine", "--out",
            Path.Combine(CliRunner.TempDir(), "both"));
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("contradict", both.Error);
    }

    [Fact]
    public void WeightDecay_OnlyForFixedBudgetsOfEightOrMoreVariables()
    {
        CliRunner.Result Fit(params string[] args) => CliRunner.Run(["fit", .. args, "--epochs", "1",
            "--batches-per-epoch", "2", "--threads", "1", "--no-report", "--out",
            Path.Combine(CliRunner.TempDir(), "run")]);
        var tenOffline = Fit("gaussian_linear", "--simulations", "500");
        Assert.True(tenOffline.ExitCode == 0, tenOffline.ToString());
        Assert.Contains("weight decay 1: a coupling flow of 10 variables on a fixed budget", tenOffline.ToString());
        var twoOffline = Fit("two_moons", "--simulations", "500");
        Assert.True(twoOffline.ExitCode == 0, twoOffline.ToString());
        Assert.DoesNotContain("weight decay", twoOffline.ToString());
        var tenOnline = Fit("gaussian_linear");
        Assert.True(tenOnline.ExitCode == 0, tenOnline.ToString());
        Assert.DoesNotContain("weight decay", tenOnline.ToString());
    }
}
