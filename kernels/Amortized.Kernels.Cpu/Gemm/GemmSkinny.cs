using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// Products with a thin side: N (or M) at most <see cref="MaxThin"/>, such as a coupling subnet's output layer
/// (512 x 128 times 128 x 2) and the gradients that go with it. The packed microkernel pads N up to its tile
/// width (32 columns on AVX-512), so for N = 2 it does 16 times the useful work; these kernels vectorise along
/// the long side instead and do no padding, packing or edge-tile copying.
/// </summary>
/// <remarks>
/// Thin M is turned into thin N by transposing the problem: C^T = op(B)^T op(A)^T, written through swapped
/// strides. The normalised problem is C (L, t) = A (L, K) B (K, t) with t &lt;= MaxThin and one of two kernels:
/// "dot" when rows of A are contiguous in K (each C element is a dot product vectorised over K), "axpy" when
/// A is stored transposed, (K, L) (C columns accumulate vectors of A rows scaled by broadcast B elements).
/// Every C element is one fixed sequence of operations whatever the rows around it, so splitting rows between
/// threads could not change a bit; results differ from the packed path's only by summation order.
/// </remarks>
internal static unsafe class GemmSkinny
{
    /// <summary>The thin side at most this long uses the axpy kernel.</summary>
    public const int MaxThin = 8;

    /// <summary>The normalised problem: C(i, c) at C + i * RowStride + c * ColStride.</summary>
    private struct Problem
    {
        public int L, T, K;
        public float Alpha, Beta;
        /// <summary>A (L, K) with rows contiguous (dot), or stored (K, L) (axpy); row stride Lda as stored.</summary>
        public float* A;
        public nint Lda;
        public bool ATransposed;
        /// <summary>B (K, t): element (k, c) at B + k * BkStride + c * BcStride.</summary>
        public float* B;
        public nint BkStride, BcStride;
        public float* C;
        public nint RowStride, ColStride;
        /// <summary>Whether the problem is C^T = op(B)^T op(A)^T (its rows are C's columns).</summary>
        public bool CTransposed;
    }

    /// <summary>
    /// The dot kernel is used for a thin side up to this long: past it, reducing each dot product costs more
    /// than the packed path's padding (measured: 512 x 8 x 128 23 against 27 microseconds, 512 x 8 x 64 18
    /// against 14).
    /// </summary>
    public const int MaxThinDot = 4;

    /// <summary>Whether a product of this shape goes here (the caller has handled k = 0 and alpha = 0).</summary>
    public static bool Applies(int m, int n, Transpose transA, Transpose transB, SimdPath path) =>
        path != SimdPath.Scalar && (ThinN(n, transA) || ThinM(m, transB));

    /// <summary>
    /// Whether N is thin enough as it stands: the normalised A is op(A), stored transposed (the axpy kernel)
    /// when A is.
    /// </summary>
    private static bool ThinN(int n, Transpose transA) =>
        n <= MaxThinDot || (n <= MaxThin && transA == Transpose.Yes);

    /// <summary>Whether M is, through C^T = op(B)^T op(A)^T, whose A is stored transposed when B is not.</summary>
    private static bool ThinM(int m, Transpose transB) =>
        m <= MaxThinDot || (m <= MaxThin && transB == Transpose.No);

    /// <summary>
    /// Computes C = alpha op(A) op(B) + beta C and then the epilogue; requires <see cref="Applies"/>. The long
    /// side splits between up to <paramref name="maxThreads"/> threads at the GEMM's 16-row boundaries, so a
    /// thread reads the rows that its core wrote in the layer before.
    /// </summary>
    public static void Run(in GemmArgs g, SimdPath path, int maxThreads)
    {
        Problem p = Normalise(g);
        if (path == SimdPath.Vector512)
            Prepare<Vector512MicroKernel>(ref p);
        else
            Prepare<Vector256MicroKernel>(ref p);
        // The epilogue goes with the rows when C's rows are the split side; with C transposed it runs after, over
        // all of C, because its scalar or vector path depends on the width of the columns it is given.
        bool epilogueByRows = g.HasEpilogue && !p.CTransposed;
        // Counted in elements of A: a 512 x 128 x 2 output layer, 6 microseconds alone, splits in two.
        int parts = (int)Math.Min(Math.Min(maxThreads, (long)p.L * p.K / ThreadSplit.MinElementsPerThread),
            p.L / ThreadSplit.RowAlignment);
        if (parts >= 2)
        {
            SkinnyWork work = SkinnyWork.Current;
            (work.Args, work.Problem, work.Path, work.Parts, work.Epilogue) = (g, p, path, parts, epilogueByRows);
            try
            {
                KernelThreading.For(parts, work);
            }
            finally
            {
                work.Args = default; // drop the pointers into the caller's (soon unpinned) spans
                work.Problem = default;
            }
        }
        else
        {
            Range(p, path, 0, p.L);
        }
        if (g.HasEpilogue && (parts < 2 || !epilogueByRows))
            GemmEpilogue.Apply(g, path, 0, 0, g.M, g.N);
    }

    /// <summary>Rows [l0, l1) of the normalised problem, then (when asked) the epilogue over those rows of C.</summary>
    private static void RunShare(in GemmArgs g, in Problem p, SimdPath path, int l0, int l1, bool epilogue)
    {
        Range(p, path, l0, l1);
        if (epilogue && l1 > l0)
            GemmEpilogue.Apply(g, path, l0, 0, l1 - l0, g.N);
    }

    /// <summary>Rows [l0, l1) of the normalised problem (whose B <see cref="Prepare"/> has laid out).</summary>
    private static void Range(Problem p, SimdPath path, int l0, int l1)
    {
        if (l1 <= l0)
            return;
        // A row of the problem is a row of A (dot) or a column of the stored (K, L) A (axpy), and row l of C.
        p.A += p.ATransposed ? l0 : l0 * p.Lda;
        p.C += l0 * p.RowStride;
        p.L = l1 - l0;
        if (path == SimdPath.Vector512)
            Compute<Lanes512, Vector512<float>>(p);
        else
            Compute<Lanes256, Vector256<float>>(p);
    }

    private static Problem Normalise(in GemmArgs g)
    {
        var p = new Problem { K = g.K, Alpha = g.Alpha, Beta = g.Beta, C = g.C };
        if (ThinN(g.N, g.TransA))
        {
            // C (M, N) = op(A) op(B) as it stands.
            p.L = g.M;
            p.T = g.N;
            p.A = g.A;
            p.Lda = g.Lda;
            p.ATransposed = g.TransA == Transpose.Yes;
            p.B = g.B;
            (p.BkStride, p.BcStride) = g.TransB == Transpose.Yes ? (1, g.Ldb) : (g.Ldb, (nint)1);
            (p.RowStride, p.ColStride) = (g.Ldc, 1);
        }
        else
        {
            // C^T (N, M) = op(B)^T op(A)^T: op(B)^T has contiguous rows exactly when B is stored transposed, and
            // element (k, c) of op(A)^T is op(A)(c, k).
            p.L = g.N;
            p.T = g.M;
            p.A = g.B;
            p.Lda = g.Ldb;
            p.ATransposed = g.TransB == Transpose.No;
            p.B = g.A;
            (p.BkStride, p.BcStride) = g.TransA == Transpose.No ? (1, g.Lda) : (g.Lda, (nint)1);
            (p.RowStride, p.ColStride) = (1, g.Ldc);
            p.CTransposed = true;
        }
        return p;
    }

    /// <summary>
    /// The dot kernel wants B's columns contiguous in K; a B stored (K, t) is copied into that layout once, in
    /// the calling thread's packing buffer (allocated at the size the packed path would use anyway), and every
    /// thread of the split reads it there. Too long for the buffer (K beyond about 30,000): B stays strided.
    /// </summary>
    private static void Prepare<TKernel>(ref Problem p)
        where TKernel : struct, IGemmMicroKernel
    {
        if (p.ATransposed || p.BkStride == 1)
            return;
        GemmBuffers buffers = GemmDriver.EnsureBuffers<TKernel>();
        if ((long)p.T * p.K > GemmDriver.PackedBFloats<TKernel>())
            return;
        float* packed = buffers.B;
        for (int c = 0; c < p.T; c++)
        {
            float* src = p.B + c * p.BcStride, dst = packed + (nint)c * p.K;
            for (int k = 0; k < p.K; k++)
                dst[k] = src[k * p.BkStride];
        }
        p.B = packed;
        p.BkStride = 1;
        p.BcStride = p.K;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Compute<TLanes, TVec>(in Problem p)
        where TLanes : struct, IVectorLanes<TVec>
        where TVec : struct
    {
        if (p.ATransposed)
            Axpy<TLanes, TVec>(p);
        else if (p.BkStride != 1)
            DotStrided(p);
        else
            Dot<TLanes, TVec>(p);
    }

    /// <summary>Share p of the long side on thread p.</summary>
    private sealed class SkinnyWork : ParallelWork
    {
        [ThreadStatic]
        private static SkinnyWork? t_current;

        public GemmArgs Args;
        public Problem Problem;
        public SimdPath Path;
        public int Parts;
        public bool Epilogue;

        public static SkinnyWork Current => t_current ??= new SkinnyWork();

        public override void Run(int index)
        {
            (int l0, int l1) = ThreadSplit.Share(index, Parts, Problem.L, ThreadSplit.RowAlignment);
            RunShare(Args, Problem, Path, l0, l1, Epilogue);
        }
    }

    /// <summary>
    /// Rows of A contiguous in K, columns of B contiguous in K: 8 rows x 2 columns of dot products at a time
    /// (8 + 2 loads per 16 FMAs; the 8 rows stay in L1 while the column pairs pass over them), each a vector of
    /// partial sums over K, reduced 16 at a time; the K remainder is added in scalar, in K order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot<TLanes, TVec>(in Problem p)
        where TLanes : struct, IVectorLanes<TVec>
        where TVec : struct
    {
        int width = TLanes.Count, vectorK = p.K - p.K % width;
        nint lda = p.Lda, ldb = p.BcStride;
        float* spill = stackalloc float[16 * 16];
        float* sums = stackalloc float[16];
        for (int i = 0; i < p.L; i += 8)
        {
            int rows = Math.Min(8, p.L - i);
            // Rows past the end repeat the last one, columns past the end the last column; neither is stored.
            float* a0 = p.A + i * lda, a1 = p.A + (i + Math.Min(1, rows - 1)) * lda;
            float* a2 = p.A + (i + Math.Min(2, rows - 1)) * lda, a3 = p.A + (i + Math.Min(3, rows - 1)) * lda;
            float* a4 = p.A + (i + Math.Min(4, rows - 1)) * lda, a5 = p.A + (i + Math.Min(5, rows - 1)) * lda;
            float* a6 = p.A + (i + Math.Min(6, rows - 1)) * lda, a7 = p.A + (i + Math.Min(7, rows - 1)) * lda;
            for (int c0 = 0; c0 < p.T; c0 += 2)
            {
                int cols = Math.Min(2, p.T - c0);
                float* b0 = p.B + c0 * ldb, b1 = p.B + (c0 + cols - 1) * ldb;
                TVec s00 = TLanes.Zero, s01 = TLanes.Zero, s10 = TLanes.Zero, s11 = TLanes.Zero;
                TVec s20 = TLanes.Zero, s21 = TLanes.Zero, s30 = TLanes.Zero, s31 = TLanes.Zero;
                TVec s40 = TLanes.Zero, s41 = TLanes.Zero, s50 = TLanes.Zero, s51 = TLanes.Zero;
                TVec s60 = TLanes.Zero, s61 = TLanes.Zero, s70 = TLanes.Zero, s71 = TLanes.Zero;
                for (int k = 0; k < vectorK; k += width)
                {
                    TVec y0 = TLanes.Load(b0 + k), y1 = TLanes.Load(b1 + k);
                    TVec x = TLanes.Load(a0 + k);
                    s00 = TLanes.MultiplyAdd(x, y0, s00); s01 = TLanes.MultiplyAdd(x, y1, s01);
                    x = TLanes.Load(a1 + k);
                    s10 = TLanes.MultiplyAdd(x, y0, s10); s11 = TLanes.MultiplyAdd(x, y1, s11);
                    x = TLanes.Load(a2 + k);
                    s20 = TLanes.MultiplyAdd(x, y0, s20); s21 = TLanes.MultiplyAdd(x, y1, s21);
                    x = TLanes.Load(a3 + k);
                    s30 = TLanes.MultiplyAdd(x, y0, s30); s31 = TLanes.MultiplyAdd(x, y1, s31);
                    x = TLanes.Load(a4 + k);
                    s40 = TLanes.MultiplyAdd(x, y0, s40); s41 = TLanes.MultiplyAdd(x, y1, s41);
                    x = TLanes.Load(a5 + k);
                    s50 = TLanes.MultiplyAdd(x, y0, s50); s51 = TLanes.MultiplyAdd(x, y1, s51);
                    x = TLanes.Load(a6 + k);
                    s60 = TLanes.MultiplyAdd(x, y0, s60); s61 = TLanes.MultiplyAdd(x, y1, s61);
                    x = TLanes.Load(a7 + k);
                    s70 = TLanes.MultiplyAdd(x, y0, s70); s71 = TLanes.MultiplyAdd(x, y1, s71);
                }
                // Vector r * 2 + c of the spill holds the partial sums of C(i + r, c0 + c).
                Spill16<TLanes, TVec>(spill, s00, s01, s10, s11, s20, s21, s30, s31,
                    s40, s41, s50, s51, s60, s61, s70, s71);
                TLanes.SumEach16(spill, sums);
                for (int r = 0; r < rows; r++)
                {
                    float* a = p.A + (i + r) * lda;
                    for (int c = 0; c < cols; c++)
                    {
                        float* b = p.B + (c0 + c) * ldb;
                        float sum = sums[r * 2 + c];
                        for (int k = vectorK; k < p.K; k++)
                            sum += a[k] * b[k];
                        Write(p, i + r, c0 + c, sum);
                    }
                }
            }
        }
    }

    /// <summary>The dot products in scalar, B read through its strides (only for K too long to pack).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotStrided(in Problem p)
    {
        for (int i = 0; i < p.L; i++)
        {
            float* a = p.A + i * p.Lda;
            for (int c = 0; c < p.T; c++)
            {
                float* b = p.B + c * p.BcStride;
                float sum = 0f;
                for (int k = 0; k < p.K; k++)
                    sum += a[k] * b[k * p.BkStride];
                Write(p, i, c, sum);
            }
        }
    }

    /// <summary>
    /// A stored (K, L): for each k, vectors of A's row k times broadcast B(k, c); blocks of 8 vectors x 2
    /// columns (t &lt;= 2) or 4 vectors x 4 columns, then single vectors, then the last rows in scalar. Each C
    /// element accumulates in K order. The rows 8 steps of k ahead are prefetched: A's rows are a stride apart,
    /// which the hardware prefetcher follows too late.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy<TLanes, TVec>(in Problem p)
        where TLanes : struct, IVectorLanes<TVec>
        where TVec : struct
    {
        int width = TLanes.Count, i = 0;
        nint lda = p.Lda;
        float* spill = stackalloc float[16 * 16];
        if (p.T <= 2)
        {
            for (; i + 8 * width <= p.L; i += 8 * width)
                Axpy8x2<TLanes, TVec>(p, i, spill);
        }
        while (i + width <= p.L)
        {
            int vectors = Math.Min(4, (p.L - i) / width);
            for (int c0 = 0; c0 < p.T; c0 += 4)
                Axpy4x4<TLanes, TVec>(p, i, c0, vectors, spill);
            i += vectors * width;
        }
        for (; i < p.L; i++)
        {
            for (int c = 0; c < p.T; c++)
            {
                float* b = p.B + c * p.BcStride;
                float sum = 0f;
                float* a = p.A + i;
                for (int k = 0; k < p.K; k++, a += lda)
                    sum = MathF.FusedMultiplyAdd(*a, b[k * p.BkStride], sum);
                Write(p, i, c, sum);
            }
        }
    }

    /// <summary>Rows [i, i + 8 width) of columns 0 and 1 (column 1 repeats column 0 when t = 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy8x2<TLanes, TVec>(in Problem p, int i, float* spill)
        where TLanes : struct, IVectorLanes<TVec>
        where TVec : struct
    {
        int width = TLanes.Count;
        nint lda = p.Lda, bk = p.BkStride;
        float* b0 = p.B, b1 = p.B + (p.T - 1) * p.BcStride;
        TVec s00 = TLanes.Zero, s01 = TLanes.Zero, s10 = TLanes.Zero, s11 = TLanes.Zero;
        TVec s20 = TLanes.Zero, s21 = TLanes.Zero, s30 = TLanes.Zero, s31 = TLanes.Zero;
        TVec s40 = TLanes.Zero, s41 = TLanes.Zero, s50 = TLanes.Zero, s51 = TLanes.Zero;
        TVec s60 = TLanes.Zero, s61 = TLanes.Zero, s70 = TLanes.Zero, s71 = TLanes.Zero;
        float* a = p.A + i;
        for (int k = 0; k < p.K; k++, a += lda)
        {
            Prefetch4(a + 8 * lda);
            if (width == 16)
                Prefetch4(a + 8 * lda + 64);
            TVec y0 = TLanes.Broadcast(b0[k * bk]), y1 = TLanes.Broadcast(b1[k * bk]);
            TVec x = TLanes.Load(a);
            s00 = TLanes.MultiplyAdd(x, y0, s00); s01 = TLanes.MultiplyAdd(x, y1, s01);
            x = TLanes.Load(a + width);
            s10 = TLanes.MultiplyAdd(x, y0, s10); s11 = TLanes.MultiplyAdd(x, y1, s11);
            x = TLanes.Load(a + 2 * width);
            s20 = TLanes.MultiplyAdd(x, y0, s20); s21 = TLanes.MultiplyAdd(x, y1, s21);
            x = TLanes.Load(a + 3 * width);
            s30 = TLanes.MultiplyAdd(x, y0, s30); s31 = TLanes.MultiplyAdd(x, y1, s31);
            x = TLanes.Load(a + 4 * width);
            s40 = TLanes.MultiplyAdd(x, y0, s40); s41 = TLanes.MultiplyAdd(x, y1, s41);
            x = TLanes.Load(a + 5 * width);
            s50 = TLanes.MultiplyAdd(x, y0, s50); s51 = TLanes.MultiplyAdd(x, y1, s51);
            x = TLanes.Load(a + 6 * width);
            s60 = TLanes.MultiplyAdd(x, y0, s60); s61 = TLanes.MultiplyAdd(x, y1, s61);
            x = TLanes.Load(a + 7 * width);
            s70 = TLanes.MultiplyAdd(x, y0, s70); s71 = TLanes.MultiplyAdd(x, y1, s71);
        }
        // Accumulators go to the spill before anything is called, so none is live across a call (the JIT would
        // otherwise store every one of them to the stack on each step of the loop).
        Spill16<TLanes, TVec>(spill, s00, s10, s20, s30, s40, s50, s60, s70,
            s01, s11, s21, s31, s41, s51, s61, s71);
        WriteSpill<TLanes, TVec>(p, spill, 8, 8, i, 0, p.T);
    }

    /// <summary>
    /// Rows [i, i + vectors width) of columns [c0, c0 + 4), vectors &lt;= 4 (vectors past the count repeat the
    /// last one and columns past t the last column; neither is stored).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy4x4<TLanes, TVec>(in Problem p, int i, int c0, int vectors, float* spill)
        where TLanes : struct, IVectorLanes<TVec>
        where TVec : struct
    {
        int width = TLanes.Count, cols = Math.Min(4, p.T - c0);
        nint lda = p.Lda, bk = p.BkStride;
        float* b0 = p.B + c0 * p.BcStride, b1 = p.B + (c0 + Math.Min(1, cols - 1)) * p.BcStride;
        float* b2 = p.B + (c0 + Math.Min(2, cols - 1)) * p.BcStride;
        float* b3 = p.B + (c0 + Math.Min(3, cols - 1)) * p.BcStride;
        TVec s00 = TLanes.Zero, s01 = TLanes.Zero, s02 = TLanes.Zero, s03 = TLanes.Zero;
        TVec s10 = TLanes.Zero, s11 = TLanes.Zero, s12 = TLanes.Zero, s13 = TLanes.Zero;
        TVec s20 = TLanes.Zero, s21 = TLanes.Zero, s22 = TLanes.Zero, s23 = TLanes.Zero;
        TVec s30 = TLanes.Zero, s31 = TLanes.Zero, s32 = TLanes.Zero, s33 = TLanes.Zero;
        int o1 = Math.Min(1, vectors - 1) * width, o2 = Math.Min(2, vectors - 1) * width;
        int o3 = Math.Min(3, vectors - 1) * width;
        float* a = p.A + i;
        for (int k = 0; k < p.K; k++, a += lda)
        {
            Prefetch4(a + 8 * lda);
            TVec x0 = TLanes.Load(a), x1 = TLanes.Load(a + o1);
            TVec x2 = TLanes.Load(a + o2), x3 = TLanes.Load(a + o3);
            TVec y = TLanes.Broadcast(b0[k * bk]);
            s00 = TLanes.MultiplyAdd(x0, y, s00); s10 = TLanes.MultiplyAdd(x1, y, s10);
            s20 = TLanes.MultiplyAdd(x2, y, s20); s30 = TLanes.MultiplyAdd(x3, y, s30);
            y = TLanes.Broadcast(b1[k * bk]);
            s01 = TLanes.MultiplyAdd(x0, y, s01); s11 = TLanes.MultiplyAdd(x1, y, s11);
            s21 = TLanes.MultiplyAdd(x2, y, s21); s31 = TLanes.MultiplyAdd(x3, y, s31);
            y = TLanes.Broadcast(b2[k * bk]);
            s02 = TLanes.MultiplyAdd(x0, y, s02); s12 = TLanes.MultiplyAdd(x1, y, s12);
            s22 = TLanes.MultiplyAdd(x2, y, s22); s32 = TLanes.MultiplyAdd(x3, y, s32);
            y = TLanes.Broadcast(b3[k * bk]);
            s03 = TLanes.MultiplyAdd(x0, y, s03); s13 = TLanes.MultiplyAdd(x1, y, s13);
            s23 = TLanes.MultiplyAdd(x2, y, s23); s33 = TLanes.MultiplyAdd(x3, y, s33);
        }
        Spill16<TLanes, TVec>(spill, s00, s10, s20, s30, s01, s11, s21, s31,
            s02, s12, s22, s32, s03, s13, s23, s33);
        WriteSpill<TLanes, TVec>(p, spill, 4, vectors, i, c0, cols);
    }

    /// <summary>Stores 16 accumulators one after the other at <paramref name="spill"/>, v0 first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Spill16<TLanes, TVec>(float* spill, TVec v0, TVec v1, TVec v2, TVec v3, TVec v4, TVec v5,
        TVec v6, TVec v7, TVec v8, TVec v9, TVec v10, TVec v11, TVec v12, TVec v13, TVec v14, TVec v15)
        where TLanes : struct, IVectorLanes<TVec>
        where TVec : struct
    {
        int width = TLanes.Count;
        TLanes.Store(v0, spill); TLanes.Store(v1, spill + width);
        TLanes.Store(v2, spill + 2 * width); TLanes.Store(v3, spill + 3 * width);
        TLanes.Store(v4, spill + 4 * width); TLanes.Store(v5, spill + 5 * width);
        TLanes.Store(v6, spill + 6 * width); TLanes.Store(v7, spill + 7 * width);
        TLanes.Store(v8, spill + 8 * width); TLanes.Store(v9, spill + 9 * width);
        TLanes.Store(v10, spill + 10 * width); TLanes.Store(v11, spill + 11 * width);
        TLanes.Store(v12, spill + 12 * width); TLanes.Store(v13, spill + 13 * width);
        TLanes.Store(v14, spill + 14 * width); TLanes.Store(v15, spill + 15 * width);
    }

    /// <summary>Prefetches the 4 cache lines from <paramref name="p"/> into L1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch4(float* p)
    {
        if (!Sse.IsSupported)
            return;
        Sse.Prefetch0(p);
        Sse.Prefetch0(p + 16);
        Sse.Prefetch0(p + 32);
        Sse.Prefetch0(p + 48);
    }

    /// <summary>
    /// Writes spilled accumulators: vector c * <paramref name="stride"/> + v holds rows [i + v width,
    /// i + (v + 1) width) of column c0 + c, for v &lt; <paramref name="vectors"/> and c &lt;
    /// <paramref name="cols"/>. Where the normalised C's
    /// columns are contiguous (thin M) each is one vector store; otherwise element by element.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteSpill<TLanes, TVec>(
        in Problem p, float* spill, int stride, int vectors, int i, int c0, int cols)
        where TLanes : struct, IVectorLanes<TVec>
        where TVec : struct
    {
        int width = TLanes.Count;
        for (int c = 0; c < cols; c++)
        {
            for (int v = 0; v < vectors; v++)
            {
                float* lanes = spill + (c * stride + v) * width;
                int row = i + v * width;
                if (p.RowStride == 1)
                {
                    float* dst = p.C + row + (c0 + c) * p.ColStride;
                    TVec scaled = TLanes.Multiply(TLanes.Load(lanes), TLanes.Broadcast(p.Alpha));
                    if (p.Beta != 0f)
                        scaled = TLanes.MultiplyAdd(TLanes.Load(dst), TLanes.Broadcast(p.Beta), scaled);
                    TLanes.Store(scaled, dst);
                    continue;
                }
                for (int l = 0; l < width; l++)
                    Write(p, row + l, c0 + c, lanes[l]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Write(in Problem p, int i, int c, float sum)
    {
        float* dst = p.C + i * p.RowStride + c * p.ColStride;
        *dst = p.Beta == 0f ? p.Alpha * sum : p.Alpha * sum + p.Beta * *dst;
    }
}
