using System.CommandLine;
using Amortized.Cli.Commands;

namespace Amortized.Cli;

/// <summary>Entry point of the <c>amortized</c> command.</summary>
public static class CliApp
{
    /// <summary>
    /// Runs the command line on the process console; returns the exit code (0 ok, 2 bad input, 1 other failure).
    /// </summary>
    public static int Run(string[] args) => Run(args, CliContext.FromConsole());

    /// <summary>Runs the command line writing to <paramref name="context"/>'s writers (tests capture them).</summary>
    public static int Run(string[] args, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        Amortized.Parquet.ParquetFormat.Register(); // folders of .parquet files read as datasets (explicit: no reflection under AOT)
        var verbose =
            new Option<bool>("--verbose") { Description = "Print stack traces with errors", Recursive = true };
        var root = new RootCommand(
            "amortized: amortized Bayesian inference (train a posterior once, sample it in milliseconds)")
        {
            TasksCommand.Create(context),
            SimulateCommand.Create(context),
            FitCommand.Create(context),
            SampleCommand.Create(context),
            LogProbCommand.Create(context),
            DiagnoseCommand.Create(context),
            BenchCommand.Create(context),
            AccuracyCommand.Create(context),
            DevicesCommand.Create(context),
        };
        root.Options.Add(verbose);
        ParseResult parsed = null!;
        // Option parsers run inside Parse; a throw there must still end as one line, not a stack trace.
        int parseStatus = CliErrors.Guard(context, () => { parsed = root.Parse(args); return CliErrors.Ok; });
        if (parseStatus != CliErrors.Ok) return parseStatus;
        context.Verbose = parsed.GetValue(verbose);
        // A usage error is one clear line on stderr (System.CommandLine would print every error and the help text).
        if (parsed.Errors.Count > 0)
        {
            var errors = parsed.Errors.Select(e => e.Message).ToList();
            string message =
                errors.FirstOrDefault(m => m.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? errors[0];
            context.Error.WriteLine($"error: {message.ReplaceLineEndings(" ")} (see 'amortized --help')");
            return CliErrors.BadInput;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = context.Output, Error = context.Error });
    }
}
