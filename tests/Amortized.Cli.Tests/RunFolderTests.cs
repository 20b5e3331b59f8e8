using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;

namespace Amortized.Cli.Tests;

/// <summary>
/// A run folder is a unit: one writer at a time, commits that a crash at any step leaves as the old or the new run,
/// stale files of killed writes removed, run.json checked against the model, settings of a resume checked.
/// </summary>
public sealed class RunFolderTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>, IDisposable
{
    private readonly string _dir = CliRunner.TempDir();

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    private static readonly string[] TinyFit = ["--epochs", "1", "--batches-per-epoch", "2", "--batch-size", "16",
        "--threads", "1", "--no-report"];

    /// <summary>A copy of the fixture's trained run (without its lock files), to edit or overwrite.</summary>
    private string CopyOfRun(string name)
    {
        Assert.True(run.Fit.ExitCode == 0, run.Fit.ToString());
        string target = Path.Combine(_dir, name);
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(run.RunDir, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(run.RunDir, file);
            if (Path.GetFileName(relative).StartsWith('.')) continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, relative))!);
            File.Copy(file, Path.Combine(target, relative));
        }
        return target;
    }

    [Fact]
    public void SecondWriter_IsRefusedWithExit2NamingTheFolder()
    {
        string folder = Path.Combine(_dir, "busy");
        using (RunFolderWriter.Acquire(folder, "--out"))
        {
            var second = CliRunner.Run(["fit", "two-moons", "--out", folder, .. TinyFit]);
            Assert.True(second.ExitCode == 2, second.ToString());
            Assert.Contains($"--out '{folder}' is in use", second.Error);
            Assert.Contains("another run", second.Error);
            Assert.Contains(Path.Combine(folder, ".lock"), second.Error);
        }
        // Released with the first writer: the folder can be written again.
        var third = CliRunner.Run(["fit", "two-moons", "--out", folder, .. TinyFit]);
        Assert.True(third.ExitCode == 0, third.ToString());
        Assert.False(Directory.Exists(Path.Combine(folder, ".pending")));
    }

    [Fact]
    public void Diagnose_OnAFolderBeingWritten_IsRefused()
    {
        string folder = CopyOfRun("diagnose-busy");
        using (RunFolderWriter.Acquire(folder, "--out"))
        {
            var result = CliRunner.Run("diagnose", folder, "--datasets", "10", "--samples", "20");
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Contains("is in use", result.Error);
        }
    }

    [Fact]
    public void OutThatIsAFile_Exit2WithClearMessage()
    {
        string file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "not a folder");
        var result = CliRunner.Run(["fit", "two-moons", "--out", file, .. TinyFit]);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"--out '{file}' is a file; expected a folder", result.Error);
        Assert.Equal("not a folder", File.ReadAllText(file));
    }

    /// <summary>
    /// The old run has model.amz, run.json, heldout.npz and figures/a.png; the new one replaces the first two and the
    /// figures (b.png) and has no heldout.npz. Every file holds "old NAME" or "new NAME".
    /// </summary>
    private static void StageOldAndNew(string folder, RunFolderWriter writer)
    {
        foreach (string name in new[] { "model.amz", "run.json", "heldout.npz" })
            File.WriteAllText(Path.Combine(folder, name), "old " + name);
        Directory.CreateDirectory(Path.Combine(folder, "figures"));
        File.WriteAllText(Path.Combine(folder, "figures", "a.png"), "old a.png");
        foreach (string name in new[] { "model.amz", "run.json" })
            File.WriteAllText(Path.Combine(writer.Staged.Path, name), "new " + name);
        Directory.CreateDirectory(Path.Combine(writer.Staged.Path, "figures"));
        File.WriteAllText(Path.Combine(writer.Staged.Path, "figures", "b.png"), "new b.png");
    }

    private static string Describe(string folder) => string.Join("; ",
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(folder, f).StartsWith('.'))
            .Select(f => $"{Path.GetRelativePath(folder, f)}={File.ReadAllText(f)}").Order(StringComparer.Ordinal));

    private sealed class Crash : Exception;

    [Fact]
    public void CommitInterruptedAtEveryStep_LeavesTheOldOrTheNewRunWhole()
    {
        const string Old = "figures/a.png=old a.png; heldout.npz=old heldout.npz; model.amz=old model.amz; " +
            "run.json=old run.json";
        const string New = "figures/b.png=new b.png; model.amz=new model.amz; run.json=new run.json";
        string[] names = ["model.amz", "run.json", "heldout.npz", "figures"];

        // The steps of an uninterrupted commit.
        var steps = new List<string>();
        string reference = Path.Combine(_dir, "reference");
        using (var writer = RunFolderWriter.Acquire(reference, "--out"))
        {
            StageOldAndNew(reference, writer);
            RunFolderWriter.AfterCommitStep = (f, step) => { if (f == writer.Folder.Path) steps.Add(step); };
            try { writer.Commit(names); }
            finally { RunFolderWriter.AfterCommitStep = null; }
        }
        Assert.Equal(New, Describe(reference));
        Assert.Equal(["flushed", "logged", "put model.amz", "put run.json", "delete heldout.npz", "put figures",
            "applied", "cleaned"], steps);

        for (int k = 0; k < steps.Count; k++)
        {
            string folder = Path.Combine(_dir, $"crash-{k}");
            var writer = RunFolderWriter.Acquire(folder, "--out");
            StageOldAndNew(folder, writer);
            string at = steps[k];
            RunFolderWriter.AfterCommitStep = (f, step) =>
            {
                if (f == writer.Folder.Path && step == at) throw new Crash();
            };
            try { Assert.Throws<Crash>(() => writer.Commit(names)); }
            finally
            {
                RunFolderWriter.AfterCommitStep = null;
                writer.Dispose();   // the kernel releases a killed process's lock the same way
            }

            // A reader finishes a logged commit; before the log the old run is untouched.
            RunFolder.Open(folder);
            Assert.True((k == 0 ? Old : New) == Describe(folder), $"crash after '{at}': {Describe(folder)}");
            Assert.False(File.Exists(Path.Combine(folder, ".commit")));
            // The next writer discards what was staged and never committed.
            using (RunFolderWriter.Acquire(folder, "--out"))
                Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(folder, ".pending")));
            Assert.Equal(k == 0 ? Old : New, Describe(folder));
        }
    }

    [Fact]
    public async Task Commit_WaitsForAReaderReadingTheRunAndModel()
    {
        string folder = Path.Combine(_dir, "reader");
        var writer = RunFolderWriter.Acquire(folder, "--out");
        StageOldAndNew(folder, writer);
        Task commit;
        using (RunFolderWriter.ReadLock(new RunFolder(folder)))
        {
            commit = Task.Run(() => writer.Commit(["model.amz", "run.json", "heldout.npz", "figures"]));
            // While the reader holds its shared lock the commit cannot switch the files under it.
            Assert.NotSame(commit, await Task.WhenAny(commit, Task.Delay(300)));
            Assert.Equal("old model.amz", File.ReadAllText(Path.Combine(folder, "model.amz")));
        }
        await commit;
        writer.Dispose();
        Assert.Equal("new model.amz", File.ReadAllText(Path.Combine(folder, "model.amz")));
    }

    [Fact]
    public void StaleTemporariesAndStagingOfKilledWriters_RemovedAtTheNextStart()
    {
        string folder = CopyOfRun("stale");
        string tmp = Path.Combine(folder, $".model.amz.{Guid.NewGuid():N}.tmp");
        string figureTmp = Path.Combine(folder, "figures", $".pairs.png.{Guid.NewGuid():N}.tmp");
        string staged = Path.Combine(folder, ".pending", "model.amz");
        File.WriteAllText(tmp, "half");
        File.WriteAllText(figureTmp, "half");
        Directory.CreateDirectory(Path.GetDirectoryName(staged)!);
        File.WriteAllText(staged, "half");
        var model = File.ReadAllBytes(Path.Combine(folder, "model.amz"));

        using (RunFolderWriter.Acquire(folder, "--out"))
        {
            Assert.False(File.Exists(tmp));
            Assert.False(File.Exists(figureTmp));
            Assert.False(File.Exists(staged));
        }
        Assert.Equal(model, File.ReadAllBytes(Path.Combine(folder, "model.amz")));
    }

    [Fact]
    public void ErrorMessages_NameTheUsersPathsNotHiddenOnes()
    {
        string folder = Path.Combine(_dir, "paths");
        using var writer = RunFolderWriter.Acquire(folder, "--out");
        string hidden = Path.Combine(folder, ".pending", "figures", $".pairs.png.{Guid.NewGuid():N}.tmp");
        string checkpoint = Path.Combine(folder, $".checkpoint.amzc.{Guid.NewGuid():N}.tmp");
        Assert.Equal($"No space left on device : '{Path.Combine(folder, "figures", "pairs.png")}'",
            writer.InUserTerms($"No space left on device : '{hidden}'"));
        Assert.Equal($"Disk full '{Path.Combine(folder, "checkpoint.amzc")}'",
            writer.InUserTerms($"Disk full '{checkpoint}'"));
        Assert.Equal($"x '{Path.Combine(folder, "run.json")}'",
            writer.InUserTerms($"x '{Path.Combine(folder, ".pending", "run.json")}'"));
    }

    private CliRunner.Result SampleWithEditedRunJson(string name, Action<JsonObject> edit)
    {
        string folder = CopyOfRun(name);
        string path = Path.Combine(folder, "run.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
        string observation = Path.Combine(_dir, name + ".csv");
        File.WriteAllText(observation, "x[0],x[1]\n0.1,0.2\n");
        return CliRunner.Run("sample", folder, "--observation", observation, "--samples", "20",
            "--out", Path.Combine(_dir, name + "-draws.csv"));
    }

    [Fact]
    public void RunJson_ExtraParameterName_RefusedNamingTheField()
    {
        var result = SampleWithEditedRunJson("extra-name",
            j => j["parameter_names"]!.AsArray().Add("theta_3"));
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("run.json", result.Error);
        Assert.Contains("parameter_names has 3 names; parameters (theta [2]) have 2 values per data set", result.Error);
    }

    [Fact]
    public void RunJson_ExtraParameterWithName_RefusedAgainstTheModel()
    {
        // Consistent in itself (a third parameter key with its name), but the model infers two values.
        var result = SampleWithEditedRunJson("extra-key", j =>
        {
            j["parameters"]!.AsArray().Add(new JsonObject { ["name"] = "phi", ["row_shape"] = new JsonArray() });
            j["parameter_names"]!.AsArray().Add("phi");
        });
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("parameter_names is 3 names, but the model next to it (model.amz) has 2 inferred values",
            result.Error);
    }

    [Fact]
    public void RunJson_SwappedMethod_RefusedNamingBothValues()
    {
        var result = SampleWithEditedRunJson("method", j => j["method"] = "likelihood");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("method is 'likelihood', but the model next to it (model.amz) has 'posterior'", result.Error);
        Assert.DoesNotContain("MCMC", result.Output);
    }

    [Fact]
    public void RunJson_UnknownFormatVersion_Refused()
    {
        var result = SampleWithEditedRunJson("version", j => j["format_version"] = 2);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("format_version is 2; this version of amortized reads format_version 1", result.Error);
    }

    [Fact]
    public void RunJson_OtherTaskOrInputs_Refused()
    {
        var task = SampleWithEditedRunJson("task", j => j["task"] = "slcp");
        Assert.True(task.ExitCode == 2, task.ToString());
        Assert.Contains("task is 'slcp', but the model next to it (model.amz) has 'two_moons'", task.Error);
        var inputs = SampleWithEditedRunJson("inputs", j => j["inputs"]![0]!["row_shape"] = new JsonArray(3));
        Assert.True(inputs.ExitCode == 2, inputs.ToString());
        Assert.Contains("inputs is 'x [3]', but the model next to it (model.amz) has 'x [2]'", inputs.Error);
    }

    [Fact]
    public void OutputFileThatIsAFolder_Exit2BeforeSampling()
    {
        string folder = CopyOfRun("out-folder");
        string observation = Path.Combine(_dir, "o.csv");
        File.WriteAllText(observation, "x[0],x[1]\n0.1,0.2\n");
        var result = CliRunner.Run("sample", folder, "--observation", observation, "--out", _dir);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"--out '{_dir}' is a folder; expected a file path", result.Error);
        Assert.DoesNotContain("wrote", result.Output);
    }

    [Fact]
    public void ObservationThatIsAFifo_RefusedUpFront()
    {
        if (!OperatingSystem.IsLinux()) return;   // FIFOs made by mkfifo; the check is Linux-only
        string folder = CopyOfRun("fifo");
        string fifo = Path.Combine(_dir, "observation.csv");
        using (var mkfifo = Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        // Opening a FIFO for reading blocks until a writer comes; the refusal must come before any open.
        var result = CliRunner.Run("sample", folder, "--observation", fifo, "--out", Path.Combine(_dir, "d.csv"));
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"observation file '{fifo}' is a FIFO (named pipe); expected a regular file", result.Error);
    }

    [Fact]
    public void Resume_WithOtherSeedOrThreads_RefusedNamingTheSetting()
    {
        // The fixture's settings: seed 3, 1 thread, 2 epochs of 20 batches of 64.
        string folder = CopyOfRun("resume");
        string[] same = ["fit", "two-moons", "--out", folder, "--epochs", "2", "--batches-per-epoch", "20",
            "--batch-size", "64", "--no-report", "--resume"];
        var seed = CliRunner.Run([.. same, "--seed", "4", "--threads", "1"]);
        Assert.True(seed.ExitCode == 2, seed.ToString());
        Assert.Contains($"checkpoint '{Path.Combine(folder, "checkpoint.amzc")}' was written with seed 3, this run " +
            "has seed 4", seed.Error);
        var threads = CliRunner.Run([.. same, "--seed", "3", "--threads", "2"]);
        Assert.True(threads.ExitCode == 2, threads.ToString());
        Assert.Contains("was written with threads 1, this run has threads 2", threads.Error);
        // Refused before anything was committed: the run in the folder is the fixture's.
        Assert.Equal(File.ReadAllBytes(Path.Combine(run.RunDir, "model.amz")),
            File.ReadAllBytes(Path.Combine(folder, "model.amz")));
    }

    [Fact]
    public void TimeBudgetStopInsideAnEpoch_ResumedRun_EqualsUninterruptedBitwise()
    {
        string[] settings = ["--epochs", "2", "--batches-per-epoch", "10", "--batch-size", "32", "--threads", "1",
            "--seed", "7", "--no-report"];
        string straight = Path.Combine(_dir, "straight"), stopped = Path.Combine(_dir, "stopped");
        var whole = CliRunner.Run(["fit", "two-moons", "--out", straight, .. settings]);
        Assert.True(whole.ExitCode == 0, whole.ToString());
        // A budget of a millisecond stops after the first step or two, inside epoch 1 of 10 batches.
        var first = CliRunner.Run(["fit", "two-moons", "--out", stopped, .. settings, "--time-budget", "0.001"]);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("(time budget)", first.Output);
        var state = Inference.Serialization.Checkpoint.Restore(Path.Combine(stopped, "checkpoint.amzc"),
            Inference.Serialization.ApproximatorFile.Load(Path.Combine(stopped, "model.amz")));
        Assert.Empty(state.Epochs);
        Assert.InRange(state.Position!.NextBatch, 1, 9);

        var resumed = CliRunner.Run(["fit", "two-moons", "--out", stopped, .. settings, "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("resumed from", resumed.Output);
        Assert.Equal(
            Inference.Serialization.ApproximatorFile.Load(Path.Combine(straight, "model.amz")).Store.Values.ToArray(),
            Inference.Serialization.ApproximatorFile.Load(Path.Combine(stopped, "model.amz")).Store.Values.ToArray());
    }
}
