using Amortized.Tensors.Backends;

namespace Amortized.Tensors;

/// <summary>
/// A block of float32 memory owned by an accelerator backend. Tensors on a device view a range of one buffer
/// (<see cref="Tensor.Offset"/>, <see cref="Tensor.Size"/>), as host tensors view a range of a float array.
/// </summary>
public abstract class DeviceBuffer : IDisposable
{
    /// <summary>The backend that owns the memory and computes on it.</summary>
    public abstract IBackend Backend { get; }

    /// <summary>Capacity in floats.</summary>
    public abstract int Length { get; }

    /// <summary>Frees the device memory.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the device memory (<paramref name="disposing"/> is false from a finalizer).</summary>
    protected abstract void Dispose(bool disposing);
}

/// <summary>
/// The backend that new tensors are created on (the ambient device), per thread: CPU unless a scope says
/// otherwise. Ops put their outputs on their inputs' device regardless; the scope decides where
/// <see cref="Tensor.Zeros(Shape)"/>, <c>Tensor.FromArray</c> and the random constructors put theirs.
/// </summary>
/// <example><code>using (BackendScope.Use(gpu)) { var loss = flow.Loss(theta, x); }</code></example>
public static class BackendScope
{
    [ThreadStatic] private static IBackend? t_current;

    /// <summary>The backend new tensors are created on, on this thread.</summary>
    public static IBackend Current => t_current ?? CpuBackend.Instance;

    /// <summary>
    /// Makes <paramref name="backend"/> the ambient device on this thread until the scope is disposed.
    /// </summary>
    public static Scope Use(IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var previous = t_current;
        t_current = backend;
        return new Scope(previous);
    }

    /// <summary>Restores the previous ambient device when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly IBackend? _previous;

        internal Scope(IBackend? previous) => _previous = previous;

        /// <inheritdoc />
        public void Dispose() => t_current = _previous;
    }
}
