using Spectre.Console;

namespace Amortized.Cli;

/// <summary>
/// Where a command writes: stdout and stderr as text writers (so tests capture them), and whether a live
/// Spectre progress bar can be drawn (only on an interactive terminal; otherwise progress goes out as log lines,
/// because Spectre's progress bar prints nothing at all when output is redirected).
/// </summary>
public sealed class CliContext
{
    /// <summary>A context over the process's console.</summary>
    public static CliContext FromConsole() => new(Console.Out, Console.Error,
        interactive: !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive);

    /// <summary>A context over the given writers (never interactive).</summary>
    public CliContext(TextWriter output, TextWriter error, bool interactive = false)
    {
        Output = output;
        Error = error;
        Interactive = interactive;
    }

    /// <summary>Standard output.</summary>
    public TextWriter Output { get; }

    /// <summary>Standard error.</summary>
    public TextWriter Error { get; }

    /// <summary>Whether a live progress bar can be drawn.</summary>
    public bool Interactive { get; }

    /// <summary>Print stack traces with errors.</summary>
    public bool Verbose { get; set; }

    /// <summary>One log line on stdout.</summary>
    public void Log(string line) => Output.WriteLine(line);
}
