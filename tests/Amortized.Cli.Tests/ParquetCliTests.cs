using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Amortized.Parquet;
using Xunit;

namespace Amortized.Cli.Tests;

/// <summary>
/// Parquet on the command line: <c>simulate --format parquet [--shards K]</c>, <c>fit --data</c> on Parquet files,
/// Parquet observations, npz shards with a manifest, and bad input exiting 2.
/// </summary>
public sealed class ParquetCliTests
{
    private static readonly string[] Tiny = ["--epochs", "1", "--batches-per-epoch", "8", "--batch-size", "32",
        "--threads", "1", "--diagnostic-datasets", "12", "--diagnostic-samples", "40"];

    private static readonly string[] Keys = ["--inference-variables", "theta", "--inference-conditions", "x"];

    private static CliRunner.Result Fit(params string[] args) => CliRunner.Run(["fit", .. args, .. Keys, .. Tiny]);

    [Fact]
    public void Simulate_Parquet_IsTheSameDataAsNpz_AndFitTrainsOnIt()
    {
        string root = CliRunner.TempDir();
        string parquet = Path.Combine(root, "sims.parquet"), npz = Path.Combine(root, "sims.npz");
        Assert.Equal(0, CliRunner.Run("simulate", "two_moons", "--n", "300", "--out", parquet, "--seed", "2").ExitCode);
        Assert.Equal(0, CliRunner.Run("simulate", "two_moons", "--n", "300", "--out", npz, "--seed", "2").ExitCode);
        SimulationBatch a = ParquetFiles.Read(parquet), b = Npy.ReadBatch(npz);
        Assert.Equal(b.Keys, a.Keys);
        foreach (string key in b.Keys)
        {
            Assert.Equal(b.Shape(key).ToArray(), a.Shape(key).ToArray());
            Assert.Equal(b.Get(key), a.Get(key));
        }

        string run = Path.Combine(root, "run");
        var fit = Fit("--data", parquet, "--out", run);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.True(File.Exists(Path.Combine(run, "model.amz")));
        Assert.Contains("\"simulations\": 270", File.ReadAllText(Path.Combine(run, "run.json")));

        // Observations from Parquet too.
        string obs = Path.Combine(root, "obs.parquet"), draws = Path.Combine(root, "draws.csv");
        ParquetFiles.Write(obs, new SimulationBatch(2).Set("x", [0.1f, 0.1f, -0.2f, 0.3f], 2, 2), 1);
        var sample = CliRunner.Run("sample", run, "--observation", obs, "--samples", "10", "--out", draws);
        Assert.True(sample.ExitCode == 0, sample.ToString());
        Assert.Equal(2 * 10, Csv.ReadTable(draws).RowCount);
    }

    [Fact]
    public void Simulate_ParquetShards_WritesKFiles_ThatFitStacksByRows()
    {
        string root = CliRunner.TempDir();
        string folder = Path.Combine(root, "sims");
        var sim = CliRunner.Run("simulate", "two_moons", "--n", "301", "--out", folder, "--format", "parquet",
            "--shards", "3", "--seed", "5");
        Assert.True(sim.ExitCode == 0, sim.ToString());
        string[] files = [.. Directory.GetFiles(folder).Order(StringComparer.Ordinal)];
        Assert.Equal(["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"], files.Select(Path.GetFileName));
        Assert.Equal([100, 100, 101], files.Select(f => ParquetFiles.Read(f).BatchSize));

        string run = Path.Combine(root, "run");
        var fit = Fit(["--data", .. files, "--out", run]);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.Contains("\"simulations\": 271", File.ReadAllText(Path.Combine(run, "run.json")));
    }

    /// <summary>A folder of Parquet shards without a manifest, read as one dataset (the registered Parquet format).</summary>
    [Fact]
    public void Simulate_ParquetShards_FolderTrainsWithoutManifest()
    {
        string root = CliRunner.TempDir();
        string folder = Path.Combine(root, "sims"), run = Path.Combine(root, "run");
        Assert.Equal(0, CliRunner.Run("simulate", "two_moons", "--n", "400", "--out", folder, "--format", "parquet",
            "--shards", "4", "--seed", "5").ExitCode);
        var fit = Fit("--data", folder, "--out", run);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.True(File.Exists(Path.Combine(run, "model.amz")));
    }

    /// <summary>
    /// <c>fit --data FILE.parquet --stream</c>: the file's row groups stream from disk as shards (a data set larger
    /// than memory trains the same way); --stream without files or with a folder is a usage error.
    /// </summary>
    [Fact]
    public void Stream_ParquetFile_TrainsRowGroupByRowGroup()
    {
        string root = CliRunner.TempDir();
        string npz = Path.Combine(root, "sims.npz"), parquet = Path.Combine(root, "sims.parquet");
        Assert.Equal(0, CliRunner.Run("simulate", "two_moons", "--n", "600", "--out", npz, "--seed", "4").ExitCode);
        ParquetFiles.Write(parquet, Npy.ReadBatch(npz), rowGroupSize: 100);

        string run = Path.Combine(root, "run");
        var fit = Fit("--data", parquet, "--stream", "--out", run);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.Contains("streaming from disk", fit.ToString());
        Assert.True(File.Exists(Path.Combine(run, "model.amz")));

        var noFiles = CliRunner.Run(["fit", "two_moons", "--stream", "--out", Path.Combine(root, "r2"), .. Tiny]);
        Assert.Equal(2, noFiles.ExitCode);
        Assert.Contains("--stream", noFiles.Error);
        var folder = Fit("--data", root, "--data", parquet, "--stream", "--out", Path.Combine(root, "r3"));
        Assert.Equal(2, folder.ExitCode);
        Assert.Contains("is a folder", folder.Error);
    }

    [Fact]
    public void Simulate_NpzShards_WritesAManifestFolder_ThatFitStreams()
    {
        string root = CliRunner.TempDir();
        string folder = Path.Combine(root, "shards"), run = Path.Combine(root, "run");
        var sim = CliRunner.Run("simulate", "two_moons", "--n", "400", "--out", folder, "--shards", "4");
        Assert.True(sim.ExitCode == 0, sim.ToString());
        var dataset = ShardedDataset.Open(folder);
        Assert.Equal(4, dataset.ShardCount);
        Assert.Equal(400, dataset.Count);
        var fit = Fit("--data", folder, "--out", run);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.True(File.Exists(Path.Combine(run, "model.amz")));
    }

    [Fact]
    public void BadInput_ExitsTwo_NamingTheProblem()
    {
        string root = CliRunner.TempDir();
        string file = Path.Combine(root, "x.parquet");
        CommandTests.AssertBadInput(CliRunner.Run("simulate", "two_moons", "--n", "10", "--out", Path.Combine(root, "s"),
            "--format", "csv", "--shards", "2"), "CSV has no sharded form");
        CommandTests.AssertBadInput(CliRunner.Run("simulate", "two_moons", "--n", "10", "--out",
            Path.Combine(root, "a.npz"), "--format", "parquet"), "must end in .parquet");
        CommandTests.AssertBadInput(CliRunner.Run("simulate", "two_moons", "--n", "10", "--out",
            Path.Combine(root, "a.json")), "must end in .npz, .csv or .parquet");
        CommandTests.AssertBadInput(CliRunner.Run("simulate", "two_moons", "--n", "2", "--out",
            Path.Combine(root, "f"), "--shards", "3"), "--shards 3 is more than --n 2");
        CommandTests.AssertBadInput(CliRunner.Run("simulate", "two_moons", "--n", "10", "--out", file,
            "--format", "arrow"), "--format");

        File.WriteAllBytes(file, [.. "PAR1"u8, 1, 2, 3, 4, 5, 6, 7, 8, .. "PAR1"u8]);
        CommandTests.AssertBadInput(Fit("--data", file, "--out", Path.Combine(root, "r")), file);
    }
}
