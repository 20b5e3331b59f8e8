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
/// --reference-cache) and reused.
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
        var command = new Command("accuracy", "Measure posterior accuracy (C2ST against reference posteriors, " +
            "beside sbi's NPE) on the sbibm tasks at given simulation budgets")
        {
            tasks, budgets, observations, draws, seed, output, cache, threads,
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
            return Run(ctx, new AccuracyBenchmarkOptions
            {
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
        var cells = new List<AccuracyCell>();
        var references = new List<TaskReference>();
        var log = new Progress(ctx);
        ctx.Log($"accuracy: {string.Join(", ", options.Tasks)} at {string.Join(", ", options.Budgets)} simulations, " +
            $"{options.Observations} observations x {options.PosteriorDraws:N0} draws, seed {options.Seed}");
        AccuracyBenchmark.Run(options, log, cell =>
        {
            cells.Add(cell);
            Write(folder, options, cells, references);
        }, references.Add);
        ctx.Log($"table: {Path.Combine(folder, "accuracy.md")}");
        int met = cells.Count(c => c.SbiNpe is not null && c.MeetsTarget);
        int compared = cells.Count(c => c.SbiNpe is not null);
        ctx.Log($"at or below sbi NPE in {met} of {compared} cells with a published figure");
        return CliErrors.Ok;
    }

    private static void Write(string folder, AccuracyBenchmarkOptions options, IReadOnlyList<AccuracyCell> cells,
        IReadOnlyList<TaskReference> references)
    {
        AtomicFile.WriteAllText(Path.Combine(folder, "accuracy.md"), Markdown(options, cells, references));
        AtomicFile.WriteAllText(Path.Combine(folder, "accuracy.csv"), Csv(cells));
        var report = new AccuracyReport(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture),
            FitRunner.MachineDescription(), options.Seed, options.Observations, options.PosteriorDraws,
            [.. cells.Select(c => new AccuracyRow(c.Task, c.Simulations, c.MeanC2st, c.C2st, c.SbiNpe, c.MeetsTarget,
                c.TrainingSeconds, c.Steps, c.Epochs, c.SamplingSecondsPerObservation))]);
        AtomicFile.WriteAllText(Path.Combine(folder, "accuracy.json"),
            JsonSerializer.Serialize(report, CliJsonContext.Default.AccuracyReport));
        WriteFigure(folder, options, cells);
    }

    private static void WriteFigure(string folder, AccuracyBenchmarkOptions options, IReadOnlyList<AccuracyCell> cells)
    {
        string[] tasks = [.. options.Tasks.Where(t => cells.Any(c => c.Task == t))];
        int[] budgets = [.. options.Budgets];
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
    internal static string Markdown(AccuracyBenchmarkOptions options, IReadOnlyList<AccuracyCell> cells,
        IReadOnlyList<TaskReference> references)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Posterior accuracy: C2ST against reference posteriors (0.5 is perfect)");
        sb.AppendLine();
        string date = DateTime.UtcNow.ToString("yyyy-MM-dd", inv), draws = options.PosteriorDraws.ToString("N0", inv);
        sb.AppendLine($"{date}, {FitRunner.MachineDescription()}; seed {options.Seed}, {options.Observations} " +
            $"observations x {draws} draws per task; sbi NPE: Lueckmann et al. 2021. A cell is marked * where ours " +
            "is above sbi's.");
        sb.AppendLine();
        sb.Append("| task |");
        foreach (int n in options.Budgets) sb.Append(inv, $" {Budget(n)} ours | sbi NPE | train s |");
        sb.AppendLine();
        sb.Append("| --- |");
        foreach (int _ in options.Budgets) sb.Append(" --- | --- | --- |");
        sb.AppendLine();
        foreach (string task in options.Tasks)
        {
            if (!cells.Any(c => c.Task == task)) continue;
            sb.Append(inv, $"| {task} |");
            foreach (int n in options.Budgets)
            {
                var cell = cells.FirstOrDefault(c => c.Task == task && c.Simulations == n);
                if (cell is null)
                {
                    sb.Append(" | | |");
                    continue;
                }
                sb.Append(inv, $" {cell.MeanC2st:F3}{(cell.MeetsTarget ? "" : "*")} | " +
                    $"{(cell.SbiNpe is { } s ? s.ToString("F3", inv) : "")} | {cell.TrainingSeconds:F0} |");
            }
            sb.AppendLine();
        }
        sb.AppendLine();
        sb.AppendLine("Reference posteriors (per task over its observations; slice sampling must reach split R-hat < " +
            "1.01 and bulk ESS >= 10,000 on every parameter, or the run stops):");
        sb.AppendLine();
        sb.AppendLine("| task | method | worst split R-hat | smallest ESS | seconds |");
        sb.AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var r in references)
        {
            bool exact = r.Methods.All(m => m == "exact");
            sb.AppendLine(exact ? $"| {r.Task} | exact | | | {r.Seconds.Sum().ToString("F1", inv)} |"
                : $"| {r.Task} | slice sampling | {r.MaxRHat.Max().ToString("F4", inv)} | " +
                  $"{r.MinEffectiveSampleSize.Min().ToString("F0", inv)} | {r.Seconds.Sum().ToString("F1", inv)} |");
        }
        return sb.ToString();
    }

    private static string Csv(IReadOnlyList<AccuracyCell> cells)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("task,simulations,mean_c2st,sbi_npe,training_seconds,steps,epochs," +
            "sampling_seconds_per_observation,c2st_per_observation\n");
        foreach (var c in cells)
            sb.AppendLine(string.Create(inv, $"{c.Task},{c.Simulations},{c.MeanC2st:F4}," +
                $"{c.SbiNpe?.ToString("F3", inv)},{c.TrainingSeconds:F1},{c.Steps},{c.Epochs}," +
                $"{c.SamplingSecondsPerObservation:F4},") + string.Join(' ', c.C2st.Select(v => v.ToString("F4", inv))));
        return sb.ToString();
    }

    private static string Budget(int n) => n % 1000 == 0 ? $"{n / 1000}k" : n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Log lines to the console as they come.</summary>
    private sealed class Progress(CliContext ctx) : IProgress<string>
    {
        public void Report(string value) => ctx.Log(value);
    }
}

/// <summary>accuracy.json.</summary>
public sealed record AccuracyReport(string Created, string Machine, ulong Seed, int Observations, int Draws,
    AccuracyRow[] Cells);

/// <summary>One task and budget in accuracy.json.</summary>
public sealed record AccuracyRow(string Task, int Simulations, double MeanC2st, double[] C2st, double? SbiNpe,
    bool MeetsTarget, double TrainingSeconds, long Steps, int Epochs, double SamplingSecondsPerObservation);
