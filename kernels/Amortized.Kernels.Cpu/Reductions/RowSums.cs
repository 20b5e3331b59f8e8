using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// Column sums of a row-major (rows, inner) block: dst[j] = 0 + src[0, j] + src[1, j] + ... in row order, with
/// 4 vectors of columns held in registers over all rows (one pass, no per-row call), and the reductions built
/// on it: sums over an axis (a set's mean pool) and a bias gradient (all rows of a (rows, inner) gradient).
/// </summary>
/// <remarks>
/// Bias gradients sum fixed chunks of <see cref="ChunkRows"/> rows and add the chunk sums into the target in
/// chunk order, so chunks may run on different threads (share p of the chunks on thread p, which also holds
/// those rows) with bitwise the same result as one thread.
/// </remarks>
internal static unsafe class RowSums
{
    /// <summary>Rows per chunk of a bias gradient: a (512, 128) gradient splits at row 256, as the GEMM does.</summary>
    public const int ChunkRows = 256;

    /// <summary>Chunk sums live on the stack up to this many floats (64 KB); longer reductions use one chunk.</summary>
    private const int MaxPartialFloats = 16_384;

    /// <summary>dst[j] = sum over r &lt; rows of src[r * inner + j], summed in row order from zero.</summary>
    public static void Sum(float* src, int rows, int inner, float* dst)
    {
        if (Vector512.IsHardwareAccelerated)
            Sum<Lanes512, Vector512<float>>(src, rows, inner, dst);
        else if (Vector256.IsHardwareAccelerated)
            Sum<Lanes256, Vector256<float>>(src, rows, inner, dst);
        else
            SumScalar(src, rows, inner, 0, dst);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sum<TLanes, TVec>(float* src, int rows, int inner, float* dst)
        where TLanes : struct, IVectorLanes<TVec>
        where TVec : struct
    {
        int width = TLanes.Count, j = 0;
        for (; j + 4 * width <= inner; j += 4 * width)
        {
            TVec s0 = TLanes.Zero, s1 = TLanes.Zero, s2 = TLanes.Zero, s3 = TLanes.Zero;
            float* p = src + j;
            for (int r = 0; r < rows; r++, p += inner)
            {
                s0 = TLanes.Add(s0, TLanes.Load(p));
                s1 = TLanes.Add(s1, TLanes.Load(p + width));
                s2 = TLanes.Add(s2, TLanes.Load(p + 2 * width));
                s3 = TLanes.Add(s3, TLanes.Load(p + 3 * width));
            }
            TLanes.Store(s0, dst + j);
            TLanes.Store(s1, dst + j + width);
            TLanes.Store(s2, dst + j + 2 * width);
            TLanes.Store(s3, dst + j + 3 * width);
        }
        for (; j + width <= inner; j += width)
        {
            TVec s = TLanes.Zero;
            float* p = src + j;
            for (int r = 0; r < rows; r++, p += inner)
                s = TLanes.Add(s, TLanes.Load(p));
            TLanes.Store(s, dst + j);
        }
        SumScalar(src, rows, inner, j, dst);
    }

    private static void SumScalar(float* src, int rows, int inner, int from, float* dst)
    {
        for (int j = from; j < inner; j++)
        {
            float s = 0f;
            for (int r = 0; r < rows; r++)
                s += src[(long)r * inner + j];
            dst[j] = s;
        }
    }

    /// <summary>
    /// dst += scale * (column sums of src (rows, inner)): each chunk of <see cref="ChunkRows"/> rows is summed,
    /// then the chunk sums are added into dst in chunk order, on as many threads as the size allows. False
    /// (nothing done) for rows wider than the stack buffer.
    /// </summary>
    public static bool TryAccumulateColumnSums(
        ReadOnlySpan<float> src, int rows, int inner, Span<float> dst, float scale)
    {
        if (inner > MaxPartialFloats)
            return false;
        int chunks = Math.Max(1, (rows + ChunkRows - 1) / ChunkRows);
        if ((long)chunks * inner > MaxPartialFloats)
            chunks = 1;
        float* partial = stackalloc float[chunks * inner];
        fixed (float* s = src)
        {
            int parts = Math.Min(Math.Min(KernelThreading.MaxThreads, chunks),
                src.Length / ThreadSplit.MinElementsPerThread);
            if (parts >= 2)
            {
                ChunkWork work = ChunkWork.Current;
                (work.Src, work.Rows, work.Inner, work.Chunks, work.Parts, work.Partial) =
                    ((nint)s, rows, inner, chunks, parts, (nint)partial);
                KernelThreading.For(parts, work);
            }
            else
            {
                SumChunks(s, rows, inner, chunks, 0, chunks, partial);
            }
        }
        for (int c = 0; c < chunks; c++)
        {
            var sums = new ReadOnlySpan<float>(partial + c * inner, inner);
            if (scale == 1f) TensorPrimitives.Add(dst, sums, dst);
            else TensorPrimitives.MultiplyAdd(sums, scale, dst, dst);
        }
        return true;
    }

    /// <summary>Chunks [first, end) of a bias gradient's rows into their partial-sum rows.</summary>
    private static void SumChunks(float* src, int rows, int inner, int chunks, int first, int end, float* partial)
    {
        int chunkRows = chunks == 1 ? rows : ChunkRows;
        for (int c = first; c < end; c++)
        {
            int r0 = c * chunkRows, n = Math.Min(chunkRows, rows - r0);
            Sum(src + (long)r0 * inner, n, inner, partial + c * inner);
        }
    }

    /// <summary>Share p of the chunks on thread p.</summary>
    private sealed class ChunkWork : ParallelWork
    {
        [ThreadStatic]
        private static ChunkWork? t_current;

        public nint Src, Partial;
        public int Rows, Inner, Chunks, Parts;

        public static ChunkWork Current => t_current ??= new ChunkWork();

        public override void Run(int index)
        {
            (int first, int end) = ThreadSplit.Share(index, Parts, Chunks, 1);
            SumChunks((float*)Src, Rows, Inner, Chunks, first, end, (float*)Partial);
        }
    }
}
