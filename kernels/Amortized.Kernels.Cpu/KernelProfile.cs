using System.Diagnostics;

namespace Amortized.Kernels.Cpu;

/// <summary>The families a step's time is split into by <see cref="KernelProfile"/>.</summary>
public enum KernelFamily
{
    /// <summary>Matrix products, wall time of the whole call (packing, microkernels and the fused epilogue).</summary>
    Gemm,
    /// <summary>Inside <see cref="Gemm"/>, summed over the threads that ran it: the microkernels.</summary>
    GemmMicroKernel,
    /// <summary>Inside <see cref="Gemm"/>, summed over threads: packing A and B into panels.</summary>
    GemmPacking,
    /// <summary>Inside <see cref="Gemm"/>, summed over threads: the fused bias + activation epilogue.</summary>
    GemmEpilogue,
    /// <summary>Activations and their gradients outside the GEMM epilogue.</summary>
    Activation,
    /// <summary>Unary, binary (broadcast) and select kernels, and scaled adds.</summary>
    Elementwise,
    /// <summary>Reductions, sums to a broadcast shape, softmax and layer norm.</summary>
    Reduction,
    /// <summary>Copies, slices, permutations and gathers.</summary>
    Copy,
    /// <summary>Filling buffers, zero-filling gradients and arena tensors included.</summary>
    Fill,
    /// <summary>The coupling transforms (affine, spline), forward and backward.</summary>
    Coupling,
    /// <summary>The optimizer's parameter update.</summary>
    Optimizer,
}

/// <summary>
/// Opt-in time accounting per <see cref="KernelFamily"/>, for the benchmark's <c>--profile</c>: where a training
/// step's milliseconds go. Off by default; while off, each kernel call pays one static read. While on, every call
/// adds two timestamps (tens of nanoseconds) and each GEMM tile two more for its epilogue, so a profiled step is a
/// few percent slower than an unprofiled one; compare families within one profiled run. Families marked "summed
/// over threads" add each worker's time, so with more than one thread they can exceed the wall time.
/// </summary>
public static class KernelProfile
{
    private static readonly long[] s_ticks = new long[Enum.GetValues<KernelFamily>().Length];
    private static readonly long[] s_calls = new long[s_ticks.Length];

    /// <summary>True while time is being accounted. Set it only between steps, never while kernels run.</summary>
    public static bool Enabled { get; set; }

    /// <summary>A timestamp to pass to <see cref="Stop"/>, or 0 when profiling is off.</summary>
    public static long Start() => Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Adds the time since <paramref name="start"/> (from <see cref="Start"/>) to a family.</summary>
    public static void Stop(KernelFamily family, long start)
    {
        if (start != 0) Add(family, Stopwatch.GetTimestamp() - start);
    }

    /// <summary>Adds <paramref name="ticks"/> (of <see cref="Stopwatch"/>) and one call to a family.</summary>
    public static void Add(KernelFamily family, long ticks)
    {
        Interlocked.Add(ref s_ticks[(int)family], ticks);
        Interlocked.Increment(ref s_calls[(int)family]);
    }

    /// <summary>Milliseconds accounted to <paramref name="family"/> since the last <see cref="Reset"/>.</summary>
    public static double Milliseconds(KernelFamily family) =>
        Volatile.Read(ref s_ticks[(int)family]) * 1000.0 / Stopwatch.Frequency;

    /// <summary>Calls (or, for the GEMM's inner families, blocks and tiles) accounted to a family.</summary>
    public static long Calls(KernelFamily family) => Volatile.Read(ref s_calls[(int)family]);

    /// <summary>Zeroes every family's time and count.</summary>
    public static void Reset()
    {
        Array.Clear(s_ticks);
        Array.Clear(s_calls);
    }
}
