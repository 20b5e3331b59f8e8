using System.Diagnostics;
using Amortized.Inference.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace Amortized.Cli.Tests;

/// <summary>
/// Kills real <c>amortized fit</c> processes (SIGKILL) at random moments of training, checkpointing, the report and
/// the commit, resuming each time: the folder always holds the old complete run or the new complete one, and the
/// run that finally completes equals an uninterrupted run bit for bit.
/// </summary>
public sealed class KillTests(TrainedRunFixture old, ITestOutputHelper output) : IClassFixture<TrainedRunFixture>,
    IDisposable
{
    private readonly string _dir = CliRunner.TempDir();

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>About 3 s uninterrupted: startup, 6 epochs of 10 steps, a small report, the commit.</summary>
    private static string[] NewRun(string folder) => ["fit", "two-moons", "--out", folder, "--epochs", "6",
        "--batches-per-epoch", "10", "--batch-size", "32", "--seed", "4", "--threads", "1",
        "--diagnostic-datasets", "20", "--diagnostic-samples", "50", "--resume"];

    /// <summary>Time for the killing rounds; each kill and check takes about 1.5 s.</summary>
    private static readonly TimeSpan KillingTime = TimeSpan.FromSeconds(40);

    private static Process Start(string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "amortized.dll");
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (string a in args) info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    private static (int ExitCode, string Output) RunToEnd(string[] args)
    {
        using var p = Start(args);
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }

    private static float[] Parameters(string model) => ApproximatorFile.Load(model).Store.Values.ToArray();

    /// <summary>The old run (the fixture's, seed 3) without its checkpoint, so a resume starts the new run afresh.</summary>
    private void RestoreOld(string folder)
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        foreach (string file in Directory.GetFiles(old.RunDir, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(old.RunDir, file);
            if (Path.GetFileName(relative).StartsWith('.') || relative == "checkpoint.amzc") continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, relative))!);
            File.Copy(file, Path.Combine(folder, relative));
        }
    }

    [Fact]
    public async Task KilledAtRandomPoints_FolderIsAlwaysOldOrNewRun_AndResumedRunEqualsUninterrupted()
    {
        Assert.True(old.Fit.ExitCode == 0, old.Fit.ToString());
        float[] oldModel = Parameters(Path.Combine(old.RunDir, "model.amz"));
        string referenceDir = Path.Combine(_dir, "reference");
        var reference = RunToEnd(NewRun(referenceDir));
        Assert.True(reference.ExitCode == 0, reference.Output);
        float[] newModel = Parameters(Path.Combine(referenceDir, "model.amz"));
        Assert.NotEqual(oldModel, newModel);

        string folder = Path.Combine(_dir, "run");
        RestoreOld(folder);
        var random = new Random(18);
        var clock = Stopwatch.StartNew();
        int kills = 0, completed = 0, oldSeen = 0, newSeen = 0, resumed = 0;
        bool killing = true;
        while (true)
        {
            // Until the time is up, each attempt is killed somewhere in its ~3 s; then the last round runs to the end.
            killing = killing && clock.Elapsed < KillingTime;
            using var p = Start(NewRun(folder));
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            bool killed = false;
            if (killing && !p.WaitForExit(random.Next(100, 3200)))
            {
                p.Kill();
                killed = true;
                kills++;
            }
            p.WaitForExit();
            string log = await stdout + await stderr;
            if (log.Contains("resumed from", StringComparison.Ordinal)) resumed++;
            if (!killed) Assert.True(p.ExitCode == 0, log);

            // A reader finishes any commit the kill interrupted, then sees one whole run: run.json and the model
            // agree (RunFolder.Load checks them) and the model is the old one or exactly the new one.
            var (_, run, model) = RunFolder.Load(folder, key: null);
            float[] values = model.Store.Values.ToArray();
            Assert.False(File.Exists(Path.Combine(folder, ".commit")));
            foreach (string file in new[] { "report.html", "metrics.json", "history.csv" })
                Assert.True(File.Exists(Path.Combine(folder, file)), $"{file} missing after kill {kills}\n{log}");
            if (run.Seed == 3)
            {
                Assert.Equal(oldModel, values);
                oldSeen++;
            }
            else
            {
                Assert.Equal(4UL, run.Seed);
                Assert.Equal(newModel, values);   // the resumed run ended where the uninterrupted one did
                Assert.Equal(6, Inference.FileFormats.Csv.ReadTable(Path.Combine(folder, "history.csv")).RowCount);
                newSeen++;
            }
            if (killed) continue;
            completed++;
            if (!killing) break;
            RestoreOld(folder);   // another round from the old run
        }
        output.WriteLine($"{kills} kills, {resumed} resumed attempts, {completed} completed runs; the folder held the old run {oldSeen} " +
            $"times and the new run {newSeen} times, in {clock.Elapsed.TotalSeconds:F0} s");
        Assert.True(kills > 0 && completed > 0 && newSeen > 0);
    }
}
