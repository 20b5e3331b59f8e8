using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using Amortized.Inference;
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Serialization;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Kernels.Cpu;
using Spectre.Console;

namespace Amortized.Cli;

/// <summary>Everything <c>amortized fit</c> is asked to do.</summary>
internal sealed record FitSettings
{
    public string? Task { get; init; }
    public string[] Data { get; init; } = [];
    /// <summary>External simulator command (<c>--simulator</c>); see FitRunner.External.cs.</summary>
    public string? Simulator { get; init; }
    public int? SimulatorWorkers { get; init; }
    public TimeSpan? SimulatorTimeout { get; init; }
    public string[] InferenceVariables { get; init; } = [];
    public string[] InferenceConditions { get; init; } = [];
    public string[] SummaryVariables { get; init; } = [];
    public required string Out { get; init; }
    public int? Simulations { get; init; }
    public int? Epochs { get; init; }
    public int? BatchSize { get; init; }
    public int BatchesPerEpoch { get; init; } = 100;
    public ulong Seed { get; init; } = 1;
    /// <summary>Null: coupling, affine or spline by the budget (TrainingDefaults.Transform).</summary>
    public InferenceChoice? InferenceNetwork { get; init; }
    /// <summary>Null: on for coupling and spline flows (TrainingDefaults), off for flow matching.</summary>
    public bool? ConditionalAffine { get; init; }
    public SummaryNetworkKind? SummaryNetwork { get; init; }
    public FitMethod Method { get; init; } = FitMethod.Posterior;
    public int Threads { get; init; } = Environment.ProcessorCount;
    public DeviceChoice Device { get; init; } = DeviceChoice.Cpu;
    public TimeSpan? TimeBudget { get; init; }
    public bool Resume { get; init; }
    public int DiagnosticDatasets { get; init; } = 300;
    public int DiagnosticSamples { get; init; } = 1000;
    public bool Report { get; init; } = true;
    public bool VarianceContraction { get; init; }
    /// <summary>Model comparison: the built-in tasks compared.</summary>
    public string[] Models { get; init; } = [];
    /// <summary>Point estimation: the quantile levels (null: the default).</summary>
    public float[]? QuantileLevels { get; init; }
    /// <summary>--follow: train while a producer writes shards into the --data folder (FitRunner.Follow.cs).</summary>
    public bool Follow { get; init; }
    public TimeSpan? FollowTimeout { get; init; }
    /// <summary>--stream: read the --data files part by part from disk (ShardedDataset.OpenFiles).</summary>
    public bool Stream { get; init; }
    /// <summary>--flow-matching-ot, --time-embedding N (FitRunner.FlowMatching.cs).</summary>
    public bool FlowMatchingOt { get; init; }
    public int? TimeEmbedding { get; init; }
    /// <summary>--base-mixture K (FitRunner.BaseMixture.cs).</summary>
    public int? BaseMixture { get; init; }
    /// <summary>--consistency-steps N (FitRunner.Consistency.cs).</summary>
    public int? ConsistencySteps { get; init; }
    /// <summary>--diffusion-schedule, --diffusion-sampler (FitRunner.Diffusion.cs).</summary>
    public Amortized.Networks.Flows.NoiseScheduleKind? DiffusionSchedule { get; init; }
    public Amortized.Networks.Flows.DiffusionSampler? DiffusionSampler { get; init; }
}

/// <summary>Trains a model as <c>fit</c> describes and writes the run folder.</summary>
internal static partial class FitRunner
{
    /// <summary>
    /// Online defaults: 40 epochs of 100 fresh batches of 128. Offline (a fixed budget) follows
    /// <see cref="TrainingDefaults"/>.
    /// </summary>
    public const int DefaultOnlineEpochs = 40, DefaultOnlineBatchSize = 128;

    /// <summary>Simulations stored with the model as the misspecification reference.</summary>
    public const int MisspecificationReferenceSize = 1000;

    public static int Run(CliContext ctx, FitSettings s)
    {
        if (s.Simulator is not null || s.SimulatorWorkers is not null || s.SimulatorTimeout is not null)
            CheckExternalUsage(s);
        WaitForFirstShard(ctx, s);
        if (s.Stream && (s.Data.Length == 0 || s.Follow))
            throw new UsageException(s.Follow ? "--follow streams its folder already; --stream is for --data files."
                : "--stream reads --data files part by part; give --data FILE...");
        if (!CliChoices.IsDensity(s.Method))
            return RunEstimator(ctx, RefuseDiffusionOptions(RefuseConsistencyOptions(RefuseBaseMixture(
                RefuseFlowMatchingOptions(s)))));
        CheckConsistencyUsage(s);
        string word = CliChoices.Methods.Word(s.Method);
        if (s.Models.Length > 0)
            throw new UsageException($"--models names the tasks of --method model-comparison; got --method {word}.");
        if (s.QuantileLevels is not null)
            throw new UsageException($"--quantile-levels is for --method point; got --method {word}.");
        if (s.ConditionalAffine == true && s.InferenceNetwork is { } other && !CliChoices.IsCouplingFlow(other))
            throw new UsageException("--conditional-affine is a layer of the coupling and spline flows; " +
                $"--inference-network {CliChoices.InferenceNetworks.Word(other)} has none.");
        var backend = DeviceSelection.Open(s.Device);
        if (s.Simulator is null && (s.Task is null) == (s.Data.Length == 0))
            throw new UsageException(s.Task is null ? "fit needs a TASK, --data PATH or --simulator CMD."
                : "fit takes a TASK or --data, not both.");
        bool likelihood = s.Method == FitMethod.Likelihood;
        KernelThreading.MaxThreads = s.Threads;
        // Held until the new run is committed (or the process ends): a second fit on the folder is refused, and
        // the folder keeps the previous complete run until the commit switches to the new one.
        using var writer = RunFolderWriter.Acquire(s.Out, "--out");
        try
        {
            return Run(ctx, s, backend, likelihood, writer);
        }
        catch (IOException e) when (writer.InUserTerms(e.Message) is var message && message != e.Message)
        {
            throw new IOException(message, e);
        }
    }

    private static int Run(CliContext ctx, FitSettings s, Amortized.Tensors.Backends.IBackend backend, bool likelihood,
        RunFolderWriter writer)
    {
        RunFolder folder = writer.Folder, staged = writer.Staged;
        // Read before training, so a bad key file costs nothing and is the user's error (exit 2), not a failed save.
        var key = ctx.ModelKey();
        var setup = s.Simulator is not null ? ExternalSetup(ctx, s, likelihood)
            : s.Task is not null ? TaskSetup(s, likelihood) : DataSetup(s, likelihood);
        setup = WithConsistencyOptions(s, WithBaseMixture(s, WithFlowMatchingOptions(s, setup)));
        setup = WithDiffusionOptions(s, setup);
        using var external = setup.Simulator as Amortized.Inference.External.ExternalSimulator;
        var workflow = new BasicWorkflow(setup.Adapter, setup.Spec, setup.Simulator);
        var approximator = workflow.Build(setup.Probe);
        var (options, epochs, batchSize) = PrepareTraining(ctx, s, approximator.Store, backend, setup.Training,
            setup.Validation, setup.Description, folder.Checkpoint, ResumeSettings(s, setup));
        // A fixed budget (in memory or on disk) can be memorised; online simulations cannot.
        if (setup.Training is not null || setup.Shards is not null)
        {
            options = options with { WeightDecay = TrainingDefaults.OfflineWeightDecay(setup.Spec.Inference,
                approximator.InferenceNetwork.Dimension, setup.Training?.BatchSize ?? setup.Shards!.Count) };
            if (options.WeightDecay is { } decay)
                ctx.Log($"weight decay {decay.ToString("G3", CultureInfo.InvariantCulture)}: a coupling flow of " +
                    $"{approximator.InferenceNetwork.Dimension} variables on a fixed budget");
        }
        if (setup.Shards is not null && !s.Follow)
            ctx.Log("note: streaming from disk trains on every shard; validation and diagnostics use a tenth of " +
                "shard 0, which training also sees, so they are optimistic");
        // The folder keeps the previous run until this one commits; its history grows in the staging folder.
        ctx.Log($"history while training: {staged.History}");
        if (s.Resume && File.Exists(folder.Checkpoint))
            ctx.Log($"resumed from {folder.Checkpoint} after epoch {workflow.Resume(folder.Checkpoint)}");
        var history = Train(ctx, workflow, options, setup.Training, setup.Shards, setup.Validation, staged.History, s);

        // Summary-space vectors of fresh simulations (or held-out data) against which 'sample' checks observations.
        if (!likelihood && approximator.SummarySpaceDim > 0)
        {
            // The workflow simulates each reference data set as its own batch, so per-batch context
            // (gaussian_mean_sets' n) varies over the reference as it does over observations, and it
            // drops non-finite rows.
            try
            {
                if (setup.Simulator is not null)
                    workflow.ComputeMisspecificationReference(MisspecificationReferenceSize, s.Seed);
                else if (setup.HeldOut is { BatchSize: >= 20 } heldOut)
                    workflow.ComputeMisspecificationReference(heldOut);
            }
            catch (ArgumentException e)
            {
                // Non-finite summaries: the model is still worth saving; 'sample' then just cannot check observations.
                ctx.Log($"note: no misspecification reference stored ({e.Message})");
            }
        }
        var metadata = new Dictionary<string, string>
        {
            ["method"] = CliChoices.Methods.Word(s.Method),
            // The observation layout, so the C library (libamortized) can read set and time-series models too.
            [ObservationShapes.MetadataKey] = ObservationShapes.Format(setup.Inputs.Select(k =>
                new KeyValuePair<string, int[]>(k.Name, k.RowShape))),
        };
        if (s.Task is not null) metadata["task"] = TaskNames.Normalize(s.Task);
        try
        {
            workflow.Save(staged.Model, metadata, key);
        }
        catch (ArgumentException e)
        {
            // Non-finite weights mean training diverged: our failure to report (exit 1), not the user's input.
            throw new InvalidOperationException($"the trained model cannot be saved: {e.Message}", e);
        }
        if (setup.HeldOut is not null) Npy.WriteNpz(staged.HeldOut, setup.HeldOut);
        WriteHistory(staged.History, history);

        var run = new RunInfo
        {
            Task = s.Task is null ? null : TaskNames.Normalize(s.Task),
            DataSource = s.Simulator is not null ? ExternalDataSource(s)
                : s.Data.Length == 0 ? null : string.Join(",", s.Data.Select(Path.GetFullPath)),
            Method = CliChoices.Methods.Word(s.Method),
            InferenceNetwork = CliChoices.InferenceNetworks.Word(setup.Inference),
            SummaryNetwork = CliChoices.SummaryNetworks.Word(setup.Spec.Summary),
            Parameters = setup.Parameters,
            ParameterNames = setup.ParameterNames,
            Inputs = setup.Inputs,
            InferenceVariables = s.Task is null ? s.InferenceVariables : null,
            InferenceConditions = s.Task is null ? s.InferenceConditions : null,
            SummaryVariables = s.Task is null ? s.SummaryVariables : null,
            Simulations = s.Task is null ? setup.Training?.BatchSize : s.Simulations,
            Epochs = epochs,
            BatchSize = batchSize,
            BatchesPerEpoch = s.BatchesPerEpoch,
            Seed = s.Seed,
            Threads = s.Threads,
            Steps = history.Steps,
            TrainingSeconds = history.Seconds,
            StopReason = history.StopReason,
            ParameterCount = approximator.Store.Count,
            Architecture = Architecture(approximator),
            Created = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture),
            Machine = MachineDescription(),
        };
        run.Save(staged.Run);
        ctx.Log($"trained {history.Steps:N0} steps in {history.Seconds:F1} s " +
            $"({history.StopReason}); model: {folder.Model}");

        if (s.Report)
            RunReporter.Produce(ctx, staged, run, approximator, s.DiagnosticDatasets, s.DiagnosticSamples, s.Seed,
                varianceContraction: s.VarianceContraction);
        writer.Commit(RunFolder.FitFiles);
        if (s.Report) ctx.Log($"report: {folder.Report}");
        return CliErrors.Ok;
    }

    /// <summary>
    /// The settings of <c>fit</c> besides the trainer's own that decide the result: a <c>--resume</c> with any other
    /// value is refused, naming it (the checkpoint records them).
    /// </summary>
    private static Dictionary<string, string> ResumeSettings(FitSettings s, Setup setup)
    {
        var settings = BaseResumeSettings(s, setup);
        AddFlowMatchingResumeSettings(s, settings);
        AddBaseMixtureResumeSettings(s, settings);
        AddDiffusionResumeSettings(s, settings);
        return settings;
    }

    private static Dictionary<string, string> BaseResumeSettings(FitSettings s, Setup setup) => new()
    {
        ["task"] = s.Task is null ? "none" : TaskNames.Normalize(s.Task),
        ["data"] = s.Simulator is not null ? ExternalDataSource(s)
            : s.Data.Length == 0 ? "none" : string.Join(",", s.Data.Select(Path.GetFullPath)),
        ["inference_variables"] = string.Join(",", s.InferenceVariables),
        ["inference_conditions"] = string.Join(",", s.InferenceConditions),
        ["summary_variables"] = string.Join(",", s.SummaryVariables),
        ["simulations"] = s.Simulations?.ToString(CultureInfo.InvariantCulture) ?? "online",
        ["method"] = CliChoices.Methods.Word(s.Method),
        ["inference_network"] = CliChoices.InferenceNetworks.Word(setup.Inference),
        ["summary_network"] = CliChoices.SummaryNetworks.Word(setup.Spec.Summary),
        ["conditional_affine"] = (s.ConditionalAffine ?? CliChoices.IsCouplingFlow(setup.Inference))
            ? "on" : "off",
        // The kernels split sums by thread, so another thread count rounds differently.
        ["threads"] = s.Threads.ToString(CultureInfo.InvariantCulture),
        ["device"] = CliChoices.Devices.Word(s.Device),
    };

    /// <summary>Adapter, spec, data and names of a run; Training is null for online training.</summary>
    internal sealed record Setup(string Description, Adapter Adapter, ApproximatorSpec Spec, SimulationBatch Probe,
        ISimulator? Simulator, SimulationBatch? Training, SimulationBatch? Validation,
            SimulationBatch? HeldOut, ShardedDataset? Shards,
        InputKey[] Parameters, string[] ParameterNames, InputKey[] Inputs, InferenceChoice Inference);

    private static Setup TaskSetup(FitSettings s, bool likelihood)
    {
        var task = TaskNames.Create(s.Task!);
        var summary = s.SummaryNetwork ?? task.DefaultSummaryNetwork;
        if (likelihood && summary != SummaryNetworkKind.None)
            throw new UsageException($"--method likelihood learns p(x | theta) and needs no summary network; got " +
                $"--summary-network {CliChoices.SummaryNetworks.Word(summary)}.");
        Adapter adapter;
        try { adapter = task.DefaultAdapter(likelihood, summary); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new UsageException(e.Message);
        }
        var probe = task.Sample(4, s.Seed ^ StreamRegistry.ShapeProbeSalt,
            new SampleOptions { BatchIndex = StreamRegistry.ShapeProbeBatch.First });
        var inputs = probe.Keys.Where(k => k != task.ParameterKey).Select(k =>
            new InputKey(k, probe.Shape(k)[1..].ToArray())).ToArray();
        // The budget the defaults are chosen for: the fixed simulations, or all that online training will draw.
        long budget = s.Simulations ?? (long)(s.Epochs ?? DefaultOnlineEpochs) * s.BatchesPerEpoch
            * (s.BatchSize ?? DefaultOnlineBatchSize);
        var inference = s.InferenceNetwork ?? DefaultInference(budget);
        var spec = NetworkChoices.Spec(inference, summary, s.Seed,
            s.ConditionalAffine ?? CliChoices.IsCouplingFlow(inference));
        string description =
            $"{task.Name} ({CliChoices.Methods.Word(s.Method)}, {Networks(inference, summary)})";
        if (s.Simulations is not int n)
            return new Setup(description, adapter, spec, probe, task, null,
                task.Sample(Math.Max(256, (s.BatchSize ?? DefaultOnlineBatchSize) * 4), s.Seed,
                    new SampleOptions { BatchIndex = StreamRegistry.ValidationBatch.First }), null, null,
                [new InputKey(task.ParameterKey, probe.Shape(task.ParameterKey)[1..].ToArray())],
                [.. task.ParameterNames], inputs, inference);
        var all = task.Sample(n, s.Seed);
        var (train, validation) = TrainingDefaults.Split(all, s.Seed);
        return new Setup(description, adapter, spec, probe, task, train, validation, null, null,
            [new InputKey(task.ParameterKey, probe.Shape(task.ParameterKey)[1..].ToArray())], [.. task.ParameterNames],
            inputs, inference);
    }

    private static Setup DataSetup(FitSettings s, bool likelihood)
    {
        CheckKeyOptions(s, likelihood, "--data");
        SimulationBatch all;
        ShardedDataset? shards = null;
        if (s.Follow) (shards, all) = OpenFollowed(s);
        else if (s.Data.Length == 1 && Directory.Exists(s.Data[0]))
        {
            shards = ShardedDataset.Open(s.Data[0]);
            all = shards.ReadShard(0);
        }
        else if (s.Stream)
        {
            if (s.Data.FirstOrDefault(Directory.Exists) is { } folder)
                throw new UsageException($"--stream reads --data files; '{folder}' is a folder (a folder streams " +
                    "without --stream; give it alone).");
            if (s.Data.FirstOrDefault(f => !File.Exists(f)) is { } missing)
                throw new UsageException($"data file '{missing}' does not exist.");
            shards = ShardedDataset.OpenFiles(s.Data);
            all = shards.ReadShard(0);
        }
        else all = DataFiles.ReadBatch(s.Data);
        // The budget the default network is chosen for: every row of a sharded folder (the first shard is only a
        // sample of it), else the rows left after the validation split.
        var layout = KeyedLayout(s, all, "the data", shards is not null && !s.Follow
            ? shards.Count : Math.Max(1, all.BatchSize - all.BatchSize / 10));
        if (all.BatchSize < 10) throw new UsageException(
            $"the data hold {all.BatchSize} simulations; at least 10 are needed to train and validate.");
        string description =
            $"{string.Join(",", s.Data.Select(Path.GetFileName))} ({Networks(layout.Inference, layout.Summary)})";
        if (shards is not null)
        {
            // The first shard's last tenth is held out for validation and diagnostics; the rest stream from disk.
            var (_, heldOut) = TrainingDefaults.Split(all, s.Seed);
            return new Setup(description, layout.Adapter, layout.Spec, all.Slice(0, Math.Min(4, all.BatchSize)), null,
                null, heldOut, heldOut, shards,
                layout.Parameters, layout.Names, layout.Inputs, layout.Inference);
        }
        var (train, validation) = TrainingDefaults.Split(all, s.Seed);
        return new Setup(description, layout.Adapter, layout.Spec, train.Slice(0, Math.Min(4, train.BatchSize)), null,
            train, validation, validation, null,
            layout.Parameters, layout.Names, layout.Inputs, layout.Inference);
    }

    /// <summary>The key options a run on keyed arrays (--data or --simulator, named by <paramref name="flag"/>) needs.</summary>
    private static void CheckKeyOptions(FitSettings s, bool likelihood, string flag)
    {
        if (s.InferenceVariables.Length == 0)
            throw new UsageException($"fit {flag} needs --inference-variables KEY[,KEY...].");
        if (s.InferenceConditions.Length == 0 && s.SummaryVariables.Length == 0)
            throw new UsageException($"fit {flag} needs --inference-conditions or --summary-variables (what the " +
                "posterior is conditioned on).");
        if (likelihood) throw new UsageException($"--method likelihood is for built-in tasks (it needs the prior " +
            $"density); with {flag} swap the roles of the keys instead.");
    }

    /// <summary>The adapter, networks and key layout of a run on keyed arrays, read off a sample of them.</summary>
    private sealed record Layout(Adapter Adapter, ApproximatorSpec Spec, InferenceChoice Inference,
        SummaryNetworkKind Summary, InputKey[] Inputs, InputKey[] Parameters, string[] Names);

    /// <summary>
    /// The layout of a run on keyed arrays (--data, --simulator): <paramref name="sample"/> must hold every key named
    /// (<paramref name="source"/> names it in the error); <paramref name="budget"/> is the simulations training will
    /// see, for the default inference network.
    /// </summary>
    private static Layout KeyedLayout(FitSettings s, SimulationBatch sample, string source, long budget)
    {
        foreach (string key in s.InferenceVariables.Concat(s.InferenceConditions).Concat(s.SummaryVariables))
            if (!sample.Contains(key))
                throw new UsageException($"{source} have no key '{key}'; they have {string.Join(", ", sample.Keys)}.");
        var summaryKind = s.SummaryVariables.Length == 0
            ? SummaryNetworkKind.None : s.SummaryNetwork ?? SummaryNetworkKind.DeepSet;
        if (s.SummaryVariables.Length > 0 && summaryKind == SummaryNetworkKind.None)
            throw new UsageException("--summary-variables need a summary network; got --summary-network none.");
        var adapter = new Adapter().Concatenate(s.InferenceVariables, Keys.InferenceVariables);
        if (s.InferenceConditions.Length > 0) adapter.Concatenate(s.InferenceConditions, Keys.InferenceConditions);
        if (s.SummaryVariables.Length > 0) adapter.Concatenate(s.SummaryVariables, Keys.SummaryVariables);
        var inference = s.InferenceNetwork ?? DefaultInference(budget);
        var spec = NetworkChoices.Spec(inference, summaryKind, s.Seed,
            s.ConditionalAffine ?? CliChoices.IsCouplingFlow(inference));
        var inputs = s.InferenceConditions.Concat(s.SummaryVariables).Select(k =>
            new InputKey(k, sample.Shape(k)[1..].ToArray())).ToArray();
        var parameters = s.InferenceVariables.Select(k => new InputKey(k, sample.Shape(k)[1..].ToArray())).ToArray();
        var names = new List<string>();
        foreach (string key in s.InferenceVariables)
        {
            int len = sample.RowLength(key);
            if (sample.Shape(key).Length == 1) names.Add(key);
            else for (int i = 0; i < len; i++) names.Add($"{key}[{i}]");
        }
        return new Layout(adapter, spec, inference, summaryKind, inputs, parameters, [.. names]);
    }

    /// <summary>
    /// The inference network when the user names none: a coupling flow, affine or spline by the budget
    /// (<see cref="TrainingDefaults.Transform"/>), the rule the accuracy benchmark measured.
    /// </summary>
    private static InferenceChoice DefaultInference(long simulations) =>
        TrainingDefaults.Transform(simulations) == Amortized.Networks.Flows.CouplingTransformKind.Spline
            ? InferenceChoice.Spline : InferenceChoice.Coupling;

    /// <summary>"coupling", or "spline + deepset": the networks of a run, for the log.</summary>
    private static string Networks(InferenceChoice inference, SummaryNetworkKind summary) =>
        CliChoices.InferenceNetworks.Word(inference) + (summary == SummaryNetworkKind.None
            ? "" : " + " + CliChoices.SummaryNetworks.Word(summary));

    /// <summary>
    /// Called after each epoch's history.csv is written, with the file's path and the history: a test hook to read
    /// the file at a known moment of a run (null in normal use).
    /// </summary>
    internal static Action<string, TrainingHistory>? AfterHistoryWritten;

    /// <summary>
    /// What every method's fit shares once its approximator is built: the move to the device (built and initialised
    /// on the CPU from the seed first, so every device starts the same), the epoch and batch-size rules (online:
    /// <see cref="DefaultOnlineEpochs"/>; offline: <see cref="TrainingDefaults"/>, whose whole schedule runs and whose
    /// best validation epoch is kept), the training options and the line that says what is trained.
    /// </summary>
    private static (TrainingOptions Options, int Epochs, int BatchSize) PrepareTraining(CliContext ctx, FitSettings s,
        Networks.ParameterStore store, Tensors.Backends.IBackend backend, SimulationBatch? training,
        SimulationBatch? validation, string description, string checkpoint, IReadOnlyDictionary<string, string> settings)
    {
        if (backend is not Tensors.Backends.CpuBackend)
        {
            store.MoveTo(backend);
            ctx.Log($"device: {CliChoices.Devices.Word(s.Device)} " +
                $"({(backend as Gpu.GpuBackend)?.Name ?? backend.Device.ToString()})");
        }
        int batchSize = s.BatchSize ?? (training is null ? DefaultOnlineBatchSize : TrainingDefaults.BatchSize);
        int epochs = s.Epochs ?? (training is null ? DefaultOnlineEpochs
            : TrainingDefaults.OfflineEpochs(training.BatchSize, batchSize));
        var options = new TrainingOptions
        {
            Epochs = epochs,
            BatchSize = batchSize,
            BatchesPerEpoch = s.BatchesPerEpoch,
            LearningRate = TrainingDefaults.LearningRate,
            Seed = s.Seed,
            TimeBudget = s.TimeBudget,
            ValidationData = validation,
            EarlyStoppingPatience = null,
            CheckpointPath = checkpoint,
            RunSettings = settings,
        };
        ctx.Log($"fit {description}: {store.Count:N0} parameters, {(training is null
            ? $"online, {epochs} epochs x {s.BatchesPerEpoch} batches of {batchSize}"
            : $"offline on {training.BatchSize:N0} simulations, {epochs} epochs of batches of {batchSize}")}, " +
            $"{s.Threads} thread(s), seed {s.Seed}");
        return (options, epochs, batchSize);
    }

    /// <summary>
    /// Trains, logging each epoch (or drawing a progress bar on a terminal) and rewriting
    /// <paramref name="historyPath"/> after every epoch, atomically, so a long run can be watched while it trains.
    /// </summary>
    private static TrainingHistory Train(CliContext ctx, BasicWorkflow workflow, TrainingOptions options,
        SimulationBatch? training, ShardedDataset? shards, SimulationBatch? validation, string historyPath,
        FitSettings? s = null)
    {
        var clock = Stopwatch.StartNew();
        TrainingHistory Fit(TrainingOptions o) =>
            training is not null ? workflow.FitOffline(training, o)
            : shards is not null ? (s is { Follow: true } ? FitFollow(ctx, s, workflow, shards, o)
                : workflow.FitDisk(shards, o, validation))
            : workflow.FitOnline(o);

        void LogEpoch(Trainer t)
        {
            var e = t.History.Epochs[^1];
            ctx.Log($"epoch {e.Epoch + 1}/{options.Epochs}  " +
                $"loss {e.TrainLoss:F4}{(e.ValidationLoss is { } v ? $"  validation {v:F4}" : "")}  " +
                $"({clock.Elapsed.TotalSeconds:F0} s)");
        }

        if (!ctx.Interactive)
        {
            return Fit(options with
            {
                OnEpochEnd = t =>
                {
                    LogEpoch(t);
                    WriteHistory(historyPath, t.History);
                    AfterHistoryWritten?.Invoke(historyPath, t.History);
                },
            });
        }
        TrainingHistory? history = null;
        AnsiConsole.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(p =>
            {
                var bar =
                    p.AddTask("training", maxValue: (double)options.Epochs * Math.Max(1, options.BatchesPerEpoch));
                string last = "";
                history = Fit(options with
                {
                    Progress = new Inline<TrainingProgress>(tp =>
                    {
                        bar.Value = (double)tp.Epoch * tp.BatchesPerEpoch + tp.Batch + 1;
                        bar.MaxValue = (double)options.Epochs * tp.BatchesPerEpoch;
                        bar.Description = $"epoch {tp.Epoch + 1}/{options.Epochs} loss {tp.Loss:F3}{last}";
                    }),
                    OnEpochEnd = t =>
                    {
                        last = t.History.Epochs[^1].ValidationLoss is { } v ? $" val {v:F3}" : "";
                        WriteHistory(historyPath, t.History);
                        AfterHistoryWritten?.Invoke(historyPath, t.History);
                    },
                });
                bar.Value = bar.MaxValue;
            });
        return history!;
    }

    private sealed class Inline<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    internal static void WriteHistory(string path, TrainingHistory history)
    {
        var table = new CsvTable(history.Epochs.Count)
            .Add("epoch", [.. history.Epochs.Select(e => (float)(e.Epoch + 1))], isInteger: true)
            .Add("train_loss", [.. history.Epochs.Select(e => (float)e.TrainLoss)])
            .Add("validation_loss", [.. history.Epochs.Select(e => (float)(e.ValidationLoss ?? double.NaN))])
            .Add("learning_rate", [.. history.Epochs.Select(e => (float)e.LearningRate)])
            .Add("seconds", [.. history.Epochs.Select(e => (float)e.Seconds)]);
        Csv.WriteTable(path, table);
    }

    internal static string Architecture(ContinuousApproximator approximator)
    {
        var text = new System.Text.StringBuilder();
        if (approximator.SummaryNetwork is { } summary) text.AppendLine(summary.ToString());
        text.Append(approximator.InferenceNetwork.ToString());
        return text.ToString();
    }

    internal static string MachineDescription()
    {
        string simd = Vector512.IsHardwareAccelerated ? "AVX-512" : Vector256.IsHardwareAccelerated ? "AVX2" : "scalar";
        return $"{Environment.ProcessorCount} logical cores, {simd}, " +
            $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }
}
