using Amortized.Inference.FileFormats;
using Amortized.Inference.Serialization;
using Amortized.Networks.Flows;
using Xunit;

namespace Amortized.Cli.Tests;

/// <summary>
/// <c>fit --inference-network consistency [--consistency-steps N]</c>: train, save, sample and report; the likelihood
/// method and the log density refused (exit 2), since a consistency model has no density.
/// </summary>
public sealed class FitConsistencyTests
{
    private static readonly string[] Tiny = ["--epochs", "1", "--batches-per-epoch", "8", "--batch-size", "32",
        "--threads", "1"];

    private static CliRunner.Result Fit(params string[] args) => CliRunner.Run(["fit", .. args, .. Tiny]);

    [Fact]
    public void FitsWithItsReport_SavesTheSteps_AndSamples_ButHasNoLogDensity()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        // With the report: its diagnostics sample the posterior and need no density.
        var fit = Fit("two_moons", "--out", dir, "--inference-network", "consistency", "--consistency-steps", "2",
            "--diagnostic-datasets", "12", "--diagnostic-samples", "40");
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.True(File.Exists(Path.Combine(dir, "report.html")));
        var approximator = ApproximatorFile.Load(Path.Combine(dir, "model.amz"));
        var cm = Assert.IsType<ConsistencyModel>(approximator.InferenceNetwork);
        Assert.Equal(2, cm.Options.SamplingSteps);
        Assert.Null(cm.Options.TotalSteps);   // the trainer planned it: 1 epoch x 8 batches
        string obs = Path.Combine(dir, "obs.csv"), draws = Path.Combine(dir, "draws.csv");
        File.WriteAllText(obs, "x_1,x_2\n0.0,0.0\n");
        var sample = CliRunner.Run("sample", dir, "--observation", obs, "--samples", "20", "--out", draws);
        Assert.True(sample.ExitCode == 0, sample.ToString());
        Assert.Equal(20, Csv.ReadTable(draws).RowCount);
        Assert.All(Csv.ReadTable(draws).Values("theta_1"), v => Assert.True(float.IsFinite(v)));
        // Its sampler is tensor ops only, so it samples on a device too: ILGPU's CPU emulator draws what the CPU does.
        string onDevice = Path.Combine(dir, "device.csv");
        var device = CliRunner.Run("sample", dir, "--observation", obs, "--samples", "20", "--out", onDevice,
            "--device", "ilgpu-cpu");
        Assert.True(device.ExitCode == 0, device.ToString());
        var (x, y) = (Csv.ReadTable(draws).Values("theta_2"), Csv.ReadTable(onDevice).Values("theta_2"));
        for (int i = 0; i < x.Length; i++)
            Assert.True(MathF.Abs(x[i] - y[i]) < 1e-3f, $"theta_2[{i}]: {y[i]} on the device, {x[i]} on the CPU");

        string parameters = Path.Combine(dir, "theta.csv"), logq = Path.Combine(dir, "logq.csv");
        File.WriteAllText(parameters, "theta_1,theta_2\n0.1,0.2\n");
        var logProb = CliRunner.Run("log-prob", dir, "--observation", obs, "--parameters", parameters,
            "--out", logq);
        Assert.Equal(2, logProb.ExitCode);
        Assert.Contains("no density", logProb.Error);
        Assert.False(File.Exists(logq));
    }

    [Fact]
    public void LikelihoodMethod_ExitsTwo_SayingThereIsNoDensity()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        var fit = Fit("two_moons", "--out", dir, "--method", "likelihood", "--inference-network", "consistency");
        Assert.Equal(2, fit.ExitCode);
        Assert.Contains("--inference-network consistency has no density", fit.Error);
        Assert.Contains("--method likelihood", fit.Error);
        Assert.False(File.Exists(Path.Combine(dir, "model.amz")));
    }

    [Theory]
    [InlineData("--inference-network", "flow-matching")]
    [InlineData("--method", "point")]
    public void ConsistencySteps_WithoutTheConsistencyPosterior_ExitsTwo(string option, string value)
    {
        var fit = Fit("two_moons", "--out", Path.Combine(CliRunner.TempDir(), "run"), option, value,
            "--consistency-steps", "3");
        Assert.Equal(2, fit.ExitCode);
        Assert.Contains("--consistency-steps", fit.Error);
    }

    [Fact]
    public void ConsistencySteps_OutOfRange_ExitsTwo()
    {
        var fit = Fit("two_moons", "--out", Path.Combine(CliRunner.TempDir(), "run"), "--inference-network",
            "consistency", "--consistency-steps", "0");
        Assert.Equal(2, fit.ExitCode);
        Assert.Contains("--consistency-steps", fit.Error);
    }
}
