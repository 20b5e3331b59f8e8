using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// Per-thread packing buffers: the packed A block, the packed B block and an edge tile. They live on the pinned
/// object heap (so raw pointers stay valid), are aligned to 64 bytes (cache lines and Vector512 loads), only
/// grow, and are reused by every later call on the same thread, so steady-state GEMM allocates nothing.
/// </summary>
internal sealed unsafe class GemmBuffers
{
    private const int Alignment = 64;

    [ThreadStatic]
    private static GemmBuffers? t_current;

    private float[]? _a;
    private float[]? _b;
    private float[]? _tile;

    /// <summary>The calling thread's buffers.</summary>
    public static GemmBuffers Current => t_current ??= new GemmBuffers();

    /// <summary>Packed A block, at least the floats last requested by <see cref="Ensure"/>.</summary>
    public float* A { get; private set; }

    /// <summary>Packed B block.</summary>
    public float* B { get; private set; }

    /// <summary>Scratch (MR, NR) tile for edge tiles that do not fit C.</summary>
    public float* Tile { get; private set; }

    /// <summary>Grows the buffers to hold at least the given number of floats each (plus packing slack).</summary>
    public void Ensure(int aFloats, int bFloats, int tileFloats)
    {
        A = Grow(ref _a, aFloats + GemmPacking.Slack, A);
        B = Grow(ref _b, bFloats + GemmPacking.Slack, B);
        Tile = Grow(ref _tile, tileFloats, Tile);
    }

    private static float* Grow(ref float[]? array, int floats, float* current)
    {
        int needed = floats + Alignment / sizeof(float);
        if (array != null && array.Length >= needed)
            return current;
        array = GC.AllocateUninitializedArray<float>(needed, pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        return (float*)((address + Alignment - 1) & ~(nint)(Alignment - 1));
    }
}
