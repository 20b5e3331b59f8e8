using Amortized.Inference.Serialization;
using Xunit;

namespace Amortized.Cli.Tests;

/// <summary><c>fit --inference-network flow-matching --flow-matching-ot --time-embedding N</c>.</summary>
public sealed class FitFlowMatchingTests
{
    private static readonly string[] Tiny = ["--epochs", "1", "--batches-per-epoch", "8", "--batch-size", "32",
        "--threads", "1", "--no-report"];

    private static CliRunner.Result Fit(params string[] args) => CliRunner.Run(["fit", .. args, .. Tiny]);

    [Fact]
    public void Options_AreInTheSavedModel_AndTheModelSamples()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        var fit = Fit("two_moons", "--out", dir, "--inference-network", "flow-matching", "--flow-matching-ot",
            "--time-embedding", "4");
        Assert.True(fit.ExitCode == 0, fit.ToString());
        var approximator = ApproximatorFile.Load(Path.Combine(dir, "model.amz"));
        Assert.True(approximator.Spec!.FlowMatching!.OptimalTransport);
        Assert.Equal(4, approximator.Spec.FlowMatching.TimeEmbeddingFrequencies);
        Assert.Contains("OT, Fourier time x4", approximator.InferenceNetwork.ToString());
        string obs = Path.Combine(dir, "obs.csv"), draws = Path.Combine(dir, "draws.csv");
        File.WriteAllText(obs, "x_1,x_2\n0.0,0.0\n");
        Assert.Equal(0, CliRunner.Run("sample", dir, "--observation", obs, "--samples", "20", "--out", draws).ExitCode);
    }

    [Fact]
    public void Resume_WithOtherFlowMatchingOptions_IsRefused()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        Assert.Equal(0, Fit("two_moons", "--out", dir, "--inference-network", "flow-matching", "--flow-matching-ot")
            .ExitCode);
        var resumed = Fit("two_moons", "--out", dir, "--inference-network", "flow-matching", "--resume");
        Assert.NotEqual(0, resumed.ExitCode);
        Assert.Contains("flow_matching_ot", resumed.Error);
    }

    [Theory]
    [InlineData("--flow-matching-ot")]
    [InlineData("--time-embedding", "3")]
    public void Options_WithoutFlowMatching_ExitTwo(params string[] option)
    {
        var fit = Fit(["two_moons", "--out", Path.Combine(CliRunner.TempDir(), "run"), .. option]);
        Assert.Equal(2, fit.ExitCode);
        Assert.Contains(option[0], fit.Error);
        Assert.Contains("--inference-network flow-matching", fit.Error);
    }

    [Fact]
    public void Options_WithThePointMethod_ExitTwo()
    {
        var fit = Fit("two_moons", "--out", Path.Combine(CliRunner.TempDir(), "run"), "--method", "point",
            "--flow-matching-ot");
        Assert.Equal(2, fit.ExitCode);
        Assert.Contains("--flow-matching-ot", fit.Error);
        Assert.Contains("--method point", fit.Error);
    }

    [Fact]
    public void TimeEmbedding_OutOfRange_ExitTwo()
    {
        var fit = Fit("two_moons", "--out", Path.Combine(CliRunner.TempDir(), "run"), "--inference-network",
            "flow-matching", "--time-embedding", "17");
        Assert.Equal(2, fit.ExitCode);
        Assert.Contains("--time-embedding", fit.Error);
    }
}
