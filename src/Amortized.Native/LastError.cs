using System.Text;
using System.Text.Json;

namespace Amortized.Native;

/// <summary>
/// The calling thread's last error message (amortized_last_error) and the mapping from exceptions to status
/// codes. Thread-static because C callers on different threads must not see each other's failures.
/// </summary>
internal static class LastError
{
    [ThreadStatic] private static string? t_message;

    public static string Message => t_message ?? "";

    public static void Clear() => t_message = null;

    /// <summary>
    /// Records <paramref name="e"/> as this thread's last error and returns its status code. Never throws.
    /// </summary>
    public static int Set(Exception e)
    {
        try
        {
            Status status = Classify(e);
            t_message = e is NativeException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            return (int)status;
        }
        catch
        {
            // Formatting the message failed (out of memory, most likely): keep the code, lose the text.
            return (int)Status.Internal;
        }
    }

    /// <summary>Records a failure detected by the export layer itself.</summary>
    public static int Set(Status status, string message)
    {
        t_message = message;
        return (int)status;
    }

    public static Status Classify(Exception e) => e switch
    {
        NativeException n => n.Status,
        ArgumentNullException => Status.NullArgument,
        // IOException covers FileNotFound and DirectoryNotFound; InvalidDataException (corruption) is not one.
        IOException or UnauthorizedAccessException => Status.Io,
        InvalidDataException or FormatException or JsonException or DecoderFallbackException => Status.Format,
        ArgumentException or KeyNotFoundException => Status.InvalidArgument,
        OutOfMemoryException or InsufficientExecutionStackException => Status.OutOfMemory,
        _ => Status.Internal,
    };
}
