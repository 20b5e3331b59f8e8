using Amortized.Kernels.Cpu;
using ILGPU;
using ILGPU.Runtime;

namespace Amortized.Kernels.Gpu;

// Launchers of the matrix products (GemmKernels.cs). The CPU twin is Amortized.Kernels.Cpu's Gemm.
public sealed partial class GpuKernels
{
    private MemoryBuffer1D<float, Stride1D.Dense>? _splitScratch;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, GemmParams>? _gemmBlocked;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, GemmParams>? _gemmSmall;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        GemmParams>? _gemmSplitReduce;

    /// <summary>
    /// C = activation(alpha op(A) op(B) + beta C + bias), row-major, the semantics of
    /// <see cref="Amortized.Kernels.Cpu.Gemm.Multiply(Transpose, Transpose, int, int, int, float, ReadOnlySpan{float},
    /// int, ReadOnlySpan{float}, int, float, Span{float}, int, ReadOnlySpan{float}, Activation, Span{float})"/>.
    /// </summary>
    /// <remarks>
    /// op(A) is (M, K): A is stored (M, K) with row stride lda, or (K, M) when transposed. op(B) is (K, N): B is
    /// stored (K, N) with ldb, or (N, K) when transposed. C is (M, N) with row stride ldc. beta = 0 means C is not
    /// read (NaN in C does not propagate); alpha = 0 or k = 0 means A and B are not read. bias is (N) or empty;
    /// pre (same layout as C, stride ldc) receives the value before the activation, or is empty.
    /// </remarks>
    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ArrayView<float> a, int lda, ArrayView<float> b, int ldb,
        float beta, ArrayView<float> c, int ldc, ArrayView<float> bias, Activation activation, ArrayView<float> pre)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"Gemm: dimensions must be non-negative, got m={m}, n={n}, k={k}.");
        CheckActivation(activation);
        if (m == 0 || n == 0)
            return;
        bool readsAB = k > 0 && alpha != 0f;
        if (readsAB)
        {
            CheckOperand(a, transA == Transpose.No ? m : k, transA == Transpose.No ? k : m, lda, nameof(a));
            CheckOperand(b, transB == Transpose.No ? k : n, transB == Transpose.No ? n : k, ldb, nameof(b));
        }
        CheckOperand(c, m, n, ldc, nameof(c));
        bool hasBias = Has(bias), hasPre = Has(pre);
        if (hasBias)
            Require(bias, n, nameof(bias));
        if (hasPre)
            CheckOperand(pre, m, n, ldc, nameof(pre));

        var p = new GemmParams
        {
            M = m, N = n, K = readsAB ? k : 0, Lda = lda, Ldb = ldb, Ldc = ldc,
            TransA = transA == Transpose.No ? 0 : 1, TransB = transB == Transpose.No ? 0 : 1,
            HasBias = hasBias ? 1 : 0, HasPre = hasPre ? 1 : 0, Activation = (int)activation,
            Alpha = alpha, Beta = beta, Splits = 1,
        };
        ArrayView<float> av = readsAB ? a : _dummy.View, bv = readsAB ? b : _dummy.View;
        ArrayView<float> biasView = OrDummy(bias), preView = OrDummy(pre);

        if (!_blockedGemm)
        {
            p.BlocksN = (n + GemmKernels.SmallTile - 1) / GemmKernels.SmallTile;
            int blocks = checked(((m + GemmKernels.SmallTile - 1) / GemmKernels.SmallTile) * p.BlocksN);
            p.KChunk = p.K;
            (_gemmSmall ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
                ArrayView<float>, ArrayView<float>, GemmParams>(GemmKernels.Small))(
                new KernelConfig(new Index1D(blocks), new Index1D(GemmKernels.SmallThreads)),
                av, bv, c, biasView, preView, p);
            return;
        }

        p.BlocksN = (n + GemmKernels.BN - 1) / GemmKernels.BN;
        int tiles = checked(((m + GemmKernels.BM - 1) / GemmKernels.BM) * p.BlocksN);
        int splits = SplitCount(tiles, p.K, Accelerator.NumMultiprocessors);
        p.Splits = splits;
        p.KChunk = splits == 1 ? p.K : RoundUp((p.K + splits - 1) / splits, GemmKernels.BK);
        ArrayView<float> scratch = _dummy.View;
        if (splits > 1)
        {
            long needed = (long)splits * m * n;
            if (_splitScratch is null || _splitScratch.Length < needed)
            {
                _splitScratch?.Dispose();
                _splitScratch = Accelerator.Allocate1D<float>(needed);
            }
            scratch = _splitScratch.View.SubView(0, needed);
        }
        (_gemmBlocked ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmParams>(GemmKernels.Blocked))(
            new KernelConfig(new Index1D(checked(tiles * splits)), new Index1D(GemmKernels.Threads)), av, bv, c,
            biasView, preView, scratch, p);
        if (splits > 1)
        {
            (_gemmSplitReduce ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
                ArrayView<float>, GemmParams>(GemmKernels.SplitKReduce))(
                Config((long)m * n), scratch, c, biasView, preView, p);
        }
    }

    /// <summary>
    /// Number of K slices for the blocked GEMM: 1 unless the output has too few tiles to occupy the device and K is
    /// long (the weight gradient (128 x 4096)(4096 x 128) has 4 tiles; W2's (64 x 409600)(409600 x 64) at 4096 sets
    /// has 1). Enough slices for about 4 resident 256-thread groups per multiprocessor, each slice keeping at least
    /// 256 of K. (With at most 64 slices, W2's one-tile weight gradients used 64 of an H200's 132 multiprocessors
    /// for K = 409600.) A pure function of the shape and the device, so a given call always partitions K the same
    /// way (deterministic).
    /// </summary>
    internal static int SplitCount(int tiles, int k, int multiprocessors)
    {
        if (tiles >= multiprocessors || k < 512)
            return 1;
        int bySize = k / 256;
        int byOccupancy = Math.Max(1, 4 * multiprocessors / tiles);
        return Math.Clamp(Math.Min(bySize, byOccupancy), 1, 1024);
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static void CheckOperand(ArrayView<float> v, int rows, int cols, int ld, string name)
    {
        if (ld < cols)
            throw new ArgumentException($"Gemm: {name} is stored ({rows}, {cols}) but its leading dimension {ld} " +
                $"is less than {cols}.", name);
        long required = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        Require(v, required, name);
    }
}
