using System.CommandLine;
using Amortized.Inference.Workflows;

namespace Amortized.Cli.Commands;

/// <summary>
/// <c>amortized fit TASK ... --out DIR</c> or <c>amortized fit --data PATH --inference-variables K ... --out DIR</c>;
/// <c>amortized fit TASK --method point</c> for point estimates; <c>amortized fit --method model-comparison --models
/// A,B</c> for posterior model probabilities over built-in tasks with the same data shape.
/// </summary>
internal static class FitCommand
{
    public static Command Create(CliContext ctx)
    {
        var task = new Argument<string?>("TASK") { Description = "Built-in task (see 'amortized tasks'); omit with " +
            "--data", Arity = ArgumentArity.ZeroOrOne };
        var data = new Option<string[]>("--data")
        {
            Description = "Train on simulations in .npz/.npy/CSV files (repeat for several) or a sharded folder",
            AllowMultipleArgumentsPerToken = true,
        };
        var simulator = new Option<string?>("--simulator")
        {
            Description = "Train online on an external simulator: a command run as N worker processes that speak the " +
                "simulator protocol (docs/simulator-protocol.md), e.g. \"python3 sim.py\"; no TASK or --data",
        };
        var simulatorWorkers = Options.OptionalInt("--simulator-workers",
            "Worker processes of --simulator (default: the number of cores)", 1, 1024);
        var simulatorTimeout = Options.Duration("--simulator-timeout",
            $"Longest a --simulator worker may take to answer a batch (default {FitRunner.DefaultSimulatorTimeoutSeconds}s; " +
            "starting may take this or the default, whichever is longer)");
        var iv = Options.Keys("--inference-variables", "Keys of the parameters to infer (with --data)");
        var ic = Options.Keys("--inference-conditions", "Keys conditioned on directly (with --data)");
        var sv = Options.Keys("--summary-variables", "Keys fed through the summary network (with --data)");
        var output = Options.RequiredPath("--out",
            "Run folder to write (model, report.html, metrics.json, history.csv, figures/)");
        var simulations = Options.OptionalInt("--simulations", "Train offline on this fixed simulation budget " +
            "(validation split, early stopping); omit to train online", 10, 100_000_000);
        var epochs = Options.OptionalInt("--epochs", $"Epochs (default {FitRunner.DefaultOnlineEpochs} online; " +
            $"offline enough for about {TrainingDefaults.TargetSteps:N0} steps, {TrainingDefaults.MinEpochs} to " +
            $"{TrainingDefaults.MaxEpochs}, keeping the best validation epoch)", 1, 1_000_000);
        var batchSize = Options.OptionalInt("--batch-size", $"Simulations per training step (default " +
            $"{FitRunner.DefaultOnlineBatchSize} online, {TrainingDefaults.BatchSize} offline)", 1, 1_000_000);
        var batches = Options.Int("--batches-per-epoch", "Online training: steps per epoch", 100, 1, 10_000_000);
        var seed = Options.Seed();
        var inference = Options.OptionalChoice("--inference-network", "Inference network (default: coupling, with " +
            $"spline transforms from {TrainingDefaults.SplineFromSimulations:N0} simulations on, affine below)",
            CliChoices.InferenceNetworks);
        var summary = Options.OptionalChoice("--summary-network",
            "Summary network (default: the task's; deepset for --summary-variables)", CliChoices.SummaryNetworks);
        var conditionalAffine = new Option<bool>("--conditional-affine")
        {
            Description = "Coupling/spline flows: add a layer whose shift and scale are linear in the conditions, " +
                "fitted by least squares before training (the default; this flag is kept for scripts)",
        };
        var noConditionalAffine = new Option<bool>("--no-conditional-affine")
        {
            Description = "Coupling/spline flows: leave out the least-squares conditional affine layer",
        };
        var method = Options.Choice("--method", "Learn the posterior (NPE), the likelihood (NLE, sampled by MCMC), " +
            "point estimates (point: posterior mean and quantiles by scoring rules, for a TASK) or posterior model " +
            "probabilities (model-comparison: over the tasks of --models)", FitMethod.Posterior, CliChoices.Methods);
        var models = Options.Keys("--models", "Model comparison: the K >= 2 built-in tasks to compare, comma-separated, " +
            "whose data have the same shape (e.g. gaussian_linear,gaussian_linear_uniform or two_moons,gaussian_mixture); " +
            "each is one model with prior probability 1/K, its parameters dropped; no TASK");
        var quantileLevels = new Option<string?>("--quantile-levels")
        {
            Description = "Point estimation: quantile levels, strictly increasing in (0, 1), comma-separated (default " +
                $"{string.Join(",", FitRunner.DefaultQuantileLevels.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture)))}); " +
                "the report checks the coverage of each central interval",
        };
        var threads = Options.Int("--threads", "CPU kernel threads", Environment.ProcessorCount, 1, 1024);
        var device = Options.Choice("--device", "Compute device: cpu, or a GPU through ILGPU in the JIT build (cuda, " +
            "opencl; ilgpu-cpu emulates one)", DeviceChoice.Cpu, CliChoices.Devices);
        var budget = Options.Duration("--time-budget", "Stop training after this long (e.g. 90s, 10m)");
        var resume = new Option<bool>("--resume") { Description = "Continue from DIR/checkpoint.amzc if it exists" };
        var datasets = Options.Int("--diagnostic-datasets",
            "Held-out data sets for the report's calibration checks", 300, 2, 100_000);
        var samples = Options.Int("--diagnostic-samples", "Posterior draws per held-out data set", 1000, 10, 1_000_000);
        var noReport = new Option<bool>("--no-report") { Description = "Skip diagnostics and the report" };
        var varianceContraction = Options.VarianceContraction();
        var (follow, followTimeout) = FitRunner.FollowCommandOptions();
        var stream = new Option<bool>("--stream")
        {
            Description = "With --data files (.npz, .parquet): read them part by part (a Parquet file row group by " +
                "row group) instead of loading them, for data larger than memory; a tenth of the first part validates",
        };
        var (flowMatchingOt, timeEmbedding) = FitRunner.FlowMatchingCommandOptions();
        var baseMixture = FitRunner.BaseMixtureCommandOption();
        var consistencySteps = FitRunner.ConsistencyCommandOption();
        var (diffusionSchedule, diffusionSampler) = FitRunner.DiffusionCommandOptions();
        var command = new Command("fit", "Train an amortized posterior (or likelihood, point estimator or model " +
            "comparison) and write a report")
        {
            task, data, simulator, simulatorWorkers, simulatorTimeout, iv, ic, sv, output, simulations, epochs, batchSize, batches, seed, inference, conditionalAffine, noConditionalAffine,
                summary, method, models, quantileLevels, threads, device,
            budget, resume, datasets, samples, noReport, varianceContraction, follow, followTimeout, stream,
            flowMatchingOt, timeEmbedding, baseMixture, consistencySteps, diffusionSchedule, diffusionSampler,
        };
        command.SetAction(r => CliErrors.Guard(ctx, () => FitRunner.Run(ctx, new FitSettings
        {
            Task = r.GetValue(task),
            Data = r.GetValue(data) ?? [],
            Simulator = r.GetValue(simulator),
            SimulatorWorkers = r.GetValue(simulatorWorkers),
            SimulatorTimeout = r.GetValue(simulatorTimeout),
            InferenceVariables = r.GetValue(iv) ?? [],
            InferenceConditions = r.GetValue(ic) ?? [],
            SummaryVariables = r.GetValue(sv) ?? [],
            Out = r.GetValue(output)!,
            Simulations = r.GetValue(simulations),
            Epochs = r.GetValue(epochs),
            BatchSize = r.GetValue(batchSize),
            BatchesPerEpoch = r.GetValue(batches),
            Seed = r.GetValue(seed),
            InferenceNetwork = r.GetValue(inference),
            ConditionalAffine = r.GetValue(noConditionalAffine)
                ? (r.GetValue(conditionalAffine) ? throw new UsageException("--conditional-affine and " +
                    "--no-conditional-affine contradict each other; give one.") : false)
                : r.GetValue(conditionalAffine) ? true : null,
            SummaryNetwork = r.GetValue(summary),
            Method = r.GetValue(method),
            Threads = r.GetValue(threads),
            Device = r.GetValue(device),
            TimeBudget = r.GetValue(budget),
            Resume = r.GetValue(resume),
            DiagnosticDatasets = r.GetValue(datasets),
            DiagnosticSamples = r.GetValue(samples),
            Report = !r.GetValue(noReport),
            VarianceContraction = r.GetValue(varianceContraction),
            Models = r.GetValue(models) ?? [],
            QuantileLevels = ParseLevels(r.GetValue(quantileLevels)),
            Follow = r.GetValue(follow),
            Stream = r.GetValue(stream),
            FollowTimeout = r.GetValue(followTimeout),
            FlowMatchingOt = r.GetValue(flowMatchingOt),
            TimeEmbedding = r.GetValue(timeEmbedding),
            BaseMixture = r.GetValue(baseMixture),
            ConsistencySteps = r.GetValue(consistencySteps),
            DiffusionSchedule = r.GetValue(diffusionSchedule),
            DiffusionSampler = r.GetValue(diffusionSampler),
        })));
        return command;
    }

    /// <summary>"0.1,0.5,0.9" as floats; null when the option is absent. A word that is not a number is a usage error.
    /// </summary>
    private static float[]? ParseLevels(string? text)
    {
        if (text is null) return null;
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var levels = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], System.Globalization.NumberStyles.Float,
                    System.Globalization.CultureInfo.InvariantCulture, out levels[i]))
                throw new UsageException($"--quantile-levels: '{parts[i]}' is not a number; expected levels such as " +
                    "0.05,0.5,0.95.");
        return levels;
    }
}
