using System.Globalization;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Serialization;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Xunit;

namespace Amortized.Cli.Tests;

/// <summary>Every command end to end on a tiny budget, against one shared trained run.</summary>
public sealed class CommandTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    [Fact]
    public void Fit_WritesModelReportMetricsHistoryAndFigures()
    {
        Assert.True(run.Fit.ExitCode == 0, run.Fit.ToString());
        foreach (string file in new[] { "model.amz", "run.json", "report.html", "metrics.json", "history.csv" })
            Assert.True(File.Exists(Path.Combine(run.RunDir, file)), $"{file} missing\n{run.Fit}");
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(run.RunDir, "figures"), "*.png"));
        var history = Csv.ReadTable(Path.Combine(run.RunDir, "history.csv"));
        Assert.Equal(2, history.RowCount);
        Assert.Contains("report:", run.Fit.Output);
        // The saved model loads and knows the task.
        var approximator = ApproximatorFile.Load(Path.Combine(run.RunDir, "model.amz"), out var metadata);
        Assert.Equal("two_moons", metadata["task"]);
        Assert.Equal(2, approximator.InferenceNetwork.Dimension);
    }

    [Fact]
    public void Tasks_ListsEveryTaskWithDimensions()
    {
        var result = CliRunner.Run("tasks");
        Assert.Equal(0, result.ExitCode);
        foreach (string name in BenchmarkTasks.Names) Assert.Contains(name, result.Output);
        Assert.Matches(@"two_moons\s+2\s+2\s+\[-1, 1\]", result.Output);
        Assert.Matches(@"slcp\s+5\s+8", result.Output);
        var json = CliRunner.Run("tasks", "--json");
        Assert.Equal(0, json.ExitCode);
        Assert.Contains("\"name\": \"gaussian_linear\"", json.Output);
    }

    [Fact]
    public void Simulate_WritesNpzWithTheTaskShapes_AndIsSeeded()
    {
        string dir = CliRunner.TempDir();
        string a = Path.Combine(dir, "a.npz"), b = Path.Combine(dir, "b.npz");
        Assert.Equal(0, CliRunner.Run("simulate", "two_moons", "--n", "50", "--out", a, "--seed", "4").ExitCode);
        Assert.Equal(0, CliRunner.Run("simulate", "two-moons", "--n", "50", "--out", b, "--seed", "4").ExitCode);
        var batch = Npy.ReadBatch(a);
        Assert.Equal([50, 2], batch.Shape("theta").ToArray());
        Assert.Equal([50, 2], batch.Shape("x").ToArray());
        Assert.Equal(batch.Get("x"), Npy.ReadBatch(b).Get("x"));
        Assert.All(batch.Get("theta"), t => Assert.InRange(t, -1f, 1f));
    }

    [Fact]
    public void Sample_OnTheIlgpuEmulator_MatchesTheCpuDraws()
    {
        // The GPU path of the command end to end (model moved to the device, draws downloaded, misspecification check)
        // on ILGPU's CPU emulator, against the CPU backend with the same seed.
        string dir = CliRunner.TempDir();
        string obs = Path.Combine(dir, "obs.csv"), onCpu = Path.Combine(dir, "cpu.csv"), onDevice = Path.Combine(dir, "device.csv");
        File.WriteAllText(obs, "x_1,x_2\n0.1,-0.2\n");
        var cpu = CliRunner.Run("sample", run.RunDir, "--observation", obs, "--samples", "50", "--out", onCpu, "--seed", "5");
        Assert.True(cpu.ExitCode == 0, cpu.ToString());
        var device = CliRunner.Run("sample", run.RunDir, "--observation", obs, "--samples", "50", "--out", onDevice, "--seed", "5", "--device", "ilgpu-cpu");
        Assert.True(device.ExitCode == 0, device.ToString());
        var (a, b) = (Csv.ReadTable(onCpu), Csv.ReadTable(onDevice));
        foreach (string column in a.ColumnNames)
        {
            var (x, y) = (a.Values(column), b.Values(column));
            Assert.Equal(x.Length, y.Length);
            for (int i = 0; i < x.Length; i++) Assert.True(MathF.Abs(x[i] - y[i]) < 1e-3f, $"{column}[{i}]: {y[i]} on the device, {x[i]} on the CPU");
        }
        AssertBadInput(CliRunner.Run("sample", run.RunDir, "--observation", obs, "--samples", "5", "--out", onDevice, "--device", "tpu"), "tpu");
    }

    [Fact]
    public void Sample_OneDataSet_WritesHeaderOfParameterNames_AndStaysInThePriorSupport()
    {
        string dir = CliRunner.TempDir();
        string obs = Path.Combine(dir, "obs.csv"), output = Path.Combine(dir, "draws.csv");
        File.WriteAllText(obs, "x_1,x_2\n0.1,-0.2\n");
        var result = CliRunner.Run("sample", run.RunDir, "--observation", obs, "--samples", "300", "--out", output, "--seed", "9");
        Assert.True(result.ExitCode == 0, result.ToString());
        var table = Csv.ReadTable(output);
        Assert.Equal(["theta_1", "theta_2"], table.ColumnNames);
        Assert.Equal(300, table.RowCount);
        // two_moons has a U(-1, 1) prior and its default adapter constrains the flow to it.
        Assert.All(table.Values("theta_1"), t => Assert.InRange(t, -1f, 1f));
        // The same seed gives the same draws.
        string again = Path.Combine(dir, "again.csv");
        Assert.Equal(0, CliRunner.Run("sample", run.RunDir, "--observation", obs, "--samples", "300", "--out", again, "--seed", "9").ExitCode);
        Assert.Equal(File.ReadAllText(output), File.ReadAllText(again));
    }

    [Fact]
    public void Sample_SeveralDataSets_AddsALeadingDatasetColumn()
    {
        string dir = CliRunner.TempDir();
        string obs = Path.Combine(dir, "obs.csv"), output = Path.Combine(dir, "draws.csv");
        File.WriteAllText(obs, "x[0],x[1]\n0.1,-0.2\n0.3,0.0\n-0.2,0.1\n");
        var result = CliRunner.Run("sample", run.RunDir, "--observation", obs, "--samples", "40", "--out", output);
        Assert.True(result.ExitCode == 0, result.ToString());
        var table = Csv.ReadTable(output);
        Assert.Equal(["dataset", "theta_1", "theta_2"], table.ColumnNames);
        Assert.Equal(120, table.RowCount);
        Assert.Equal([0f, 1f, 2f], table.Values("dataset").Distinct().ToArray());
    }

    [Fact]
    public void Sample_FromNpy_MatchesCsv()
    {
        string dir = CliRunner.TempDir();
        string csv = Path.Combine(dir, "obs.csv"), npy = Path.Combine(dir, "obs.npy");
        File.WriteAllText(csv, "x_1,x_2\n0.25,-0.5\n");
        Npy.Write(npy, NpyArray.FromFloats([0.25f, -0.5f], 1, 2));
        string o1 = Path.Combine(dir, "1.csv"), o2 = Path.Combine(dir, "2.csv");
        Assert.Equal(0, CliRunner.Run("sample", run.RunDir, "--observation", csv, "--samples", "20", "--out", o1).ExitCode);
        Assert.Equal(0, CliRunner.Run("sample", run.RunDir, "--observation", npy, "--samples", "20", "--out", o2).ExitCode);
        Assert.Equal(File.ReadAllText(o1), File.ReadAllText(o2));
    }

    [Fact]
    public void LogProb_MatchesTheManagedApi()
    {
        string dir = CliRunner.TempDir();
        string obs = Path.Combine(dir, "obs.csv"), theta = Path.Combine(dir, "theta.csv"), output = Path.Combine(dir, "lp.csv");
        File.WriteAllText(obs, "x_1,x_2\n0.1,-0.2\n");
        File.WriteAllText(theta, "theta_1,theta_2\n0.1,0.2\n-0.5,0.5\n0.9,-0.9\n");
        var result = CliRunner.Run("log-prob", run.RunDir, "--observation", obs, "--parameters", theta, "--out", output);
        Assert.True(result.ExitCode == 0, result.ToString());
        var table = Csv.ReadTable(output);
        Assert.Equal(["row", "log_posterior"], table.ColumnNames);
        var approximator = ApproximatorFile.Load(Path.Combine(run.RunDir, "model.amz"));
        var batch = new SimulationBatch(3).Set("x", [0.1f, -0.2f, 0.1f, -0.2f, 0.1f, -0.2f], 3, 2).Set("theta", [0.1f, 0.2f, -0.5f, 0.5f, 0.9f, -0.9f], 3, 2);
        float[] expected = approximator.LogProb(batch);
        float[] actual = table.Values("log_posterior");
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], actual[i], 4);
    }

    [Fact]
    public void Diagnose_RewritesTheReport()
    {
        string copy = Path.Combine(CliRunner.TempDir(), "run");
        CopyDirectory(run.RunDir, copy);
        File.Delete(Path.Combine(copy, "report.html"));
        File.Delete(Path.Combine(copy, "metrics.json"));
        var result = CliRunner.Run("diagnose", copy, "--datasets", "20", "--samples", "50");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(Path.Combine(copy, "report.html")));
        Assert.True(File.Exists(Path.Combine(copy, "metrics.json")));
    }

    [Fact]
    public void DiagnoseOut_WritesTheReportElsewhere_AndLeavesTheRunFolderAsItWas()
    {
        string copy = Path.Combine(CliRunner.TempDir(), "run");
        CopyDirectory(run.RunDir, copy);
        string before = File.ReadAllText(Path.Combine(copy, "report.html"));
        string elsewhere = Path.Combine(CliRunner.TempDir(), "second-look");
        var result = CliRunner.Run("diagnose", copy, "--datasets", "20", "--samples", "50", "--out", elsewhere,
            "--contraction-variance");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("1 - var/prior var", File.ReadAllText(Path.Combine(elsewhere, "report.html")));
        Assert.DoesNotContain("1 - var/prior var", before);
        Assert.Contains(Path.Combine(elsewhere, "report.html"), result.Output);
        Assert.True(File.Exists(Path.Combine(elsewhere, "metrics.json")));
        Assert.True(File.Exists(Path.Combine(elsewhere, "figures", "rank_histograms.png")));
        Assert.Equal(before, File.ReadAllText(Path.Combine(copy, "report.html")));

        string file = Path.Combine(elsewhere, "metrics.json");
        AssertBadInput(CliRunner.Run("diagnose", copy, "--datasets", "20", "--samples", "50", "--out", file), file);
    }

    [Fact]
    public void SamplePlot_DrawsThePosteriorOfTheFirstDataSet()
    {
        string dir = CliRunner.TempDir();
        string obs = Path.Combine(dir, "obs.csv"), draws = Path.Combine(dir, "draws.csv");
        File.WriteAllText(obs, "x_1,x_2\n0.0,0.0\n0.1,-0.3\n");
        string png = Path.Combine(dir, "posterior.png"), svg = Path.Combine(dir, "posterior.svg");
        var result = CliRunner.Run("sample", run.RunDir, "--observation", obs, "--samples", "200", "--out", draws,
            "--plot", png);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("data set 0 (of 2)", result.Output);
        byte[] bytes = File.ReadAllBytes(png);
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], bytes[..4]);
        Assert.True(bytes.Length > 8_000, $"{bytes.Length} bytes");
        Assert.Equal(0, CliRunner.Run("sample", run.RunDir, "--observation", obs, "--samples", "200", "--out", draws,
            "--plot", svg).ExitCode);
        string text = File.ReadAllText(svg);
        Assert.Contains("Posterior for the observation", text);
        Assert.Contains("prior", text);
    }

    [Fact]
    public void Devices_ListsTheCpuAndIlgpuEmulator()
    {
        var result = CliRunner.Run("devices");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("cpu ", lines[0]);
        // The test host is a JIT process, so ILGPU runs and lists at least its CPU emulator.
        Assert.Contains(lines, l => l.StartsWith("ilgpu-cpu ", StringComparison.Ordinal));
    }

    [Fact]
    public void BadArguments_ExitTwo_WithOneLineOnStderr()
    {
        AssertBadInput(CliRunner.Run("fit", "two_moons", "--out", CliRunner.TempDir(), "--epochs", "abc"), "--epochs");
        AssertBadInput(CliRunner.Run("fit", "no_such_task", "--out", CliRunner.TempDir()), "no_such_task");
        // No GPU on this machine (CI): a clear "no CUDA device" line, exit 2. (On a GPU machine this would train.)
        AssertBadInput(CliRunner.Run("fit", "two_moons", "--out", CliRunner.TempDir(), "--device", "cuda"), "no Cuda device");
        AssertBadInput(CliRunner.Run("fit", "two_moons", "--out", CliRunner.TempDir(), "--device", "tpu"), "tpu");
        AssertBadInput(CliRunner.Run("fit", "two_moons", "--out", CliRunner.TempDir(), "--inference-network", "magic"), "magic");
        AssertBadInput(CliRunner.Run("simulate", "two_moons", "--n", "0", "--out", "x.npz"), "--n");
        AssertBadInput(CliRunner.Run("bogus"), "bogus");
        AssertBadInput(CliRunner.Run("fit", "two_moons", "--out", CliRunner.TempDir(), "--time-budget", "1e300"), "--time-budget");
        AssertBadInput(CliRunner.Run("fit", "two_moons", "--out", CliRunner.TempDir(), "--time-budget", "99999999999999h"), "--time-budget");
    }

    [Fact]
    public void Bench_PrintsOneLinePerFigure_AndRejectsUnknownWorkloads()
    {
        string json = Path.Combine(CliRunner.TempDir(), "bench.json");
        var result = CliRunner.Run("bench", "--only", "W3", "--threads", "1", "--runs", "1", "--json", json);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"W3 threads=1 sample_latency_ms=[0-9.]+ logprob_latency_ms=[0-9.]+", result.Output);
        Assert.True(File.Exists(json));
        AssertBadInput(CliRunner.Run("bench", "--only", "W9"), "W9");
    }

    [Fact]
    public void MissingModelFolder_ExitsTwo()
    {
        string missing = Path.Combine(CliRunner.TempDir(), "nothing-here");
        AssertBadInput(CliRunner.Run("sample", missing, "--observation", "obs.csv", "--samples", "10", "--out", "o.csv"), "nothing-here");
        AssertBadInput(CliRunner.Run("diagnose", missing), "nothing-here");
    }

    [Fact]
    public void MalformedObservationFile_ExitsTwo()
    {
        string dir = CliRunner.TempDir();
        string obs = Path.Combine(dir, "obs.csv");
        File.WriteAllText(obs, "x_1,x_2\n0.1,not-a-number\n");
        AssertBadInput(CliRunner.Run("sample", run.RunDir, "--observation", obs, "--samples", "10", "--out", Path.Combine(dir, "o.csv")), "obs.csv");
        string npy = Path.Combine(dir, "garbage.npy");
        File.WriteAllBytes(npy, [1, 2, 3, 4, 5]);
        AssertBadInput(CliRunner.Run("sample", run.RunDir, "--observation", npy, "--samples", "10", "--out", Path.Combine(dir, "o.csv")), "garbage.npy");
    }

    [Fact]
    public void WrongDataDimension_ExitsTwo_NamingExpectedAndActual()
    {
        string dir = CliRunner.TempDir();
        string obs = Path.Combine(dir, "obs.csv");
        File.WriteAllText(obs, "x_1,x_2,x_3\n0.1,0.2,0.3\n");
        var result = CliRunner.Run("sample", run.RunDir, "--observation", obs, "--samples", "10", "--out", Path.Combine(dir, "o.csv"));
        AssertBadInput(result, "column 'x_3' is not read by the model; it reads x_1, x_2");
        Assert.Contains("(or x[0], x[1])", result.Error);
    }

    [Fact]
    public void CorruptModelFile_ExitsTwo()
    {
        string copy = Path.Combine(CliRunner.TempDir(), "run");
        CopyDirectory(run.RunDir, copy);
        string model = Path.Combine(copy, "model.amz");
        byte[] bytes = File.ReadAllBytes(model);
        bytes[bytes.Length / 2] ^= 0x5A;
        File.WriteAllBytes(model, bytes);
        string obs = Path.Combine(copy, "obs.csv");
        File.WriteAllText(obs, "x_1,x_2\n0.1,-0.2\n");
        AssertBadInput(CliRunner.Run("sample", copy, "--observation", obs, "--samples", "10", "--out", Path.Combine(copy, "o.csv")), "model.amz");
    }

    internal static void AssertBadInput(CliRunner.Result result, string mentions)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        string[] lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr\n{result}");
        Assert.Contains(mentions, lines[0], StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", result.Error);
    }

    internal static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (string sub in Directory.GetDirectories(from)) CopyDirectory(sub, Path.Combine(to, Path.GetFileName(sub)));
    }

    internal static string F(double v) => v.ToString(CultureInfo.InvariantCulture);
}
