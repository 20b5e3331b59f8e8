using Amortized.Inference.Serialization;
using Amortized.Networks.Flows;
using Xunit;

namespace Amortized.Cli.Tests;

/// <summary><c>fit --inference-network diffusion --diffusion-schedule S --diffusion-sampler M</c>, then <c>sample</c>.
/// </summary>
public sealed class FitDiffusionTests
{
    private static readonly string[] Tiny = ["--epochs", "1", "--batches-per-epoch", "8", "--batch-size", "32",
        "--threads", "1", "--no-report"];

    private static CliRunner.Result Fit(params string[] args) => CliRunner.Run(["fit", .. args, .. Tiny]);

    [Theory]
    [InlineData(NoiseScheduleKind.Edm, DiffusionSampler.Ode)]
    [InlineData(NoiseScheduleKind.Cosine, DiffusionSampler.Heun, "--diffusion-schedule", "cosine", "--diffusion-sampler", "heun")]
    [InlineData(NoiseScheduleKind.Edm, DiffusionSampler.Sde, "--diffusion-sampler", "sde")]
    public void Fit_SavesTheDiffusionModel_AndItSamples(NoiseScheduleKind schedule, DiffusionSampler sampler,
        params string[] options)
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        var fit = Fit(["two_moons", "--out", dir, "--inference-network", "diffusion", .. options]);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        var approximator = ApproximatorFile.Load(Path.Combine(dir, "model.amz"));
        var network = Assert.IsType<DiffusionModel>(approximator.InferenceNetwork);
        Assert.Equal((schedule, sampler), (network.Options.Schedule, network.Options.Sampler));
        string obs = Path.Combine(dir, "obs.csv"), draws = Path.Combine(dir, "draws.csv");
        File.WriteAllText(obs, "x_1,x_2\n0.0,0.0\n");
        var sample = CliRunner.Run("sample", dir, "--observation", obs, "--samples", "20", "--out", draws);
        Assert.True(sample.ExitCode == 0, sample.ToString());
        var lines = File.ReadAllLines(draws);
        Assert.Equal(21, lines.Length);   // a header and one line per draw
        Assert.All(lines.Skip(1), l => Assert.All(l.Split(','), v => Assert.True(double.IsFinite(
            double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)), l)));
    }

    [Theory]
    [InlineData("--diffusion-schedule", "cosine")]
    [InlineData("--diffusion-sampler", "sde")]
    public void Options_WithoutDiffusion_ExitTwo(params string[] option)
    {
        var fit = Fit(["two_moons", "--out", Path.Combine(CliRunner.TempDir(), "run"), "--inference-network",
            "flow-matching", .. option]);
        Assert.Equal(2, fit.ExitCode);
        Assert.Contains(option[0], fit.Error);
        Assert.Contains("--inference-network diffusion", fit.Error);
    }

    [Fact]
    public void UnknownSampler_ExitTwo()
    {
        var fit = Fit("two_moons", "--out", Path.Combine(CliRunner.TempDir(), "run"), "--inference-network",
            "diffusion", "--diffusion-sampler", "ddim");
        Assert.Equal(2, fit.ExitCode);
        Assert.Contains("--diffusion-sampler", fit.Error);
    }
}
