using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.External;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Amortized.Networks.Summaries;
using Amortized.Testing;
using Xunit;
using static Amortized.Inference.Tests.External.ExternalTestSupport;

namespace Amortized.Inference.Tests.External;

/// <summary>
/// ExternalSimulator end to end with Python workers: training through the protocol, reproducibility across worker
/// counts, and what each fault does (report, restart, same batch again; or a clear exception once the budget is spent).
/// </summary>
public sealed class ExternalSimulatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("amortized-external-tests-").FullName;
    private readonly StringWriter _log = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Gaussian => PythonCommand(Path.Combine(SampleDirectory, "gaussian_sim.py"));

    private ExternalSimulator Start(string command, ExternalSimulatorOptions? options = null) =>
        new(command, (options ?? new ExternalSimulatorOptions { Workers = 2 }) with { Log = _log });

    private static SimulationBatch Batch(ISimulator simulator, ulong index, int size = 16, ulong seed = 42) =>
        simulator.Sample(size, seed, new SampleOptions { BatchIndex = index });

    /// <summary>A simulator script with a one-time misbehaviour at batch <paramref name="index"/>, marked by a file.</summary>
    private string OnceAt(string name, int index, string misbehave) => WriteScript(_dir, name, $$"""
        MARKER = {{PyString(Path.Combine(_dir, name + ".marker"))}}
        def simulate(batch_size, rng):
            if {{index}} == index() and not os.path.exists(MARKER):
                open(MARKER, "w").close()
                {{misbehave}}
            theta = rng.normal(size=(batch_size, 2))
            return {"theta": theta, "x": theta[:, None, :] + 0.5 * rng.normal(size=(batch_size, 10, 2))}
        """);

    [PythonFact]
    public void GaussianSample_TrainsAPosteriorNearTheAnalyticOne()
    {
        using var simulator = Start(Gaussian);
        TrainAndCheckPosterior(simulator);
    }

    [CompilerFact]
    public void CSample_GivesValidBatches_AndTrainsToo()
    {
        string binary = Path.Combine(_dir, "gaussian_sim");
        ExternalTools.CompileC(Path.Combine(SampleDirectory, "c", "gaussian_sim.c"), binary);
        using var simulator = Start($"'{binary}'");
        var batch = Batch(simulator, 5, size: 4000);
        Assert.Equal([4000, 2], batch.Shape("theta").ToArray());
        Assert.Equal([4000, 10, 2], batch.Shape("x").ToArray());
        // theta ~ N(0, 1) and x - theta ~ N(0, 0.25), each within 5 standard errors over 8,000 and 80,000 values.
        float[] theta = batch.Get("theta"), x = batch.Get("x");
        double mean = theta.Average(v => (double)v), var = theta.Average(v => Math.Pow(v - mean, 2));
        Assert.InRange(mean, -5 / Math.Sqrt(8000), 5 / Math.Sqrt(8000));
        Assert.InRange(var, 1 - 5 * Math.Sqrt(2.0 / 8000), 1 + 5 * Math.Sqrt(2.0 / 8000));
        double noise = Enumerable.Range(0, x.Length).Average(i => Math.Pow(x[i] - theta[i / 20 * 2 + i % 2], 2));
        Assert.InRange(noise, 0.25 * (1 - 5 * Math.Sqrt(2.0 / 80000)), 0.25 * (1 + 5 * Math.Sqrt(2.0 / 80000)));
        Assert.Equal(batch.Get("x"), Batch(simulator, 5, size: 4000).Get("x")); // asked again: same batch
        TrainAndCheckPosterior(simulator);
    }

    /// <summary>
    /// Trains a small flow with a DeepSet summary on the Gaussian model served by <paramref name="simulator"/> and checks
    /// the posterior of unseen data sets against the exact one.
    /// </summary>
    private static void TrainAndCheckPosterior(ISimulator simulator)
    {
        var adapter = new Adapter().AsSet("x").Concatenate(["theta"], Keys.InferenceVariables)
            .Concatenate(["x"], Keys.SummaryVariables);
        var workflow = new BasicWorkflow(adapter, new ApproximatorSpec
        {
            CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [32, 32], Dropout = 0f },
            Summary = SummaryNetworkKind.DeepSet,
            DeepSet = new DeepSetOptions { SummaryDim = 4 },
            Seed = 1,
        }, simulator);
        workflow.FitOnline(new TrainingOptions
        {
            Epochs = 4, BatchesPerEpoch = 50, BatchSize = 64, LearningRate = 5e-3f, Seed = 2,
            ValidationSimulations = 0,
        });
        // Data sets the network has not seen (another seed). With prior N(0, 1) and n = 10 draws of sd 0.5 the exact
        // posterior is N(xbar * 40/41, 1/41): sd 0.156. Over 20 data sets the root-mean-square error of the learnt mean
        // must be under 0.1 (two thirds of a posterior sd); predicting the prior mean 0 would give about 1, the sd of
        // the exact mean, and a network that ignored the prior (xbar itself) about 0.025.
        var test = Batch(simulator, 0, size: 20, seed: 777);
        var draws = workflow.Sample(test, numSamples: 400, seed: 3);
        float[] x = test.Get("x"), theta = draws.Get("theta");
        double sq = 0, sdSum = 0;
        for (int d = 0; d < 20; d++)
            for (int j = 0; j < 2; j++)
            {
                double xbar = 0, mean = 0, var = 0;
                for (int i = 0; i < 10; i++) xbar += x[(d * 10 + i) * 2 + j] / 10.0;
                for (int s = 0; s < 400; s++) mean += theta[(d * 400 + s) * 2 + j] / 400.0;
                for (int s = 0; s < 400; s++) var += Math.Pow(theta[(d * 400 + s) * 2 + j] - mean, 2) / 399.0;
                sq += Math.Pow(mean - xbar * 40 / 41, 2);
                sdSum += Math.Sqrt(var);
            }
        double rmse = Math.Sqrt(sq / 40);
        Assert.True(rmse < 0.1, $"RMSE of the posterior mean vs the analytic one: {rmse:0.###}");
        // The posterior sd averaged over the 40 margins, against the exact 0.156 (the prior's is 1).
        Assert.InRange(sdSum / 40, 0.1, 0.22);
    }

    [PythonFact]
    public void SameSeed_GivesBitwiseTheSameBatches_WhateverTheNumberOfWorkers()
    {
        var runs = new List<float[][]>();
        foreach (int workers in new[] { 1, 3 })
        {
            using var simulator = Start(Gaussian, new ExternalSimulatorOptions { Workers = workers });
            var batches = Enumerable.Range(0, 6).Select(i => Batch(simulator, (ulong)i)).ToArray();
            Assert.Equal([16, 10, 2], batches[0].Shape("x").ToArray());
            runs.Add([.. batches.SelectMany(b => new[] { b.Get("theta"), b.Get("x") })]);
            Assert.Equal(new Dictionary<string, int[]> { ["theta"] = [2], ["x"] = [10, 2] }, simulator.Schema);
        }
        Assert.Equal(runs[0], runs[1]);
        Assert.NotEqual(runs[0][0], runs[0][2]); // batches 0 and 1 differ
        using var other = Start(Gaussian, new ExternalSimulatorOptions { Workers = 1 });
        Assert.NotEqual(runs[0][0], Batch(other, 0, seed: 43).Get("theta"));
    }

    [PythonFact]
    public void PerRowFunction_IsVectorisedByTheHelper_IntoReproducibleBatches()
    {
        string script = Path.Combine(_dir, "rows.py");
        File.WriteAllText(script, $$"""
            import sys
            sys.path.insert(0, {{PyString(SampleDirectory)}})
            from amortized_simulator import serve, per_row
            def simulate_row(rng):
                mu = rng.normal()
                return {"mu": mu, "y": mu + rng.normal(size=5)}
            serve(per_row(simulate_row))
            """);
        using var one = Start(PythonCommand(script), new ExternalSimulatorOptions { Workers = 1 });
        using var two = Start(PythonCommand(script), new ExternalSimulatorOptions { Workers = 2 });
        var a = Batch(one, 3, size: 7);
        Assert.Equal([7], a.Shape("mu").ToArray());
        Assert.Equal([7, 5], a.Shape("y").ToArray());
        Assert.Equal(7, a.Get("mu").Distinct().Count()); // rows draw from streams of their own
        Batch(two, 2, size: 7);
        Assert.Equal(a.Get("y"), Batch(two, 3, size: 7).Get("y"));
    }

    [PythonFact]
    public void CrashMidRun_IsReported_TheWorkerRestarts_AndTheBatchIsTheSame()
    {
        string script = OnceAt("crash.py", 3, "sys.stderr.write('about to crash\\n'); sys.stderr.flush(); os._exit(3)");
        var faults = new List<ExternalSimulatorFault>();
        float[][] got;
        using (var simulator = Start(PythonCommand(script)))
        {
            simulator.Fault += (_, f) => { lock (faults) faults.Add(f); };
            got = [.. Enumerable.Range(0, 6).Select(i => Batch(simulator, (ulong)i).Get("theta"))];
        }
        var fault = Assert.Single(faults);
        Assert.Equal((ExternalFaultKind.Crash, 3UL, 1), (fault.Kind, fault.BatchIndex, fault.Attempt));
        Assert.Contains("exited with code 3", fault.Reason);
        Assert.Contains("about to crash", fault.StderrTail);
        Assert.Contains($"worker {fault.Worker}: Crash on batch 3", _log.ToString());
        Assert.Contains("about to crash", _log.ToString());
        using var clean = Start(Gaussian);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => Batch(clean, (ulong)i).Get("theta")), got);
    }

    [PythonFact]
    public void Hang_PastTheTimeout_IsKilledAndRetried()
    {
        string script = OnceAt("hang.py", 1, "time.sleep(120)");
        using var simulator = Start(PythonCommand(script),
            new ExternalSimulatorOptions { Workers = 1, Timeout = TimeSpan.FromSeconds(2) });
        var batch = Batch(simulator, 1);
        var fault = Assert.Single(simulator.Faults);
        Assert.Equal((ExternalFaultKind.Timeout, 1UL), (fault.Kind, fault.BatchIndex));
        Assert.Contains("within 2 s", fault.Reason);
        using var clean = Start(Gaussian, new ExternalSimulatorOptions { Workers = 1 });
        Assert.Equal(Batch(clean, 1).Get("x"), batch.Get("x"));
    }

    [Fact]
    public void NoHelloWithinTheStartTimeout_IsATimeout()
    {
        using var simulator = Start("sleep 60", new ExternalSimulatorOptions
        {
            Workers = 1, MaxRetries = 0, StartTimeout = TimeSpan.FromSeconds(1),
        });
        var e = Assert.Throws<ExternalSimulatorException>(() => Batch(simulator, 0));
        Assert.Equal(ExternalFaultKind.Timeout, e.LastFault.Kind);
        Assert.Contains("the worker did not say hello within 1 s (the timeout); its processes were killed", e.Message);
    }

    [PythonFact]
    public void WrongShape_EveryTime_EndsAfterMaxRetries_NamingWorkerKeyAndShapes()
    {
        string script = WriteScript(_dir, "shape.py", """
            def simulate(batch_size, rng):
                n = 9 if index() == 2 else 10
                return {"theta": rng.normal(size=(batch_size, 2)), "x": rng.normal(size=(batch_size, n, 2))}
            """);
        using var simulator = Start(PythonCommand(script),
            new ExternalSimulatorOptions { Workers = 1, MaxRetries = 1 });
        Batch(simulator, 0);
        Batch(simulator, 1);
        var e = Assert.Throws<ExternalSimulatorException>(() => Batch(simulator, 2));
        Assert.Equal(2, e.Faults.Count);
        Assert.All(e.Faults, f => Assert.Equal(ExternalFaultKind.WrongOutput, f.Kind));
        Assert.Contains("batch 2 failed 2 times (MaxRetries = 1)", e.Message);
        Assert.Contains("worker 0", e.Message);
        Assert.Contains("key 'x' has per-row shape (9, 2); expected (10, 2) as in the first batch", e.Message);
        // The simulator is spent: later calls throw the same report.
        Assert.Same(e, Assert.Throws<ExternalSimulatorException>(() => Batch(simulator, 3)));
    }

    [PythonFact]
    public void WrongKeys_AndWrongRowCount_AreFaults_NamingTheKeys()
    {
        string script = WriteScript(_dir, "keys.py", """
            def simulate(batch_size, rng):
                theta = rng.normal(size=(batch_size, 2))
                out = {"theta": theta, "x": rng.normal(size=(batch_size, 10, 2))}
                if index() == 1: out["y"] = theta
                if index() == 2: del out["x"]
                if index() == 3: out = {k: v[:-1] for k, v in out.items()}
                return out
            """);
        // The helper itself checks the row count, so the short batch is built by bypassing its check.
        using var simulator = Start(PythonCommand(script), new ExternalSimulatorOptions { Workers = 1, MaxRetries = 0 });
        Batch(simulator, 0);
        var extra = Assert.Throws<ExternalSimulatorException>(() => Batch(simulator, 1));
        Assert.Contains("the result has key 'y', which the first batch does not; expected keys: theta, x", extra.Message);
        using var missing = Start(PythonCommand(script), new ExternalSimulatorOptions { Workers = 1, MaxRetries = 0,
            ExpectedSchema = new Dictionary<string, int[]> { ["theta"] = [2], ["x"] = [10, 2] } });
        var lacks = Assert.Throws<ExternalSimulatorException>(() => Batch(missing, 2));
        Assert.Contains("the result lacks key 'x', which ExpectedSchema has; got keys: theta", lacks.Message);
    }

    [PythonFact]
    public void RowCountOtherThanBatchSize_IsAWrongOutputFault()
    {
        // A raw worker (no helper, which would refuse it itself) that answers one row short.
        string script = Path.Combine(_dir, "short.py");
        File.WriteAllText(script, """
            import io, json, struct, sys
            import numpy as np
            out = sys.stdout.buffer
            def frame(magic, payload):
                out.write(magic + struct.pack("<Q", len(payload)) + payload); out.flush()
            frame(b"AMZH", b'{"protocol": 1}')
            for line in sys.stdin:
                r = json.loads(line)
                buf = io.BytesIO()
                np.savez(buf, theta=np.zeros((r["batch_size"] - 1, 2), np.float32))
                frame(b"AMZR", buf.getvalue())
            """);
        using var simulator = Start(PythonCommand(script), new ExternalSimulatorOptions { Workers = 1, MaxRetries = 0 });
        var e = Assert.Throws<ExternalSimulatorException>(() => Batch(simulator, 0));
        Assert.Equal(ExternalFaultKind.WrongOutput, e.LastFault.Kind);
        Assert.Contains("the result has 15 rows (key 'theta' has shape (15, 2)); expected batch_size = 16", e.Message);
    }

    [PythonFact]
    public void GarbageOnStdout_IsAProtocolError_ThatSaysToLogToStderr()
    {
        string script = WriteScript(_dir, "garbage.py", """
            sys.__stdout__.write("Hello world\n"); sys.__stdout__.flush()
            def simulate(batch_size, rng):
                return {"theta": rng.normal(size=(batch_size, 2))}
            """);
        using var simulator = Start(PythonCommand(script),
            new ExternalSimulatorOptions { Workers = 1, MaxRetries = 5, MaxFailures = 1 });
        var e = Assert.Throws<ExternalSimulatorException>(() => Batch(simulator, 0));
        Assert.Equal(2, e.Faults.Count);
        Assert.All(e.Faults, f => Assert.Equal(ExternalFaultKind.ProtocolError, f.Kind));
        Assert.Contains("2 faults exceed MaxFailures = 1", e.Message);
        Assert.Contains("the worker wrote 'Hello world\\x0A' to stdout where a hello frame (AMZH) was expected; " +
            "stdout carries only frames: log to stderr", e.Message);
    }

    [PythonFact]
    public void OversizeDeclaredFrame_IsRefusedBeforeAllocating()
    {
        string script = Path.Combine(_dir, "huge.py");
        File.WriteAllText(script, """
            import struct, sys
            out = sys.stdout.buffer
            out.write(b"AMZH" + struct.pack("<Q", 15) + b'{"protocol": 1}'); out.flush()
            for line in sys.stdin:
                out.write(b"AMZR" + struct.pack("<Q", 1 << 40)); out.flush()
            """);
        using var simulator = Start(PythonCommand(script), new ExternalSimulatorOptions
        {
            Workers = 1, MaxRetries = 0, Limits = ReadLimits.Default with { MaxTotalBytes = 1 << 20 },
        });
        var e = Assert.Throws<ExternalSimulatorException>(() => Batch(simulator, 0));
        Assert.Equal(ExternalFaultKind.ProtocolError, e.LastFault.Kind);
        Assert.Contains("the result frame declares 1099511627776 bytes; the limit is 2097152 " +
            "(ReadLimits.MaxTotalBytes = 1048576 plus 1 MiB of archive overhead)", e.Message);
    }

    [PythonFact]
    public void WorkerError_CarriesTheTraceback_AndWrongProtocolIsRefused()
    {
        string script = WriteScript(_dir, "raises.py", """
            def simulate(batch_size, rng):
                raise ValueError("negative variance in my model")
            """);
        using var simulator = Start(PythonCommand(script), new ExternalSimulatorOptions { Workers = 1, MaxRetries = 1 });
        var e = Assert.Throws<ExternalSimulatorException>(() => Batch(simulator, 0));
        Assert.Equal(ExternalFaultKind.WorkerError, e.LastFault.Kind);
        Assert.Contains("ValueError: negative variance in my model", e.Message);
        Assert.Contains("Traceback", e.Message);

        string future = Path.Combine(_dir, "v2.py");
        File.WriteAllText(future, """
            import struct, sys
            sys.stdout.buffer.write(b"AMZH" + struct.pack("<Q", 15) + b'{"protocol": 2}'); sys.stdout.flush()
            sys.stdin.read()
            """);
        using var v2 = Start(PythonCommand(future), new ExternalSimulatorOptions { Workers = 1, MaxRetries = 0 });
        Assert.Contains("the worker speaks protocol 2; this host speaks protocol 1",
            Assert.Throws<ExternalSimulatorException>(() => Batch(v2, 0)).Message);
    }

    [Fact]
    public void CommandThatDoesNotStart_ReportsTheShellsStderr()
    {
        using var simulator = Start("amortized-no-such-simulator --flag",
            new ExternalSimulatorOptions { Workers = 1, MaxRetries = 1 });
        var e = Assert.Throws<ExternalSimulatorException>(() => Batch(simulator, 0));
        Assert.Equal(ExternalFaultKind.Crash, e.LastFault.Kind);
        Assert.Contains("exited with code 127", e.Message);
        Assert.Contains("amortized-no-such-simulator: not found", e.LastFault.StderrTail);
    }

    [PythonFact]
    public void TooManyFailures_ThrowWithTheLastReport_AndFailLaterCallsToo()
    {
        string script = WriteScript(_dir, "always.py", """
            def simulate(batch_size, rng):
                if index() >= 1:
                    sys.stderr.write(f"giving up on batch {index()}\n"); sys.stderr.flush(); os._exit(1)
                return {"theta": rng.normal(size=(batch_size, 2))}
            """);
        using var simulator = Start(PythonCommand(script),
            new ExternalSimulatorOptions { Workers = 2, MaxRetries = 10, MaxFailures = 3 });
        Batch(simulator, 0);
        var e = Assert.Throws<ExternalSimulatorException>(() => { for (ulong i = 1; i < 100; i++) Batch(simulator, i); });
        Assert.Equal(4, e.Faults.Count);
        Assert.Contains("4 faults exceed MaxFailures = 3", e.Message);
        Assert.Contains("giving up on batch", e.Message);
        Assert.Same(e, Assert.Throws<ExternalSimulatorException>(() => Batch(simulator, 0)));
    }

    [PythonFact]
    public void NaNRows_PassThrough_AndTheTrainerDropsThem()
    {
        string script = WriteScript(_dir, "nan.py", """
            def simulate(batch_size, rng):
                theta = rng.normal(size=(batch_size, 2))
                x = theta + 0.5 * rng.normal(size=(batch_size, 2))
                x[::4, 0] = np.nan
                return {"theta": theta, "x": x}
            """);
        using var simulator = Start(PythonCommand(script));
        var batch = Batch(simulator, 0);
        Assert.Equal(4, batch.Get("x").Count(float.IsNaN));
        Assert.Empty(simulator.Faults);
        var workflow = new BasicWorkflow(new Adapter().Concatenate(["theta"], Keys.InferenceVariables)
                .Concatenate(["x"], Keys.InferenceConditions),
            new ApproximatorSpec { CouplingFlow = new CouplingFlowOptions { Depth = 1, SubnetWidths = [16] }, Seed = 1 },
            simulator);
        var history = workflow.FitOnline(new TrainingOptions
        {
            Epochs = 3, BatchesPerEpoch = 30, BatchSize = 16, LearningRate = 3e-3f, Seed = 2,
            ValidationSimulations = 0,
        });
        Assert.Equal(90, history.Steps);
        Assert.All(history.Epochs, e => Assert.True(double.IsFinite(e.TrainLoss)));
        Assert.All(history.Epochs, e => Assert.Equal(30 * 4, e.DroppedRows)); // 4 of 16 rows per batch
        // It learns: the prior's loss is 2.84 (a standard 2-d normal), the exact posterior's (variance 0.2) 1.23.
        Assert.True(history.Epochs[2].TrainLoss < 2.2,
            string.Join(", ", history.Epochs.Select(e => e.TrainLoss)));
    }

    [PythonFact]
    public void Dispose_LeavesNoProcess_EvenWithAWorkerHanging()
    {
        string script = WriteScript(_dir, "slow.py", """
            def simulate(batch_size, rng):
                if index() == 1: time.sleep(300)
                return {"theta": rng.normal(size=(batch_size, 2))}
            """);
        var simulator = Start(PythonCommand(script), new ExternalSimulatorOptions { Workers = 3 });
        Batch(simulator, 0); // also schedules 1 (hangs) and 2
        Thread.Sleep(500);
        var ids = simulator.ProcessIds;
        Assert.True(ids.Count >= 2, $"process ids: {string.Join(", ", ids)}");
        var waiting = Task.Run(() => Batch(simulator, 1));
        simulator.Dispose();
        Assert.Throws<ObjectDisposedException>(() => { waiting.GetAwaiter().GetResult(); });
        Assert.All(ids, pid => Assert.True(IsGone(pid), $"process {pid} is still running"));
        Assert.Throws<ObjectDisposedException>(() => Batch(simulator, 0));
        Assert.Empty(simulator.Faults); // killing the workers is no fault
    }
}
