using Amortized.Cli;

namespace Amortized.Cli.Tests;

/// <summary>Runs the command in-process and captures what it prints.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
    }

    public static Result Run(params string[] args) => RunWith(null, args);

    /// <summary>Runs with <paramref name="environment"/> as the command's environment variables (none else).</summary>
    public static Result RunWith(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var ctx = environment is null ? new CliContext(output, error)
            : new CliContext(output, error, environment: name => environment.GetValueOrDefault(name));
        int rc = CliApp.Run(args, ctx);
        return new Result(rc, output.ToString(), error.ToString());
    }

    public static string TempDir()
    {
        string path = Path.Combine(Path.GetTempPath(), "amortized-cli-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        return path;
    }
}
