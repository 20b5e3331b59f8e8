using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Kernels.Cpu;
using Amortized.Plots;

namespace Amortized.Cli.Commands;

/// <summary>
/// <c>amortized accuracy [TASK...] [--budgets 1000,10000] [--observations 10] --out DIR</c>: the sbibm accuracy
/// benchmark (C2ST against reference posteriors, beside sbi NPE's published figures), trained with <c>fit</c>'s
/// defaults. Writes accuracy.md, accuracy.csv, accuracy.json and figures/accuracy.png|svg to DIR, rewriting them after
/// every cell so a long run can be watched; reference posteriors are cached in DIR/references (or
/// --reference-cache) and reused. A table grows across runs: the cells already in DIR/accuracy.json stay unless this
/// run measures the same task and budget again, so a slow column (10^5) can be added later; a DIR whose table was
/// made with another seed, number of observations, draws or inference network is refused rather than mixed.
/// <c>--inference-network</c> trains that family instead of the defaults (sized as <c>fit --inference-network</c>
/// builds it), so families compare task by task in tables of their own.
/// </summary>
internal static class AccuracyCommand
{
    public static Command Create(CliContext ctx)
    {
        var tasks = new Argument<string[]>("TASK")
        {
            Description = "Tasks to run (default: the eight sbibm tasks)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var budgets = new Option<string>("--budgets")
        {
            Description = "Comma-separated simulation budgets",
            DefaultValueFactory = _ => "1000,10000",
        };
        var observations = Options.Int("--observations", "Fixed observations per task", 10, 1, 1000);
        var draws = Options.Int("--draws", "Posterior draws per observation, ours and the reference's", 10_000, 100,
            1_000_000);
        var seed = Options.Seed();
        var output = Options.RequiredPath("--out", "Folder for the table, the figure and the cached references");
        var cache = new Option<string?>("--reference-cache")
        {
            Description = "Folder of cached reference posteriors (default: DIR/references)",
        };
        var threads = Options.Int("--threads", "CPU kernel threads", Environment.ProcessorCount, 1, 1024);
        var inference = Options.OptionalChoice("--inference-network",
            "Train this inference network instead of fit's defaults", CliChoices.InferenceNetworks);
        var command = new Command("accuracy", "Measure posterior accuracy (C2ST against reference posteriors, " +
            "beside sbi's NPE) on the sbibm tasks at given simulation budgets")
        {
            tasks, budgets, observations, draws, seed, output, cache, threads, inference,
        };
        command.SetAction(r => CliErrors.Guard(ctx, () =>
        {
            string[] names = r.GetValue(tasks) is { Length: > 0 } given
                ? [.. given.Select(TaskNames.Normalize)] : [.. AccuracyBenchmark.SbiNpe.Keys];
            foreach (string name in names)
            {
                var task = TaskNames.Create(name);
                if (!task.HasExactPosterior && !task.HasLogLikelihood)
                    throw new UsageException($"TASK '{name}' has no reference posterior (neither an exact posterior " +
                        "nor a likelihood); choose among " + string.Join(", ", AccuracyBenchmark.SbiNpe.Keys) + ".");
            }
            string folder = r.GetValue(output)!;
            KernelThreading.MaxThreads = r.GetValue(threads);
            var network = r.GetValue(inference);
            return Run(ctx, new AccuracyBenchmarkOptions
            {
                Spec = network is { } choice
                    ? (task, seed) => NetworkChoices.Spec(choice, task.DefaultSummaryNetwork, seed,
                        CliChoices.IsCouplingFlow(choice))
                    : null,
                InferenceNetwork = network is { } named ? CliChoices.InferenceNetworks.Word(named) : null,
                Tasks = names,
                Budgets = ParseBudgets(r.GetValue(budgets)!),
                Observations = r.GetValue(observations),
                PosteriorDraws = r.GetValue(draws),
                Seed = r.GetValue(seed),
                ReferenceCache = r.GetValue(cache) ?? Path.Combine(folder, "references"),
            }, folder);
        }));
        return command;
    }

    /// <summary>"1000,10000" as increasing budgets of at least 10 simulations.</summary>
    internal static int[] ParseBudgets(string text)
    {
        var budgets = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part.Replace("_", ""), NumberStyles.None, CultureInfo.InvariantCulture, out int n)
                || n < 10)
                throw new UsageException($"--budgets '{text}': '{part}' is not a whole number of simulations >= 10.");
            if (budgets.Count > 0 && n <= budgets[^1])
                throw new UsageException($"--budgets '{text}': budgets must increase; {n} follows {budgets[^1]}.");
            budgets.Add(n);
        }
        return [.. budgets];
    }

    public static int Run(CliContext ctx, AccuracyBenchmarkOptions options, string folder)
    {
        Directory.CreateDirectory(folder);
        var table = Table.Read(folder, options);
        int kept = table.Cells.Count;
        // This run's cells replace the earlier ones of the same task and budget; the rest of the table stays.
        table.Cells.RemoveAll(c => options.Tasks.Contains(c.Task) && options.Budgets.Contains(c.Simulations));
        table.References.RemoveAll(r => options.Tasks.Contains(r.Task));
        if (kept > 0)
            ctx.Log($"accuracy: keeping {table.Cells.Count} of the {kept} cells already in " +
                $"{Path.Combine(folder, "accuracy.json")}");
        var measured = new List<AccuracyCell>();
        var log = new Progress(ctx);
        ctx.Log($"accuracy: {string.Join(", ", options.Tasks)} at {string.Join(", ", options.Budgets)} simulations, " +
            $"{options.Observations} observations x {options.PosteriorDraws:N0} draws, seed {options.Seed}");
        AccuracyBenchmark.Run(options, log, cell =>
        {
            measured.Add(cell);
            table.Cells.Add(Row(cell));
            Write(folder, options, table);
        }, reference => table.References.Add(ReferenceRow.Of(reference)));
        ctx.Log($"table: {Path.Combine(folder, "accuracy.md")}");
        int met = measured.Count(c => c.SbiNpe is not null && c.MeetsTarget);
        int compared = measured.Count(c => c.SbiNpe is not null);
        ctx.Log($"at or below sbi NPE in {met} of {compared} cells with a published figure");
        return CliErrors.Ok;
    }

    private static AccuracyRow Row(AccuracyCell c) => new(c.Task, c.Simulations, c.MeanC2st, c.C2st, c.SbiNpe,
        c.MeetsTarget, c.TrainingSeconds, c.Steps, c.Epochs, c.SamplingSecondsPerObservation,
        c.Latency1000Seconds);

    /// <summary>The cells and reference summaries of a table folder, earlier runs' and this run's.</summary>
    private sealed record Table(List<AccuracyRow> Cells, List<ReferenceRow> References)
    {
        /// <summary>
        /// The table already in <paramref name="folder"/> (empty when there is none), refused when its settings
        /// differ from this run's: C2ST figures of other observations or draws do not compare cell by cell.
        /// </summary>
        public static Table Read(string folder, AccuracyBenchmarkOptions options)
        {
            string path = Path.Combine(folder, "accuracy.json");
            if (!File.Exists(path)) return new([], []);
            long length = new FileInfo(path).Length;
            if (length > MaxTableBytes)
                throw new UsageException($"--out: {path} has {length:N0} bytes; an accuracy table has at most " +
                    $"{MaxTableBytes:N0}. Move it away or choose another --out.");
            AccuracyReport? earlier;
            try
            {
                earlier = JsonSerializer.Deserialize(File.ReadAllText(path), CliJsonContext.Default.AccuracyReport);
            }
            catch (JsonException e)
            {
                throw new UsageException($"--out: {path} is not an accuracy table ({e.Message}); move it away or " +
                    "choose another --out.");
            }
            if (earlier?.Cells is null)
                throw new UsageException($"--out: {path} has no cells; move it away or choose another --out.");
            foreach (var (name, before, now) in new (string, ulong, ulong)[]
            {
                ("--seed", earlier.Seed, options.Seed),
                ("--observations", (ulong)earlier.Observations, (ulong)options.Observations),
                ("--draws", (ulong)earlier.Draws, (ulong)options.PosteriorDraws),
            })
                if (before != now)
                    throw new UsageException($"--out: {path} holds a table made with {name} {before}; this run has " +
                        $"{name} {now}, and the two would mix in one table. Choose another --out.");
            if (earlier.InferenceNetwork != options.InferenceNetwork)
                throw new UsageException($"--out: {path} holds a table of --inference-network " +
                    $"{earlier.InferenceNetwork ?? "(the defaults)"}; this run has " +
                    $"{options.InferenceNetwork ?? "the defaults"}. Choose another --out.");
            return new([.. earlier.Cells], [.. earlier.References ?? []]);
        }
    }

    /// <summary>The most bytes accuracy.json may have: a full table is a few kilobytes.</summary>
    private const long MaxTableBytes = 16 << 20;

    private static void Write(string folder, AccuracyBenchmarkOptions options, Table table)
    {
        // Tasks in the benchmark's order, then any others; budgets increasing.
        var benchmarkOrder = AccuracyBenchmark.SbiNpe.Keys.ToList();
        string[] tasks = [.. table.Cells.Select(c => c.Task).Distinct()
            .OrderBy(t => benchmarkOrder.IndexOf(t) is >= 0 and var i ? i : int.MaxValue)];
        int[] budgets = [.. table.Cells.Select(c => c.Simulations).Distinct().Order()];
        var cells = table.Cells;
        AtomicFile.WriteAllText(Path.Combine(folder, "accuracy.md"),
            Markdown(options, tasks, budgets, cells, table.References));
        AtomicFile.WriteAllText(Path.Combine(folder, "accuracy.csv"), Csv(cells));
        var report = new AccuracyReport(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture),
            FitRunner.MachineDescription(), options.Seed, options.Observations, options.PosteriorDraws,
            [.. cells], [.. table.References], options.InferenceNetwork);
        AtomicFile.WriteAllText(Path.Combine(folder, "accuracy.json"),
            JsonSerializer.Serialize(report, CliJsonContext.Default.AccuracyReport));
        WriteFigure(folder, tasks, budgets, cells);
    }

    private static void WriteFigure(string folder, string[] tasks, int[] budgets, IReadOnlyList<AccuracyRow> cells)
    {
        int t = tasks.Length, b = budgets.Length;
        var ours = new double[t * b];
        var low = new double[t * b];
        var high = new double[t * b];
        var peer = new double[t * b];
        for (int i = 0; i < t; i++)
            for (int j = 0; j < b; j++)
            {
                var cell = cells.FirstOrDefault(c => c.Task == tasks[i] && c.Simulations == budgets[j]);
                ours[i * b + j] = cell?.MeanC2st ?? double.NaN;
                low[i * b + j] = cell?.C2st.Min() ?? double.NaN;
                high[i * b + j] = cell?.C2st.Max() ?? double.NaN;
                peer[i * b + j] = AccuracyBenchmark.SbiNpeFor(tasks[i], budgets[j]) ?? double.NaN;
            }
        var plot = Figures.Accuracy(tasks, budgets, ours, peer, "sbi NPE", low, high);
        var (width, height) = Figures.SuggestedSize(plot);
        string figures = Path.Combine(folder, "figures");
        Directory.CreateDirectory(figures);
        FigureFiles.Save(plot, Path.Combine(figures, "accuracy"), width, height);
    }

    /// <summary>The table: one row per task, per budget ours beside sbi NPE's, training time.</summary>
    internal static string Markdown(AccuracyBenchmarkOptions options, IReadOnlyList<string> tasks,
        IReadOnlyList<int> budgets, IReadOnlyList<AccuracyRow> cells, IReadOnlyList<ReferenceRow> references)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Posterior accuracy: C2ST against reference posteriors (0.5 is perfect)");
        sb.AppendLine();
        string date = DateTime.UtcNow.ToString("yyyy-MM-dd", inv), draws = options.PosteriorDraws.ToString("N0", inv);
        sb.AppendLine($"{date}, {FitRunner.MachineDescription()}; seed {options.Seed}, {options.Observations} " +
            $"observations x {draws} draws per task; inference network: " +
            $"{options.InferenceNetwork ?? "fit's defaults"}; sbi NPE: Lueckmann et al. 2021. A cell is marked * " +
            "where ours is above sbi's; ms/1k: milliseconds to draw 1,000 posterior samples for one observation.");
        sb.AppendLine();
        sb.Append("| task |");
        foreach (int n in budgets) sb.Append(inv, $" {Budget(n)} ours | sbi NPE | train s | ms/1k |");
        sb.AppendLine();
        sb.Append("| --- |");
        foreach (int _ in budgets) sb.Append(" --- | --- | --- | --- |");
        sb.AppendLine();
        foreach (string task in tasks)
        {
            sb.Append(inv, $"| {task} |");
            foreach (int n in budgets)
            {
                var cell = cells.FirstOrDefault(c => c.Task == task && c.Simulations == n);
                if (cell is null)
                {
                    sb.Append(" | | | |");
                    continue;
                }
                sb.Append(inv, $" {cell.MeanC2st:F3}{(cell.MeetsTarget ? "" : "*")} | " +
                    $"{(cell.SbiNpe is { } s ? s.ToString("F3", inv) : "")} | {cell.TrainingSeconds:F0} | " +
                    $"{(cell.Latency1000Seconds is { } l ? (1000 * l).ToString("F1", inv) : "")} |");
            }
            sb.AppendLine();
        }
        sb.AppendLine();
        sb.AppendLine("Reference posteriors (per task over its observations; slice sampling must reach split R-hat < " +
            "1.01 and bulk ESS >= 10,000 on every parameter, or the run stops):");
        sb.AppendLine();
        sb.AppendLine("| task | method | worst split R-hat | smallest ESS | seconds |");
        sb.AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var r in references.OrderBy(r => tasks.ToList().IndexOf(r.Task)))
            sb.AppendLine(r.Exact ? $"| {r.Task} | exact | | | {r.Seconds.ToString("F1", inv)} |"
                : $"| {r.Task} | slice sampling | {r.MaxRHat?.ToString("F4", inv)} | " +
                  $"{r.MinEffectiveSampleSize?.ToString("F0", inv)} | {r.Seconds.ToString("F1", inv)} |");
        return sb.ToString();
    }

    private static string Csv(IReadOnlyList<AccuracyRow> cells)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("task,simulations,mean_c2st,sbi_npe,training_seconds,steps,epochs," +
            "sampling_seconds_per_observation,latency_1000_draws_seconds,c2st_per_observation\n");
        foreach (var c in cells)
            sb.AppendLine(string.Create(inv, $"{c.Task},{c.Simulations},{c.MeanC2st:F4}," +
                $"{c.SbiNpe?.ToString("F3", inv)},{c.TrainingSeconds:F1},{c.Steps},{c.Epochs}," +
                $"{c.SamplingSecondsPerObservation:F4},{c.Latency1000Seconds?.ToString("F5", inv)},") + string.Join(' ', c.C2st.Select(v => v.ToString("F4", inv))));
        return sb.ToString();
    }

    private static string Budget(int n) => n % 1000 == 0 ? $"{n / 1000}k" : n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Log lines to the console as they come.</summary>
    private sealed class Progress(CliContext ctx) : IProgress<string>
    {
        public void Report(string value) => ctx.Log(value);
    }
}

/// <summary>accuracy.json (References and InferenceNetwork are absent in tables written before they existed;
/// InferenceNetwork is null for fit's defaults).</summary>
public sealed record AccuracyReport(string Created, string Machine, ulong Seed, int Observations, int Draws,
    AccuracyRow[] Cells, ReferenceRow[]? References = null, string? InferenceNetwork = null);

/// <summary>How one task's reference posteriors were made, over its observations.</summary>
/// <remarks>The chain checks are null for exact references, which have none.</remarks>
public sealed record ReferenceRow(string Task, bool Exact, double? MaxRHat, double? MinEffectiveSampleSize,
    double Seconds)
{
    internal static ReferenceRow Of(TaskReference r)
    {
        bool exact = r.Methods.All(m => m == "exact");
        return new(r.Task, exact, exact ? null : r.MaxRHat.Max(), exact ? null : r.MinEffectiveSampleSize.Min(),
            r.Seconds.Sum());
    }
}

/// <summary>One task and budget in accuracy.json.</summary>
public sealed record AccuracyRow(string Task, int Simulations, double MeanC2st, double[] C2st, double? SbiNpe,
    bool MeetsTarget, double TrainingSeconds, long Steps, int Epochs, double SamplingSecondsPerObservation,
    double? Latency1000Seconds = null);
