using Amortized.Cli;

namespace Amortized.Cli.Tests;

/// <summary>Runs the command in-process and captures what it prints.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
    }

    public static Result Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int rc = CliApp.Run(args, new CliContext(output, error));
        return new Result(rc, output.ToString(), error.ToString());
    }

    public static string TempDir()
    {
        string path = Path.Combine(Path.GetTempPath(), "amortized-cli-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        return path;
    }
}
