namespace Amortized.Native;

/// <summary>The status codes of amortized.h (enum amortized_status); the values are part of the C ABI.</summary>
internal enum Status
{
    Ok = 0,
    NullArgument = -1,
    InvalidArgument = -2,
    Shape = -3,
    BufferTooSmall = -4,
    Io = -5,
    Format = -6,
    InvalidHandle = -7,
    OutOfMemory = -8,
    Internal = -9,
}

/// <summary>A failure the export layer detected itself, with the status code it maps to.</summary>
internal sealed class NativeException(Status status, string message,
    Exception? inner = null) : Exception(message, inner)
{
    public Status Status { get; } = status;
}
