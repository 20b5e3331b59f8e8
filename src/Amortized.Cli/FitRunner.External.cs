using Amortized.Inference;
using Amortized.Inference.External;
using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;

namespace Amortized.Cli;

/// <summary>
/// <c>amortized fit --simulator "CMD" --inference-variables K --summary-variables K ...</c>: online training on an
/// external simulator (or, with --simulations N, offline on a budget simulated through it first) (<see cref="ExternalSimulator"/>, docs/simulator-protocol.md), like a built-in TASK: validation
/// and diagnostics data are simulated, and a resumed run asks the simulator for the same batches.
/// </summary>
internal static partial class FitRunner
{
    /// <summary>Seconds a worker may take to start or to answer one batch, unless --simulator-timeout says otherwise.</summary>
    public const int DefaultSimulatorTimeoutSeconds = 60;

    /// <summary>The options that do not go with --simulator, refused before anything starts (exit 2).</summary>
    private static void CheckExternalUsage(FitSettings s)
    {
        if (s.Simulator is null)
            throw new UsageException("--simulator-workers and --simulator-timeout go with --simulator CMD.");
        if (string.IsNullOrWhiteSpace(s.Simulator))
            throw new UsageException("--simulator: the command is empty; give the command that starts one worker, " +
                "e.g. --simulator \"python3 my_simulator.py\".");
        if (s.Task is not null)
            throw new UsageException($"fit takes a TASK or --simulator, not both (got TASK '{s.Task}').");
        if (s.Data.Length > 0) throw new UsageException("fit takes --data or --simulator, not both.");
        if (s.Method != FitMethod.Posterior)
            throw new UsageException($"--simulator trains a posterior; got --method {CliChoices.Methods.Word(s.Method)}.");
    }

    /// <summary>
    /// Rows per request when --simulations simulates a fixed budget: the budget is asked as batches 0, 1, 2, ... of
    /// this many rows, so the workers simulate them in parallel and the same seed gives the same budget.
    /// </summary>
    public const int OfflineSimulationChunk = 1024;

    /// <summary>How the run records its data source (run.json, the checkpoint's settings).</summary>
    private static string ExternalDataSource(FitSettings s) => "simulator: " + s.Simulator;

    /// <summary>
    /// Starts the workers and simulates what training needs first: a shape probe (the keys and their shapes), the
    /// validation set and the held-out data sets of the report. A simulator that fails here does not work at all: the
    /// user's to fix (exit 2, with the fault report and the worker's stderr tail). Faults during training, once the
    /// fault budget is spent, exit 1 and leave the last epoch's checkpoint for --resume.
    /// </summary>
    private static Setup ExternalSetup(CliContext ctx, FitSettings s, bool likelihood)
    {
        CheckKeyOptions(s, likelihood, "--simulator");
        var options = new ExternalSimulatorOptions
        {
            Workers = s.SimulatorWorkers ?? Environment.ProcessorCount,
            Timeout = s.SimulatorTimeout ?? TimeSpan.FromSeconds(DefaultSimulatorTimeoutSeconds),
            // A start may take longer than a batch (imports, a JIT), never less than the default.
            StartTimeout = TimeSpan.FromSeconds(Math.Max(DefaultSimulatorTimeoutSeconds,
                (s.SimulatorTimeout ?? TimeSpan.Zero).TotalSeconds)),
            Log = ctx.Error,
        };
        var simulator = new ExternalSimulator(s.Simulator!, options);
        try
        {
            int batchSize = s.BatchSize ?? DefaultOnlineBatchSize;
            var probe = simulator.Sample(4, s.Seed ^ StreamRegistry.ShapeProbeSalt,
                new SampleOptions { BatchIndex = StreamRegistry.ShapeProbeBatch.First });
            long budget = s.Simulations
                ?? (long)(s.Epochs ?? DefaultOnlineEpochs) * s.BatchesPerEpoch * batchSize;
            var layout = KeyedLayout(s, probe, "the simulator's batches", budget);
            var validation = simulator.Sample(Math.Max(256, batchSize * 4), s.Seed,
                new SampleOptions { BatchIndex = StreamRegistry.ValidationBatch.First });
            var heldOut = simulator.Sample(s.DiagnosticDatasets, s.Seed,
                new SampleOptions { BatchIndex = StreamRegistry.HeldOutBatch.First });
            string description = $"simulator '{s.Simulator}' ({Networks(layout.Inference, layout.Summary)}, " +
                $"{options.Workers} worker(s))";
            if (s.Simulations is int n)
            {
                // A fixed budget, as sbi users train: simulated once (in parallel chunks), then trained offline with
                // the validation split and best-epoch rule of TrainingDefaults, like a TASK with --simulations.
                var chunks = new List<SimulationBatch>();
                for (int start = 0, index = 0; start < n; start += OfflineSimulationChunk, index++)
                    chunks.Add(simulator.Sample(Math.Min(OfflineSimulationChunk, n - start), s.Seed,
                        new SampleOptions { BatchIndex = (ulong)index }));
                var (train, validationSplit) = TrainingDefaults.Split(SimulationBatch.Concatenate(chunks), s.Seed);
                ctx.Log($"simulated {n:N0} data sets through the simulator for offline training");
                return new Setup(description, layout.Adapter, layout.Spec, probe, simulator, train, validationSplit,
                    heldOut, null, layout.Parameters, layout.Names, layout.Inputs, layout.Inference);
            }
            return new Setup(description, layout.Adapter, layout.Spec, probe, simulator, null, validation, heldOut,
                null, layout.Parameters, layout.Names, layout.Inputs, layout.Inference);
        }
        catch (ExternalSimulatorException e)
        {
            simulator.Dispose();
            throw new UsageException($"--simulator: the simulator does not work: {e.Message}");
        }
        catch
        {
            simulator.Dispose();
            throw;
        }
    }
}
