namespace Amortized.Kernels.Cpu;

/// <summary>
/// The one way kernels split a range between threads: even shares with boundaries rounded down to a fixed
/// alignment. The GEMM's row tasks and the elementwise kernels use it alike, so with one item per thread
/// (which <see cref="KernelThreading.For"/> runs on the same thread each call) each core keeps working on the
/// rows it wrote. A (512, 128) activation splits at row 256 both as 512 rows and as 65,536 elements.
/// </summary>
internal static class ThreadSplit
{
    /// <summary>Row boundaries of GEMM tasks are multiples of this.</summary>
    public const int RowAlignment = 16;

    /// <summary>
    /// Element boundaries of elementwise kernels are multiples of this (1 KB): whole vectors of any width and
    /// whole 256-element chunks of the kernels that work through a stack row, so a share computes each element
    /// exactly as one thread would.
    /// </summary>
    public const int ElementAlignment = 256;

    /// <summary>
    /// Below this many elements per extra thread a kernel keeps one thread (activations, depth-K and thin-side
    /// products, bias and set sums alike): a share of 32,768 SiLU derivatives is about 10 microseconds on AVX-512,
    /// against 1-2 microseconds to hand a share to the other core and wait for it and the other core's misses on
    /// rows this one wrote (W1 at batch 256, 32,768 elements a layer, ran slower on 2 threads with half that).
    /// </summary>
    public const int MinElementsPerThread = 32_768;

    /// <summary>
    /// Start of share <paramref name="t"/> of <paramref name="parts"/> over [0, total); total for t = parts.
    /// </summary>
    public static int Boundary(int t, int parts, int total, int alignment) =>
        t >= parts ? total : (int)((long)t * total / parts) / alignment * alignment;

    /// <summary>Share <paramref name="t"/> of <paramref name="parts"/> as [start, end).</summary>
    public static (int Start, int End) Share(int t, int parts, int total, int alignment) =>
        (Boundary(t, parts, total, alignment), Boundary(t + 1, parts, total, alignment));
}
