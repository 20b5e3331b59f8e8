using System.Globalization;
using Amortized.Inference;
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Kernels.Cpu;
using Amortized.Networks.Summaries;

namespace Amortized.Cli;

// fit --method point and --method model-comparison: the same run folder, training loop, run.json and report as a
// posterior run, with the estimator's own spec, diagnostics and figures.
internal static partial class FitRunner
{
    /// <summary>The quantile levels of <c>fit --method point</c> when none are given.</summary>
    public static readonly float[] DefaultQuantileLevels = [0.05f, 0.25f, 0.5f, 0.75f, 0.95f];

    /// <summary>What an estimator run trains on: Training is null for online training.</summary>
    private sealed record EstimatorSetup(string Description, Adapter Adapter, ISimulator Simulator,
        SimulationBatch Probe, SimulationBatch? Training, SimulationBatch? Validation, InputKey[] Parameters,
        string[] ParameterNames, InputKey[] Inputs, SummaryNetworkKind Summary);

    private static int RunEstimator(CliContext ctx, FitSettings s)
    {
        bool point = s.Method == FitMethod.Point;
        string method = CliChoices.Methods.Word(s.Method);
        // Every bad combination is refused before anything is trained or the folder is touched.
        if (s.InferenceNetwork is { } inference)
            throw new UsageException($"--inference-network {CliChoices.InferenceNetworks.Word(inference)}: --method " +
                $"{method} trains {(point ? "a scoring-rule head" : "a classifier")} on the data, not an inference " +
                "network; leave the option out.");
        if (s.ConditionalAffine is not null)
            throw new UsageException($"--conditional-affine and --no-conditional-affine are layers of the coupling " +
                $"flows; --method {method} has none.");
        if (s.VarianceContraction)
            throw new UsageException($"--contraction-variance is a check of posterior draws; --method {method} " +
                "draws none.");
        if (s.Data.Length > 0)
            throw new UsageException($"--method {method} trains on built-in tasks; --data is for --method posterior.");
        if (point)
        {
            if (s.Task is null) throw new UsageException("fit --method point needs a TASK (see 'amortized tasks').");
            if (s.Models.Length > 0)
                throw new UsageException("--models names the tasks of --method model-comparison; got --method point.");
        }
        else
        {
            if (s.Task is not null)
                throw new UsageException($"fit --method model-comparison compares the tasks named by --models; leave " +
                    $"out TASK (got '{s.Task}').");
            if (s.Models.Length == 0)
                throw new UsageException("fit --method model-comparison needs --models TASK,TASK[,...]: two or more " +
                    "built-in tasks with the same data shape.");
            if (s.QuantileLevels is not null)
                throw new UsageException("--quantile-levels is for --method point; got --method model-comparison.");
        }
        var levels = s.QuantileLevels ?? DefaultQuantileLevels;
        if (point) CheckLevels(levels);
        var setup = point ? PointSetup(s) : ModelComparisonSetup(s);
        var backend = DeviceSelection.Open(s.Device);
        KernelThreading.MaxThreads = s.Threads;
        using var writer = RunFolderWriter.Acquire(s.Out, "--out");
        try
        {
            return RunEstimator(ctx, s, setup, levels, backend, writer);
        }
        catch (IOException e) when (writer.InUserTerms(e.Message) is var message && message != e.Message)
        {
            throw new IOException(message, e);
        }
    }

    /// <summary>Levels strictly increasing in (0, 1), at least two (one central interval).</summary>
    private static void CheckLevels(float[] levels)
    {
        if (levels.Length < 2)
            throw new UsageException($"--quantile-levels gives {levels.Length} level(s); expected at least 2, e.g. " +
                "0.05,0.5,0.95.");
        for (int i = 0; i < levels.Length; i++)
            if (!(levels[i] > 0f && levels[i] < 1f) || (i > 0 && !(levels[i] > levels[i - 1])))
                throw new UsageException($"--quantile-levels: level {i + 1} is " +
                    $"{levels[i].ToString(CultureInfo.InvariantCulture)}; expected levels strictly increasing in " +
                    "(0, 1).");
    }

    private static int RunEstimator(CliContext ctx, FitSettings s, EstimatorSetup setup, float[] levels,
        Amortized.Tensors.Backends.IBackend backend, RunFolderWriter writer)
    {
        RunFolder folder = writer.Folder, staged = writer.Staged;
        var key = ctx.ModelKey();
        bool point = s.Method == FitMethod.Point;
        var workflow = point
            ? new BasicWorkflow(setup.Adapter, new PointApproximatorSpec
            {
                Rules = [ScoringRuleSpec.Mean(), ScoringRuleSpec.Quantiles(levels)],
                Summary = setup.Summary,
                DeepSet = setup.Summary == SummaryNetworkKind.DeepSet ? new DeepSetOptions() : null,
                SetTransformer = setup.Summary == SummaryNetworkKind.SetTransformer ? new SetTransformerOptions() : null,
                TimeSeries = setup.Summary == SummaryNetworkKind.TimeSeries ? new TimeSeriesNetworkOptions() : null,
                TimeSeriesTransformer = setup.Summary == SummaryNetworkKind.TimeSeriesTransformer
                    ? new TimeSeriesTransformerOptions() : null,
                Seed = s.Seed,
                // The least-squares start the point tests measured: the network then learns only the remainder.
                Approximator = new PointApproximatorOptions { LinearBaseline = true },
            }, setup.Simulator)
            : new BasicWorkflow(setup.Adapter, new ModelComparisonSpec
            {
                ModelNames = [.. s.Models.Select(TaskNames.Normalize)],
                Summary = setup.Summary,
                DeepSet = setup.Summary == SummaryNetworkKind.DeepSet ? new DeepSetOptions() : null,
                SetTransformer = setup.Summary == SummaryNetworkKind.SetTransformer ? new SetTransformerOptions() : null,
                TimeSeries = setup.Summary == SummaryNetworkKind.TimeSeries ? new TimeSeriesNetworkOptions() : null,
                TimeSeriesTransformer = setup.Summary == SummaryNetworkKind.TimeSeriesTransformer
                    ? new TimeSeriesTransformerOptions() : null,
                Seed = s.Seed,
            }, setup.Simulator);
        var approximator = workflow.BuildApproximator(setup.Probe);
        string method = CliChoices.Methods.Word(s.Method);
        var settings = new Dictionary<string, string>
        {
            ["task"] = s.Task is null ? "none" : TaskNames.Normalize(s.Task),
            ["models"] = string.Join(",", s.Models.Select(TaskNames.Normalize)),
            ["simulations"] = s.Simulations?.ToString(CultureInfo.InvariantCulture) ?? "online",
            ["method"] = method,
            ["quantile_levels"] = point
                ? string.Join(",", levels.Select(l => l.ToString(CultureInfo.InvariantCulture))) : "none",
            ["summary_network"] = CliChoices.SummaryNetworks.Word(setup.Summary),
            ["threads"] = s.Threads.ToString(CultureInfo.InvariantCulture),
            ["device"] = CliChoices.Devices.Word(s.Device),
        };
        var (options, epochs, batchSize) = PrepareTraining(ctx, s, approximator.Store, backend, setup.Training,
            setup.Validation, setup.Description, folder.Checkpoint, settings);
        ctx.Log($"history while training: {staged.History}");
        if (s.Resume && File.Exists(folder.Checkpoint))
            ctx.Log($"resumed from {folder.Checkpoint} after epoch {workflow.Resume(folder.Checkpoint)}");
        var history = Train(ctx, workflow, options, setup.Training, null, setup.Validation, staged.History);

        var metadata = new Dictionary<string, string>
        {
            ["method"] = method,
            [ObservationShapes.MetadataKey] = ObservationShapes.Format(setup.Inputs.Select(k =>
                new KeyValuePair<string, int[]>(k.Name, k.RowShape))),
        };
        if (s.Task is not null) metadata["task"] = TaskNames.Normalize(s.Task);
        if (!point) metadata["models"] = string.Join(",", s.Models.Select(TaskNames.Normalize));
        try
        {
            workflow.Save(staged.Model, metadata, key);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"the trained model cannot be saved: {e.Message}", e);
        }
        var run = new RunInfo
        {
            Task = s.Task is null ? null : TaskNames.Normalize(s.Task),
            Method = method,
            InferenceNetwork = "none",
            SummaryNetwork = CliChoices.SummaryNetworks.Word(setup.Summary),
            Parameters = setup.Parameters,
            ParameterNames = setup.ParameterNames,
            Inputs = setup.Inputs,
            Simulations = s.Simulations,
            Epochs = epochs,
            BatchSize = batchSize,
            BatchesPerEpoch = s.BatchesPerEpoch,
            Seed = s.Seed,
            Threads = s.Threads,
            Steps = history.Steps,
            TrainingSeconds = history.Seconds,
            StopReason = history.StopReason,
            ParameterCount = approximator.Store.Count,
            Architecture = (approximator.SummaryNetwork is { } summary ? summary + "\n" : "") + approximator,
            Created = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture),
            Machine = MachineDescription(),
            ScoringRules = point ? ["mean", "quantiles"] : null,
            QuantileLevels = point ? levels : null,
            Models = point ? null : [.. s.Models.Select(TaskNames.Normalize)],
        };
        run.Save(staged.Run);
        ctx.Log($"trained {history.Steps:N0} steps in {history.Seconds:F1} s " +
            $"({history.StopReason}); model: {folder.Model}");
        if (s.Report)
            RunReporter.ProduceEstimator(ctx, staged, run, approximator, s.DiagnosticDatasets, s.Seed);
        writer.Commit(RunFolder.FitFiles);
        if (s.Report) ctx.Log($"report: {folder.Report}");
        return CliErrors.Ok;
    }

    private static EstimatorSetup PointSetup(FitSettings s)
    {
        var task = TaskNames.Create(s.Task!);
        var summary = s.SummaryNetwork ?? task.DefaultSummaryNetwork;
        var adapter = task.DefaultAdapter(likelihood: false, summary);
        var probe = task.Sample(4, s.Seed ^ StreamRegistry.ShapeProbeSalt,
            new SampleOptions { BatchIndex = StreamRegistry.ShapeProbeBatch.First });
        var inputs = probe.Keys.Where(k => k != task.ParameterKey).Select(k =>
            new InputKey(k, probe.Shape(k)[1..].ToArray())).ToArray();
        InputKey[] parameters = [new InputKey(task.ParameterKey, probe.Shape(task.ParameterKey)[1..].ToArray())];
        string description = $"{task.Name} (point: mean + quantiles{(summary == SummaryNetworkKind.None ? ""
            : " + " + CliChoices.SummaryNetworks.Word(summary))})";
        var (training, validation) = Budget(s, task);
        return new EstimatorSetup(description, adapter, task, probe, training, validation, parameters,
            [.. task.ParameterNames], inputs, summary);
    }

    private static EstimatorSetup ModelComparisonSetup(FitSettings s)
    {
        var (tasks, data) = ModelChoices.Parse(s.Models, s.Seed);
        var summary = s.SummaryNetwork ?? tasks[0].DefaultSummaryNetwork;
        var simulator = ModelChoices.Simulator(tasks);
        var probe = simulator.Sample(4, s.Seed ^ StreamRegistry.ShapeProbeSalt,
            new SampleOptions { BatchIndex = StreamRegistry.ShapeProbeBatch.First });
        string description = $"model comparison of {string.Join(" vs ", tasks.Select(t => t.Name))}" +
            (summary == SummaryNetworkKind.None ? "" : $" ({CliChoices.SummaryNetworks.Word(summary)})");
        var (training, validation) = Budget(s, simulator);
        return new EstimatorSetup(description, ModelChoices.Adapter(data.Name, summary), simulator, probe, training,
            validation, [], [], [data], summary);
    }

    /// <summary>Offline: the fixed simulations split 90/10; online: only validation simulations.</summary>
    private static (SimulationBatch? Training, SimulationBatch Validation) Budget(FitSettings s, ISimulator simulator)
    {
        if (s.Simulations is not int n)
            return (null, simulator.Sample(Math.Max(256, (s.BatchSize ?? DefaultOnlineBatchSize) * 4), s.Seed,
                new SampleOptions { BatchIndex = StreamRegistry.ValidationBatch.First }));
        var (train, validation) = TrainingDefaults.Split(simulator.Sample(n, s.Seed), s.Seed);
        return (train, validation);
    }
}
