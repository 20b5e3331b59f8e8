namespace Amortized.Cli;

/// <summary>Entry point of the <c>amortized</c> command.</summary>
public static class CliApp
{
    /// <summary>Runs the command line; returns the process exit code (0 ok, 2 bad input, 1 other failure).</summary>
    public static int Run(string[] args) => args.Length == 0 ? 2 : 0;
}
