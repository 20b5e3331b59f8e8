using Amortized.Cli;
using Xunit;

namespace Amortized.Cli.Tests;

/// <summary>
/// Signed models through the command line: with AMORTIZED_MODEL_KEY_FILE set, <c>fit</c> signs model.amz
/// (HMAC-SHA-256) and the commands that load a model refuse one not signed with that key.
/// </summary>
public sealed class ModelKeyTests(TrainedRunFixture unsigned) : IClassFixture<TrainedRunFixture>
{
    private static Dictionary<string, string> KeyFile(string dir, string name, byte fill, int length = 32)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, Enumerable.Range(0, length).Select(i => (byte)(fill + i)).ToArray());
        return new() { [CliContext.ModelKeyVariable] = path };
    }

    [Fact]
    public void FitSigns_AndSampleAcceptsOnlyTheSameKey()
    {
        string dir = CliRunner.TempDir(), run = Path.Combine(dir, "run"), obs = Path.Combine(dir, "obs.csv");
        File.WriteAllText(obs, "x_1,x_2\n0.1,-0.2\n");
        var mine = KeyFile(dir, "mine.key", 1);
        var other = KeyFile(dir, "other.key", 101);
        var fit = CliRunner.RunWith(mine, "fit", "two-moons", "--out", run, "--epochs", "1", "--batches-per-epoch",
            "10", "--batch-size", "64", "--seed", "4", "--threads", "1", "--no-report");
        Assert.True(fit.ExitCode == 0, fit.ToString());

        string[] sample = ["sample", run, "--observation", obs, "--samples", "20", "--out", Path.Combine(dir, "d.csv")];
        var signed = CliRunner.RunWith(mine, sample);
        Assert.True(signed.ExitCode == 0, signed.ToString());
        var wrong = CliRunner.RunWith(other, sample);
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("model.amz", wrong.Error);
        Assert.Contains("HMAC", wrong.Error, StringComparison.OrdinalIgnoreCase);
        // Without a key the signature is not checked: the key protects the one who holds it.
        Assert.Equal(0, CliRunner.Run(sample).ExitCode);
    }

    [Fact]
    public void UnsignedModel_WithAKeySet_IsRefused()
    {
        Assert.True(unsigned.Fit.ExitCode == 0, unsigned.Fit.ToString());
        string dir = CliRunner.TempDir(), obs = Path.Combine(dir, "obs.csv");
        File.WriteAllText(obs, "x_1,x_2\n0.1,-0.2\n");
        var run = CliRunner.RunWith(KeyFile(dir, "k", 7), "sample", unsigned.RunDir, "--observation", obs,
            "--samples", "20", "--out", Path.Combine(dir, "d.csv"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("model.amz", run.Error);
    }

    [Theory]
    [InlineData(3, "3 bytes")]
    [InlineData(-1, "does not exist")]
    public void BadKeyFile_ExitsTwo_BeforeTraining(int length, string reason)
    {
        string dir = CliRunner.TempDir(), run = Path.Combine(dir, "run");
        var environment = length < 0
            ? new Dictionary<string, string> { [CliContext.ModelKeyVariable] = Path.Combine(dir, "missing.key") }
            : KeyFile(dir, "short.key", 1, length);
        var fit = CliRunner.RunWith(environment, "fit", "two-moons", "--out", run, "--epochs", "50",
            "--threads", "1");
        Assert.Equal(2, fit.ExitCode);
        Assert.Contains(CliContext.ModelKeyVariable, fit.Error);
        Assert.Contains(reason, fit.Error);
        Assert.False(File.Exists(Path.Combine(run, "model.amz")));
    }
}
