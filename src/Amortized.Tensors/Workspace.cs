using Amortized.Kernels.Cpu;

namespace Amortized.Tensors;

/// <summary>
/// A per-step arena for activations and gradients. While a workspace is active on a thread, op outputs and
/// intermediate gradients are carved out of its chunks and its recycled <see cref="Tensor"/> objects;
/// <see cref="Reset"/> rewinds it. A training step repeats the same sequence of requests, so after the first
/// step every request is served from memory already touched and no managed allocation happens.
/// </summary>
/// <remarks>
/// Why an arena: first-touching a fresh 4 KiB page costs ~15 us on these machines and the GC would see
/// hundreds of short-lived arrays per step. Tensors obtained during a step are invalid after the next Reset.
/// </remarks>
public sealed class Workspace
{
    [ThreadStatic] private static Workspace? t_current;

    private const int DefaultChunkFloats = 1 << 20;   // 4 MiB

    private readonly List<float[]> _chunks = [];
    private readonly List<Tensor> _tensors = [];
    private readonly List<DeviceArena> _deviceArenas = [];
    private int _chunk;
    private int _offset;
    private int _tensorCursor;

    /// <summary>The workspace active on this thread, or null.</summary>
    public static Workspace? Current => t_current;

    /// <summary>Floats handed out since the last reset.</summary>
    public long FloatsInUse { get; private set; }

    /// <summary>Floats held in all chunks.</summary>
    public long Capacity { get; private set; }

    /// <summary>Makes this workspace current on this thread until the scope is disposed.</summary>
    public Scope Activate()
    {
        var previous = t_current;
        t_current = this;
        return new Scope(previous);
    }

    /// <summary>Rewinds the arena: all tensors handed out since the last reset become invalid.</summary>
    public void Reset()
    {
        _chunk = 0;
        _offset = 0;
        _tensorCursor = 0;
        FloatsInUse = 0;
        foreach (var arena in _deviceArenas) arena.Reset();
    }

    /// <summary>A recycled tensor object that views existing storage (reshape); consumes no arena floats.</summary>
    internal Tensor RentView(float[] data, DeviceBuffer? buffer, int offset, Shape shape)
    {
        Tensor tensor;
        if (_tensorCursor < _tensors.Count)
        {
            tensor = _tensors[_tensorCursor];
            tensor.Reset(data, buffer, offset, shape);
        }
        else
        {
            tensor = buffer is null ? new Tensor(data, offset, shape) : new Tensor(buffer, offset, shape);
            _tensors.Add(tensor);
        }
        _tensorCursor++;
        return tensor;
    }

    internal Tensor Rent(Shape shape, bool zero)
    {
        int size = shape.Size;
        // 16-float alignment keeps every tensor on its own 64-byte line for the SIMD kernels.
        int padded = (size + 15) & ~15;
        while (_chunk < _chunks.Count && _offset + padded > _chunks[_chunk].Length)
        {
            _chunk++;
            _offset = 0;
        }
        if (_chunk == _chunks.Count)
        {
            var chunk = new float[Math.Max(DefaultChunkFloats, padded)];
            _chunks.Add(chunk);
            Capacity += chunk.Length;
            _offset = 0;
        }
        float[] data = _chunks[_chunk];
        int offset = _offset;
        _offset += padded;
        FloatsInUse += padded;

        var tensor = RentView(data, null, offset, shape);
        if (zero)
        {
            long start = KernelProfile.Start();
            tensor.Span.Clear();
            KernelProfile.Stop(KernelFamily.Fill, start);
        }
        return tensor;
    }

    /// <summary>
    /// An uninitialised tensor in this workspace's arena on <paramref name="backend"/>'s device. Device chunks are
    /// allocated on first need and reused after every <see cref="Reset"/>, so a steady-state step allocates no
    /// device memory.
    /// </summary>
    internal Tensor RentOn(Backends.IBackend backend, Shape shape)
    {
        DeviceArena? arena = null;
        foreach (var a in _deviceArenas) if (ReferenceEquals(a.Backend, backend)) { arena = a; break; }
        if (arena is null)
        {
            arena = new DeviceArena(backend);
            _deviceArenas.Add(arena);
        }
        int padded = (shape.Size + 63) & ~63;   // 256-byte alignment: coalesced loads on GPUs
        var (buffer, offset) = arena.Take(padded);
        FloatsInUse += padded;
        return RentView([], buffer, offset, shape);
    }

    private sealed class DeviceArena(Backends.IBackend backend)
    {
        private const int ChunkFloats = 1 << 22;   // 16 MiB
        private readonly List<DeviceBuffer> _chunks = [];
        private int _chunk;
        private int _offset;

        public Backends.IBackend Backend { get; } = backend;

        public (DeviceBuffer Buffer, int Offset) Take(int floats)
        {
            while (_chunk < _chunks.Count && _offset + floats > _chunks[_chunk].Length)
            {
                _chunk++;
                _offset = 0;
            }
            if (_chunk == _chunks.Count)
            {
                _chunks.Add(Backend.AllocateBuffer(Math.Max(ChunkFloats, floats)));
                _offset = 0;
            }
            int offset = _offset;
            _offset += floats;
            return (_chunks[_chunk], offset);
        }

        public void Reset()
        {
            _chunk = 0;
            _offset = 0;
        }
    }

    /// <summary>Restores the previously active workspace when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly Workspace? _previous;

        internal Scope(Workspace? previous) => _previous = previous;

        /// <inheritdoc />
        public void Dispose() => t_current = _previous;
    }
}
