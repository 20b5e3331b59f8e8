namespace Amortized.Cli;

/// <summary>Bad input from the user (arguments, files, shapes): exit code 2 with one line on stderr.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Maps exceptions to the exit codes the command promises: 2 for bad input, 1 for anything else.</summary>
internal static class CliErrors
{
    public const int Ok = 0, Failure = 1, BadInput = 2;

    /// <summary>
    /// Exceptions our libraries throw for invalid input (wrong shapes, unknown keys, malformed or missing files)
    /// are the user's to fix, so they exit 2; anything else is our failure and exits 1.
    /// </summary>
    public static bool IsBadInput(Exception e) => e is UsageException or ArgumentException or FileNotFoundException
        or DirectoryNotFoundException or InvalidDataException or FormatException or KeyNotFoundException
        or NotSupportedException or System.Text.Json.JsonException;

    /// <summary>Runs <paramref name="body"/>, printing one line on stderr for any exception.</summary>
    public static int Guard(CliContext context, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (OperationCanceledException)
        {
            context.Error.WriteLine("error: cancelled");
            return Failure;
        }
        catch (Exception e)
        {
            context.Error.WriteLine($"error: {OneLine(e.Message)}");
            if (context.Verbose) context.Error.WriteLine(e.ToString());
            return IsBadInput(e) ? BadInput : Failure;
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
