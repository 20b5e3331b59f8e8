using System.Diagnostics;
using System.Globalization;
using Amortized.Inference.FileFormats;
using Amortized.Tensors;
using Amortized.Testing;
using Xunit;

namespace Amortized.Cli.Tests;

/// <summary>
/// <c>amortized fit --data FOLDER</c> on manifest-free folders (npz written by NumPy, npy groups, hostile ones) and
/// <c>--follow</c> on a folder that grows while training.
/// </summary>
public sealed class ShardFolderCliTests
{
    private static readonly string[] Tiny = ["--epochs", "2", "--batches-per-epoch", "10", "--batch-size", "32",
        "--threads", "1", "--diagnostic-datasets", "12", "--diagnostic-samples", "40"];

    internal static string Python => ExternalTools.Python ?? "/usr/bin/python3";

    internal static bool Run(string file, string arguments, out string output)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var stderr = process.StandardError.ReadToEndAsync();
            output = process.StandardOutput.ReadToEnd() + stderr.GetAwaiter().GetResult();
            if (!process.WaitForExit(120_000)) process.Kill();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            output = e.Message;
            return false;
        }
    }

    private static CliRunner.Result Fit(string data, string run, params string[] more) =>
        CliRunner.Run(["fit", "--data", data, "--inference-variables", "theta", "--inference-conditions", "x",
            "--out", run, .. more, .. Tiny]);

    /// <summary>Shards of theta ~ N(0, I_2), x = theta + N(0, 0.25 I_2), written by NumPy.</summary>
    private static void WriteWithNumPy(string folder, int shards, bool groups)
    {
        string script = Path.Combine(Path.GetDirectoryName(folder)!, "write.py");
        File.WriteAllText(script, $$"""
            import os, sys
            import numpy as np
            folder, shards, groups = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "groups"
            os.makedirs(folder, exist_ok=True)
            for i in range(shards):
                rng = np.random.default_rng(i)
                theta = rng.standard_normal((150, 2)).astype(np.float32)
                x = theta + 0.5 * rng.standard_normal((150, 2))   # float64, as NumPy makes it
                if groups:
                    tmp = os.path.join(folder, "_part-%d.tmp" % i)
                    os.makedirs(tmp)
                    np.save(os.path.join(tmp, "theta.npy"), theta)
                    np.save(os.path.join(tmp, "x.npy"), x)
                    os.replace(tmp, os.path.join(folder, "part-%d" % i))
                else:
                    tmp = os.path.join(folder, ".part-%d.npz.tmp" % i)
                    with open(tmp, "wb") as f:
                        np.savez(f, theta=theta, x=x)
                    os.replace(tmp, os.path.join(folder, "part-%d.npz" % i))
            open(os.path.join(folder, "_SUCCESS"), "w").close()
            """);
        Assert.True(Run(Python, $"\"{script}\" \"{folder}\" {shards} {(groups ? "groups" : "npz")}", out string output),
            output);
    }

    [PythonFact]
    public void NpzWrittenByNumPy_NoManifest_Trains()
    {
        string root = CliRunner.TempDir();
        string data = Path.Combine(root, "shards"), run = Path.Combine(root, "run");
        WriteWithNumPy(data, shards: 12, groups: false);   // part-10 and part-11 sort after part-9
        var dataset = ShardedDataset.Open(data);
        Assert.Equal(["part-0.npz", "part-1.npz", "part-2.npz"], Enumerable.Range(0, 3).Select(dataset.ShardName));
        Assert.Equal("part-11.npz", dataset.ShardName(11));
        Assert.Equal(NpyDType.Float64, dataset.DType("x"));
        var fit = Fit(data, run);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.True(File.Exists(Path.Combine(run, "model.amz")));
        Assert.True(File.Exists(Path.Combine(run, "report.html")));
    }

    [PythonFact]
    public void NpyGroupsWrittenByNumPy_Train()
    {
        string root = CliRunner.TempDir();
        string data = Path.Combine(root, "groups"), run = Path.Combine(root, "run");
        WriteWithNumPy(data, shards: 3, groups: true);
        Assert.Equal(450, ShardedDataset.Open(data).Count);
        var fit = Fit(data, run);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.True(File.Exists(Path.Combine(run, "model.amz")));
    }

    private static void Shard(string folder, string name, int rows, int thetaWidth = 2, int seed = 0)
    {
        var rng = new Rng((ulong)seed);
        var theta = new float[rows * thetaWidth];
        var x = new float[rows * 2];
        rng.FillNormal(theta);
        rng.FillNormal(x);
        Directory.CreateDirectory(folder);
        Npy.WriteNpz(Path.Combine(folder, name),
            [new("theta", NpyArray.FromFloats(theta, rows, thetaWidth)), new("x", NpyArray.FromFloats(x, rows, 2))]);
    }

    [Fact]
    public void HostileFolders_ExitTwoNamingTheShard()
    {
        string root = CliRunner.TempDir();
        string run = Path.Combine(root, "run");

        string disagree = Path.Combine(root, "disagree");
        Shard(disagree, "part-0.npz", 100);
        Shard(disagree, "part-1.npz", 100, thetaWidth: 3);
        var shape = Fit(disagree, run);
        CommandTests.AssertBadInput(shape, "part-1.npz: key 'theta' has rows of shape (3,); expected (2,) as in " +
            "the first shard 'part-0.npz'");

        string empty = Directory.CreateDirectory(Path.Combine(root, "empty")).FullName;
        CommandTests.AssertBadInput(Fit(empty, run), "has no manifest.json and no shards");

        string stray = Path.Combine(root, "stray");
        Shard(stray, "part-0.npz", 100);
        File.WriteAllText(Path.Combine(stray, "notes.txt"), "not data");
        CommandTests.AssertBadInput(Fit(stray, run), "'notes.txt' is not a shard of any known format");
        Assert.False(File.Exists(Path.Combine(run, "model.amz")));
    }

    [Fact]
    public void Follow_UsageErrors_ExitTwo()
    {
        string root = CliRunner.TempDir();
        string run = Path.Combine(root, "run");
        CommandTests.AssertBadInput(CliRunner.Run("fit", "two_moons", "--follow", "--out", run), "--follow trains on one folder");
        CommandTests.AssertBadInput(Fit(Path.Combine(root, "absent"), run, "--follow"), "does not exist");
        Shard(root, "file.npz", 50);
        CommandTests.AssertBadInput(Fit(Path.Combine(root, "file.npz"), run, "--follow"), "is a file");
        CommandTests.AssertBadInput(Fit(root, run, "--follow-timeout", "5s"), "--follow-timeout is an option of --follow");
    }

    [Fact]
    public void Follow_ShardsLandBetweenEpochs_PoolGrowsAndModelIsWritten()
    {
        string root = CliRunner.TempDir();
        string data = Path.Combine(root, "shards"), run = Path.Combine(root, "run");
        Shard(data, "part-0.npz", 200);
        // The producer: after each epoch another shard lands (atomically); after the fourth, _SUCCESS.
        int written = 1;
        void Produce(string path, Amortized.Inference.Workflows.TrainingHistory history)
        {
            if (!path.StartsWith(root, StringComparison.Ordinal) || written >= 4) return;
            Shard(data, string.Create(CultureInfo.InvariantCulture, $"part-{written}.npz"), 200, seed: written);
            if (++written == 4) File.WriteAllText(Path.Combine(data, "_SUCCESS"), "");
        }
        FitRunner.AfterHistoryWritten += Produce;
        CliRunner.Result fit;
        try
        {
            fit = CliRunner.Run(["fit", "--data", data, "--follow", "--inference-variables", "theta",
                "--inference-conditions", "x", "--out", run, "--epochs", "5", "--batches-per-epoch", "6",
                "--batch-size", "32", "--threads", "1", "--diagnostic-datasets", "12", "--diagnostic-samples", "40"]);
        }
        finally { FitRunner.AfterHistoryWritten -= Produce; }
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.Contains("follow: epoch 1 trains on 1 shards, 200 rows (1 new, 0 trained on so far)", fit.Output);
        Assert.Contains("follow: epoch 2 trains on 2 shards, 400 rows (1 new", fit.Output);
        Assert.Contains("follow: epoch 4 trains on 4 shards, 800 rows (1 new", fit.Output);
        Assert.Contains("follow: epoch 5 trains on 4 shards, 800 rows (0 new", fit.Output);
        Assert.Contains("folder complete", fit.Output);
        Assert.DoesNotContain("optimistic", fit.Output);
        Assert.True(File.Exists(Path.Combine(run, "model.amz")));
    }

    [Fact]
    public void Follow_ProducerGoesQuiet_StopsAtTheTimeoutAndKeepsTheModel()
    {
        string root = CliRunner.TempDir();
        string data = Path.Combine(root, "shards"), run = Path.Combine(root, "run");
        Shard(data, "part-0.npz", 200);
        var fit = CliRunner.Run(["fit", "--data", data, "--follow", "--follow-timeout", "1s",
            "--inference-variables", "theta", "--inference-conditions", "x", "--out", run, "--epochs", "100000",
            "--batches-per-epoch", "2", "--batch-size", "32", "--threads", "1", "--no-report"]);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.Contains("follow: no new shard in", fit.Output);
        Assert.Contains("(follow timeout)", fit.Output);
        Assert.True(File.Exists(Path.Combine(run, "model.amz")));
    }
}
