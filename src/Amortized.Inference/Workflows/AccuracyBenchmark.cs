using System.Diagnostics;
using Amortized.Inference.Approximators;
using Amortized.Inference.Diagnostics;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;

namespace Amortized.Inference.Workflows;

/// <summary>
/// The accuracy benchmark of simulation-based inference (sbibm, Lueckmann et al. 2021, "Benchmarking
/// simulation-based inference", AISTATS), run on our own engine: for every task and simulation budget, one
/// amortized posterior is trained with the defaults <c>amortized fit TASK --simulations N</c> uses, and for each of a
/// fixed set of observations its draws are compared with the task's reference posterior by C2ST (sbibm's
/// classifier, <see cref="C2stOptions.Sbibm"/>). 0.5 is a perfect posterior; 1 is one the classifier tells apart
/// every time. Legend: O observations, N draws per observation, P parameters, X data values.
/// </summary>
public static class AccuracyBenchmark
{
    /// <summary>
    /// sbi's NPE (neural posterior estimation, NSF flow) mean C2ST over the 10 sbibm observations at 10^3, 10^4 and
    /// 10^5 simulations (Lueckmann et al. 2021; gaussian_mixture from the re-run with the corrected simulator), the
    /// figures this project's defaults must reach.
    /// </summary>
    public static IReadOnlyDictionary<string, double[]> SbiNpe { get; } = new Dictionary<string, double[]>
    {
        ["two_moons"] = [0.725, 0.606, 0.542],
        ["gaussian_linear"] = [0.694, 0.552, 0.506],
        ["gaussian_linear_uniform"] = [0.696, 0.553, 0.509],
        ["slcp"] = [0.975, 0.901, 0.831],
        ["gaussian_mixture"] = [0.716, 0.615, 0.548],
        ["bernoulli_glm"] = [0.863, 0.678, 0.559],
        ["sir"] = [0.815, 0.680, 0.585],
        ["lotka_volterra"] = [0.999, 0.997, 0.981],
    };

    /// <summary>The budgets of <see cref="SbiNpe"/>'s columns.</summary>
    public static IReadOnlyList<int> SbiBudgets { get; } = [1_000, 10_000, 100_000];

    /// <summary>sbi NPE's published figure for a task and budget, or null where there is none.</summary>
    public static double? SbiNpeFor(string task, int simulations)
    {
        int column = SbiBudgets.ToList().IndexOf(simulations);
        return column >= 0 && SbiNpe.TryGetValue(task, out var row) ? row[column] : null;
    }

    /// <summary>
    /// The fixed observations of a task, (O, X): prior-predictive draws of a seed of their own, the same in every
    /// run of the benchmark whatever the training seed.
    /// </summary>
    public static SimulationBatch Observations(BenchmarkTask task, int count, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return task.Sample(count, seed ^ StreamRegistry.AccuracyObservationSalt);
    }

    /// <summary>
    /// The reference posteriors of a task's observations: read from the options' <see cref="AccuracyBenchmarkOptions.ReferenceCache"/> when a file
    /// made with the same settings is there, else computed (exact, or slice sampling checked by R-hat and ESS) and
    /// written there atomically. Returns the observations (O, X) and per observation the reference.
    /// </summary>
    public static TaskReference References(BenchmarkTask task, AccuracyBenchmarkOptions options,
        IProgress<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(options);
        var observations = Observations(task, options.Observations, options.ObservationSeed);
        string? cache = options.ReferenceCache is null ? null : Path.Combine(options.ReferenceCache,
            $"{task.Name}-obs{options.Observations}-seed{options.ObservationSeed}-n{options.PosteriorDraws}.npz");
        if (cache is not null && File.Exists(cache))
        {
            var stored = Npy.ReadBatch(cache);
            if (stored.Contains(task.DataKey) && stored.Get(task.DataKey).AsSpan()
                    .SequenceEqual(observations.Get(task.DataKey)))
            {
                log?.Report($"{task.Name}: reference posteriors from {cache}");
                return TaskReference.FromBatch(task, stored);
            }
            log?.Report($"{task.Name}: {cache} holds other observations; recomputing");
        }
        var references = new ReferencePosterior[options.Observations];
        for (int o = 0; o < options.Observations; o++)
        {
            references[o] = ReferencePosterior.Compute(task, observations.Row(task.DataKey, o), options.PosteriorDraws,
                options.ObservationSeed ^ StreamRegistry.AccuracyReferenceSalt ^ (ulong)o, options.Reference);
            var r = references[o];
            log?.Report($"{task.Name}: reference {o + 1}/{options.Observations}: {r.Method}" + (r.IsExact ? "" :
                $", R-hat max {r.RHat!.Max():F4}, ESS min {r.EffectiveSampleSize!.Min():F0}") +
                $" ({r.Seconds:F1} s)");
        }
        var result = new TaskReference(task.Name, observations, references.Select(r => r.Draws).ToArray(),
            references.Select(r => r.Method).ToArray(),
            references.Select(r => r.RHat?.Max() ?? double.NaN).ToArray(),
            references.Select(r => r.EffectiveSampleSize?.Min() ?? double.NaN).ToArray(),
            references.Select(r => r.Seconds).ToArray());
        if (cache is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(cache))!);
            Npy.WriteNpz(cache, result.ToBatch(task));
        }
        return result;
    }

    /// <summary>
    /// Trains one posterior for <paramref name="task"/> on <paramref name="simulations"/> simulations with the
    /// defaults of <c>fit</c> and scores it on every observation of <paramref name="reference"/>.
    /// </summary>
    public static AccuracyCell Score(BenchmarkTask task, int simulations, TaskReference reference,
        AccuracyBenchmarkOptions options, IProgress<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(simulations, 10);
        ulong seed = options.Seed;
        var all = task.Sample(simulations, seed);
        var (train, validation) = TrainingDefaults.Split(all, seed);
        var spec = options.Spec?.Invoke(task, seed)
            ?? TrainingDefaults.Spec(seed, simulations, task.DefaultSummaryNetwork);
        var workflow = new BasicWorkflow(task.DefaultAdapter(), spec, task);
        var approximator = workflow.Build(train.Slice(0, Math.Min(4, train.BatchSize)));
        var training = (options.Training?.Invoke(train.BatchSize, seed) ?? TrainingDefaults.Offline(train.BatchSize,
            seed, spec.Inference, approximator.InferenceNetwork.Dimension)) with { ValidationData = validation };
        var clock = Stopwatch.StartNew();
        var history = workflow.FitOffline(train, training);
        double trainingSeconds = clock.Elapsed.TotalSeconds;

        int o = reference.Observations.BatchSize, p = task.ParameterDim, n = options.PosteriorDraws;
        var c2st = new double[o];
        double samplingSeconds = 0;
        for (int i = 0; i < o; i++)
        {
            var observation = reference.Observations.Slice(i, 1);
            clock.Restart();
            float[] draws = workflow.Sample(observation, n, seed ^ StreamRegistry.AccuracyDrawsSalt ^ (ulong)i)
                .Get(task.ParameterKey);
            samplingSeconds += clock.Elapsed.TotalSeconds;
            float[] truth = reference.Draws[i];
            c2st[i] = C2st.Accuracy(truth, truth.Length / p, draws, n, p, C2stOptions.Sbibm(p), seed ^ (ulong)i);
        }
        var cell = new AccuracyCell(task.Name, simulations, c2st, c2st.Average(), SbiNpeFor(task.Name, simulations),
            trainingSeconds, history.Steps, history.Epochs.Count, history.StopReason.ToString(),
            samplingSeconds / o, Latency(workflow, reference.Observations.Slice(0, 1), seed));
        log?.Report($"{task.Name} at {simulations:N0}: C2ST {cell.MeanC2st:F3}" +
            (cell.SbiNpe is { } s ? $" (sbi NPE {s:F3})" : "") +
            $", trained {cell.Steps:N0} steps in {trainingSeconds:F1} s");
        return cell;
    }

    /// <summary>
    /// Seconds to draw 1,000 posterior samples for one observation: the best of 3 after a warm-up draw, the figure a
    /// user waiting for one data set's posterior sees (the per-observation time of the C2ST draws is for 10,000).
    /// </summary>
    private static double Latency(BasicWorkflow workflow, SimulationBatch observation, ulong seed)
    {
        workflow.Sample(observation, 1000, seed);
        double best = double.PositiveInfinity;
        for (int round = 0; round < 3; round++)
        {
            var clock = Stopwatch.StartNew();
            workflow.Sample(observation, 1000, seed + (ulong)round);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>Every task x budget of <paramref name="options"/>, in order; references first per task.</summary>
    public static IReadOnlyList<AccuracyCell> Run(AccuracyBenchmarkOptions options, IProgress<string>? log = null,
        Action<AccuracyCell>? onCell = null, Action<TaskReference>? onReference = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cells = new List<AccuracyCell>();
        foreach (string name in options.Tasks)
        {
            var task = BenchmarkTasks.Create(name);
            var reference = References(task, options, log);
            onReference?.Invoke(reference);
            foreach (int budget in options.Budgets)
            {
                var cell = Score(task, budget, reference, options, log);
                cells.Add(cell);
                onCell?.Invoke(cell);
            }
        }
        return cells;
    }
}

/// <summary>Settings of <see cref="AccuracyBenchmark"/>.</summary>
public sealed record AccuracyBenchmarkOptions
{
    /// <summary>Tasks to run (names as <see cref="BenchmarkTasks"/>); default: the eight sbibm tasks.</summary>
    public IReadOnlyList<string> Tasks { get; init; } = [.. AccuracyBenchmark.SbiNpe.Keys];

    /// <summary>Simulation budgets.</summary>
    public IReadOnlyList<int> Budgets { get; init; } = [1_000, 10_000];

    /// <summary>Observations per task (sbibm: 10).</summary>
    public int Observations { get; init; } = 10;

    /// <summary>Posterior draws per observation, ours and the reference's (sbibm: 10,000).</summary>
    public int PosteriorDraws { get; init; } = 10_000;

    /// <summary>Seed of training and sampling.</summary>
    public ulong Seed { get; init; }

    /// <summary>The name of the inference network <see cref="Spec"/> builds, for the table (null: the defaults).
    /// </summary>
    public string? InferenceNetwork { get; init; }

    /// <summary>Seed of the observations and their references (fixed, so every run sees the same ones).</summary>
    public ulong ObservationSeed { get; init; }

    /// <summary>Folder where reference posteriors are cached between runs; null computes them every time.</summary>
    public string? ReferenceCache { get; init; }

    /// <summary>
    /// The networks to train for a task and seed instead of <see cref="TrainingDefaults.Spec"/> (null: the
    /// defaults): to compare inference networks on the same references.
    /// </summary>
    public Func<BenchmarkTask, ulong, ApproximatorSpec>? Spec { get; init; }

    /// <summary>
    /// The training settings for a number of training rows and a seed instead of
    /// <see cref="TrainingDefaults.Offline"/> (null: the defaults). Validation data are set by the benchmark.
    /// </summary>
    public Func<int, ulong, TrainingOptions>? Training { get; init; }

    /// <summary>MCMC settings of the reference posteriors.</summary>
    public ReferencePosteriorOptions Reference { get; init; } = new();
}

/// <summary>
/// One task's observations (O, X) and reference draws, one (N, P) array per observation, with how each was made.
/// </summary>
public sealed record TaskReference(string Task, SimulationBatch Observations, float[][] Draws, string[] Methods,
    double[] MaxRHat, double[] MinEffectiveSampleSize, double[] Seconds)
{
    /// <summary>As a batch for an .npz file: x (O, X), theta (O, N, P), and the per-observation checks.</summary>
    internal SimulationBatch ToBatch(BenchmarkTask task)
    {
        int o = Draws.Length, p = task.ParameterDim, n = Draws[0].Length / p;
        var batch = new SimulationBatch(o).Set(task.DataKey, Observations.Get(task.DataKey), o, task.DataDim)
            .Set(task.ParameterKey, Draws.SelectMany(d => d).ToArray(), o, n, p)
            .Set("max_rhat", MaxRHat.Select(v => (float)v).ToArray(), o)
            .Set("min_ess", MinEffectiveSampleSize.Select(v => (float)v).ToArray(), o)
            .Set("seconds", Seconds.Select(v => (float)v).ToArray(), o)
            .Set("exact", Methods.Select(m => m == "exact" ? 1f : 0f).ToArray(), o);
        return batch;
    }

    internal static TaskReference FromBatch(BenchmarkTask task, SimulationBatch batch)
    {
        int o = batch.BatchSize;
        var draws = new float[o][];
        for (int i = 0; i < o; i++) draws[i] = batch.Row(task.ParameterKey, i).ToArray();
        float[] exact = batch.Get("exact");
        var observations = new SimulationBatch(o).Set(task.DataKey, batch.Get(task.DataKey), o, task.DataDim);
        return new TaskReference(task.Name, observations, draws,
            exact.Select(e => e > 0 ? "exact" : "slice sampling (cached)").ToArray(),
            batch.Get("max_rhat").Select(v => (double)v).ToArray(),
            batch.Get("min_ess").Select(v => (double)v).ToArray(),
            batch.Get("seconds").Select(v => (double)v).ToArray());
    }
}

/// <summary>One task at one budget: C2ST per observation and its mean, beside sbi's, and what training cost.</summary>
public sealed record AccuracyCell(string Task, int Simulations, double[] C2st, double MeanC2st, double? SbiNpe,
    double TrainingSeconds, long Steps, int Epochs, string StopReason, double SamplingSecondsPerObservation,
    double Latency1000Seconds)
{
    /// <summary>At or below sbi NPE's published figure (true where there is none).</summary>
    public bool MeetsTarget => SbiNpe is not { } s || MeanC2st <= s;
}
