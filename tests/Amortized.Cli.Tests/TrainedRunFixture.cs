namespace Amortized.Cli.Tests;

/// <summary>One tiny two_moons run shared by the tests that only read a run folder.</summary>
public sealed class TrainedRunFixture : IDisposable
{
    public TrainedRunFixture()
    {
        Root = CliRunner.TempDir();
        RunDir = Path.Combine(Root, "run");
        Fit = CliRunner.Run("fit", "two-moons", "--out", RunDir, "--epochs", "2", "--batches-per-epoch", "20", "--batch-size", "64",
            "--seed", "3", "--threads", "1", "--diagnostic-datasets", "30", "--diagnostic-samples", "100");
    }

    public string Root { get; }
    public string RunDir { get; }
    internal CliRunner.Result Fit { get; }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
