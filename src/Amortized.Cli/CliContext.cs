using Amortized.Inference.Serialization;
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

    /// <summary>
    /// A context over the given writers (never interactive); <paramref name="environment"/> looks up environment
    /// variables (default: the process's), so tests can set them for one run without touching the process.
    /// </summary>
    public CliContext(TextWriter output, TextWriter error, bool interactive = false,
        Func<string, string?>? environment = null)
    {
        Output = output;
        Error = error;
        Interactive = interactive;
        _environment = environment ?? Environment.GetEnvironmentVariable;
    }

    private readonly Func<string, string?> _environment;

    /// <summary>The environment variable that names the key file model files are signed and checked with.</summary>
    public const string ModelKeyVariable = "AMORTIZED_MODEL_KEY_FILE";

    /// <summary>
    /// The model-signing key named by <see cref="ModelKeyVariable"/>, or null when it is unset: <c>fit</c> signs the
    /// model with it (HMAC-SHA-256) and every command that loads a model refuses one not signed with it.
    /// </summary>
    /// <exception cref="UsageException">The variable names a missing file or one of the wrong size.</exception>
    public ModelFileKey? ModelKey()
    {
        string? path = _environment(ModelKeyVariable);
        if (string.IsNullOrEmpty(path)) return null;
        if (!File.Exists(path))
            throw new UsageException($"{ModelKeyVariable}: key file '{path}' does not exist.");
        try
        {
            return ModelFileKey.FromFile(path);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"{ModelKeyVariable}: {e.Message}");
        }
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
