using System.Text.Json;
using Amortized.Inference.FileFormats;
using Amortized.Testing;
using Xunit;
using static Amortized.Cli.Tests.ExternalSimulatorTestSupport;

namespace Amortized.Cli.Tests;

/// <summary>
/// <c>amortized fit --simulator CMD</c>: training online on a Python simulator over the protocol, the options that do
/// not go with it, a simulator that does not work (exit 2 with its stderr), and one that breaks during training (exit 1,
/// the checkpoint kept, --resume finishes the run).
/// </summary>
public sealed class ExternalSimulatorCliTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Gaussian => PythonCommand(Path.Combine(SampleDirectory, "gaussian_sim.py"));

    private string[] Fit(string simulator, params string[] extra) =>
    [
        "fit", "--simulator", simulator, "--inference-variables", "theta", "--summary-variables", "x",
        "--simulator-workers", "2", "--batch-size", "32", "--batches-per-epoch", "25", "--inference-network",
        "coupling", "--out", Path.Combine(_dir, "run"), .. extra,
    ];

    [PythonFact]
    public void Fit_TrainsOnThePythonSample_AndReportsFromItsSimulations()
    {
        var r = CliRunner.Run(Fit(Gaussian, "--epochs", "4", "--diagnostic-datasets", "60",
            "--diagnostic-samples", "200"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("fit simulator", r.Output);
        Assert.Contains("2 worker(s)", r.Output);
        string run = Path.Combine(_dir, "run");
        // The held-out data sets are simulated (60 of them, every key), and the report's checks ran on them.
        var heldOut = Npy.ReadBatch(Path.Combine(run, "heldout.npz"));
        Assert.Equal([60, 10, 2], heldOut.Shape("x").ToArray());
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")));
        // The exact posterior N(xbar 40/41, 1/41) recovers theta with r = sqrt(40/41) = 0.988; a network that ignored x
        // would have r near 0.
        foreach (var p in metrics.RootElement.GetProperty("diagnostics").GetProperty("parameter_summaries").EnumerateArray())
            Assert.True(p.GetProperty("recovery_r").GetDouble() > 0.9, p.ToString());
        using var info = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "run.json")));
        Assert.Equal("simulator: " + Gaussian, info.RootElement.GetProperty("data_source").GetString());
    }

    /// <summary>
    /// --simulations N with --simulator: the budget is simulated through the workers in chunks (the same seed gives
    /// the same rows), then trained offline like a TASK's budget; the posterior recovers theta.
    /// </summary>
    [PythonFact]
    public void Fit_WithASimulationBudget_SimulatesItThenTrainsOffline()
    {
        var r = CliRunner.Run(Fit(Gaussian, "--simulations", "1500", "--epochs", "6", "--diagnostic-datasets", "60",
            "--diagnostic-samples", "200"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("simulated 1,500 data sets through the simulator", r.Output);
        Assert.Contains("offline on 1,350 simulations", r.Output);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "run", "metrics.json")));
        // The exact posterior recovers theta with r = 0.988; a network that ignored x would have r near 0.
        foreach (var p in metrics.RootElement.GetProperty("diagnostics").GetProperty("parameter_summaries").EnumerateArray())
            Assert.True(p.GetProperty("recovery_r").GetDouble() > 0.9, p.ToString());
    }

    [Theory]
    [InlineData("gaussian_linear", "fit takes a TASK or --simulator, not both")]
    [InlineData("--data", "fit takes --data or --simulator, not both")]
    [InlineData("--method", "--simulator trains a posterior; got --method point")]
    [InlineData("--no-keys", "fit --simulator needs --inference-variables")]
    public void OptionsThatDoNotGoWithSimulator_ExitTwo(string what, string message)
    {
        string[] args = what switch
        {
            "gaussian_linear" => ["fit", "gaussian_linear", "--simulator", "x", "--out", Path.Combine(_dir, "r")],
            "--no-keys" => ["fit", "--simulator", "x", "--out", Path.Combine(_dir, "r")],
            _ => [.. Fit("x"), what, what switch { "--data" => "d.npz", "--method" => "point", _ => "100" }],
        };
        var r = CliRunner.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Error);
    }

    [Fact]
    public void SimulatorOptionsWithoutSimulator_ExitTwo()
    {
        var r = CliRunner.Run("fit", "gaussian_linear", "--simulator-workers", "2", "--out", Path.Combine(_dir, "r"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--simulator-workers and --simulator-timeout go with --simulator CMD", r.Error);
    }

    [Fact]
    public void SimulatorThatDoesNotStart_ExitsTwo_WithItsStderr()
    {
        var r = CliRunner.Run(Fit("amortized-no-such-simulator"));
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("error: --simulator: the simulator does not work", r.Error);
        Assert.Contains("amortized-no-such-simulator: not found", r.Error);
        Assert.False(File.Exists(Path.Combine(_dir, "run", "model.amz")));
    }

    [PythonFact]
    public void SimulatorThatPrintsToStdout_ExitsTwo_SayingToLogToStderr()
    {
        string script = Path.Combine(_dir, "chatty.py");
        File.WriteAllText(script, $"""
            import sys
            sys.path.insert(0, '{SampleDirectory}')
            from amortized_simulator import serve
            print("starting up")
            """);
        var r = CliRunner.Run(Fit(PythonCommand(script), "--simulator-timeout", "20s"));
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("the worker wrote 'starting up\\x0A' to stdout where a hello frame (AMZH) was expected", r.Error);
        Assert.Contains("log to stderr", r.Error);
    }

    [PythonFact]
    public void SimulatorThatBreaksDuringTraining_ExitsOne_KeepsTheCheckpoint_AndResumes()
    {
        string broken = Path.Combine(_dir, "broken");
        File.WriteAllText(broken, "");
        string script = Path.Combine(_dir, "breaks.py");
        File.WriteAllText(script, $$"""
            import os, sys
            sys.path.insert(0, '{{SampleDirectory}}')
            import amortized_simulator
            import gaussian_sim

            def simulate(batch_size, rng):
                index = amortized_simulator.current["batch_index"]
                # Training batches of the second epoch on, while the marker file exists.
                if 25 <= index < 2**62 and os.path.exists('{{broken}}'):
                    sys.stderr.write(f"the model server went away at batch {index}\n")
                    sys.stderr.flush()
                    os._exit(4)
                return gaussian_sim.simulate(batch_size, rng)

            amortized_simulator.serve(simulate)
            """);
        string[] args = Fit(PythonCommand(script), "--epochs", "2", "--no-report");
        var first = CliRunner.Run(args);
        Assert.True(first.ExitCode == 1, first.ToString());
        Assert.Contains("the model server went away at batch 25", first.Error); // the stderr tail of the fault report
        Assert.Matches("error: external simulator .*: batch 2[56] failed 4 times \\(MaxRetries = 3\\)", first.Error);
        string run = Path.Combine(_dir, "run");
        Assert.True(File.Exists(Path.Combine(run, "checkpoint.amzc")), first.ToString());
        Assert.False(File.Exists(Path.Combine(run, "model.amz")));

        File.Delete(broken);
        var resumed = CliRunner.Run([.. args, "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("resumed from", resumed.Output);
        Assert.Contains("after epoch 1", resumed.Output);
        Assert.Contains("epoch 2/2", resumed.Output);
        Assert.True(File.Exists(Path.Combine(run, "model.amz")));
    }
}
