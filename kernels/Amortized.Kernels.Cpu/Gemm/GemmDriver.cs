using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// The blocked GEMM loop nest (BLIS order) over one task: a rectangle of C. For each NC block of columns and
/// each KC block of depth, B is packed once; for each MC block of rows, A is packed; then every (MR, NR) tile is
/// one microkernel call. Tiles sweep rows innermost so the B micro-panel stays in L1 while A micro-panels
/// stream from L2. Kernels with <see cref="IGemmMicroKernel.DirectA"/> skip the copies where they cost more
/// than they save: A (alpha 1) always, B when few row tiles would reuse its packed panel.
/// </summary>
/// <remarks>
/// K is never split across tasks, and KC is fixed per path, so every C element accumulates the same products in
/// the same order whatever the task partition: results are bitwise identical for any thread count.
/// beta is applied up front (beta = 0: the first K block stores and never reads C; beta = 1: accumulate;
/// otherwise C is scaled once); alpha is folded into packed A.
/// </remarks>
internal static unsafe class GemmDriver
{
    /// <summary>Computes rows [i0, i1) and columns [j0, j1) of C with the kernel of <paramref name="path"/>.</summary>
    public static void RunTask(in GemmArgs g, SimdPath path, int i0, int i1, int j0, int j1)
    {
        switch (path)
        {
            case SimdPath.Vector512: RunTask<Vector512MicroKernel>(g, i0, i1, j0, j1); break;
            case SimdPath.Vector256: RunTask<Vector256MicroKernel>(g, i0, i1, j0, j1); break;
            default: RunTask<ScalarMicroKernel>(g, i0, i1, j0, j1); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunTask<TKernel>(in GemmArgs g, int i0, int i1, int j0, int j1)
        where TKernel : struct, IGemmMicroKernel
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        GemmBuffers buffers = EnsureBuffers<TKernel>();

        if (g.Beta != 0f && g.Beta != 1f)
            ScaleC(g, i0, i1, j0, j1);
        // With alpha 1 (no alpha to fold into a copy) kernels that can read A in place, stored either way. An
        // untransposed B is read in place too when the task has at most one block of rows, so a packed B panel
        // would serve few tiles (a weight gradient X^T dZ: 64 x 12,800 x 64 went 167 -> 217 GFLOP/s), and every
        // tile is whole in columns (an edge tile would read past them). With more rows the packed panel's reuse
        // from L1 wins: 2048 x 128 x 128 read B in place at 245 against 259 GFLOP/s packed.
        bool direct = TKernel.DirectA && g.Alpha == 1f;
        bool directB = direct && g.TransB == Transpose.No && i1 - i0 <= TKernel.MC && (j1 - j0) % nr == 0;

        for (int jc = j0; jc < j1; jc += TKernel.NC)
        {
            int nc = Math.Min(TKernel.NC, j1 - jc);
            for (int pc = 0; pc < g.K; pc += TKernel.KC)
            {
                int kc = Math.Min(TKernel.KC, g.K - pc);
                bool accumulate = pc > 0 || g.Beta != 0f;
                bool last = pc + kc == g.K;
                if (!directB)
                {
                    long packStart = KernelProfile.Start();
                    GemmPacking.PackB(g, pc, kc, jc, nc, nr, buffers.B);
                    KernelProfile.Stop(KernelFamily.GemmPacking, packStart);
                }
                for (int ic = i0; ic < i1; ic += TKernel.MC)
                {
                    int mc = Math.Min(TKernel.MC, i1 - ic);
                    if (!direct)
                    {
                        long packStart = KernelProfile.Start();
                        GemmPacking.PackA(g, ic, mc, pc, kc, mr, buffers.A);
                        KernelProfile.Stop(KernelFamily.GemmPacking, packStart);
                    }
                    MacroKernel<TKernel>(g, buffers.A, buffers.B, buffers.Tile, ic, mc, jc, nc, pc, kc, accumulate,
                        last, direct, directB);
                }
            }
        }
    }

    /// <summary>
    /// The calling thread's buffers at full size for <typeparamref name="TKernel"/> whatever the shape, so they
    /// reach their final size on the thread's first call and never grow later (dynamic task assignment must not
    /// cause late allocations).
    /// </summary>
    internal static GemmBuffers EnsureBuffers<TKernel>()
        where TKernel : struct, IGemmMicroKernel
    {
        GemmBuffers buffers = GemmBuffers.Current;
        buffers.Ensure(TKernel.MC / TKernel.MR * GemmPacking.PanelStride(TKernel.MR, TKernel.KC),
            PackedBFloats<TKernel>(), TKernel.MR * TKernel.NR);
        return buffers;
    }

    /// <summary>Floats of the packed B buffer <see cref="EnsureBuffers{TKernel}"/> provides.</summary>
    internal static int PackedBFloats<TKernel>()
        where TKernel : struct, IGemmMicroKernel =>
        TKernel.NC / TKernel.NR * GemmPacking.PanelStride(TKernel.NR, TKernel.KC);

    /// <summary>All tiles of one packed (mc, kc) A block times one packed (kc, nc) B block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MacroKernel<TKernel>(in GemmArgs g, float* packedA, float* packedB, float* tile,
        int ic, int mc, int jc, int nc, int pc, int kc, bool accumulate, bool last, bool direct, bool directB)
        where TKernel : struct, IGemmMicroKernel
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        int aStride = GemmPacking.PanelStride(mr, kc), bStride = GemmPacking.PanelStride(nr, kc);
        // Where A's and B's elements lie when read in place: (row i, step p) of op(A) at i rowStep + p kStep.
        bool transA = g.TransA == Transpose.Yes;
        nint rowStep = transA ? 1 : g.Lda, kStep = transA ? g.Lda : 1, bStep = directB ? g.Ldb : nr;
        bool epilogue = last && g.HasEpilogue;
        // Profiling splits the block's time into microkernels and epilogue: the epilogue is timed per tile and
        // the microkernels get the rest.
        long blockStart = KernelProfile.Start(), epilogueTicks = 0;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* b = directB ? g.B + pc * g.Ldb + jc + jr : packedB + jr / nr * bStride;
            for (int ir = 0; ir < mc; ir += mr)
            {
                int rows = Math.Min(mr, mc - ir);
                float* a = packedA + ir / mr * aStride;
                float* c = g.C + (ic + ir) * g.Ldc + jc + jr;
                float* aRows = g.A + (ic + ir) * rowStep + pc * kStep;
                if (rows == mr && cols == nr)
                {
                    if (direct) TKernel.RunDirectA(kc, aRows, rowStep, kStep, rows, b, bStep, c, g.Ldc, accumulate);
                    else TKernel.Run(kc, a, b, c, g.Ldc, accumulate);
                }
                else
                {
                    // Edge tile: compute the full tile into scratch, then merge only the valid part into C.
                    if (direct)
                        TKernel.RunDirectA(kc, aRows, rowStep, kStep, rows, b, bStep, tile, nr, accumulate: false);
                    else TKernel.Run(kc, a, b, tile, nr, accumulate: false);
                    MergeTile(tile, nr, c, g.Ldc, rows, cols, accumulate);
                }
                if (epilogue)
                {
                    long epilogueStart = blockStart == 0 ? 0 : Stopwatch.GetTimestamp();
                    GemmEpilogue.Apply<TKernel>(g, ic + ir, jc + jr, rows, cols);
                    if (blockStart != 0) epilogueTicks += Stopwatch.GetTimestamp() - epilogueStart;
                }
            }
        }
        if (blockStart != 0)
        {
            KernelProfile.Add(KernelFamily.GemmMicroKernel, Stopwatch.GetTimestamp() - blockStart - epilogueTicks);
            if (epilogue) KernelProfile.Add(KernelFamily.GemmEpilogue, epilogueTicks);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MergeTile(float* tile, int ldt, float* c, nint ldc, int rows, int cols, bool accumulate)
    {
        for (int i = 0; i < rows; i++, tile += ldt, c += ldc)
        {
            if (accumulate)
            {
                for (int j = 0; j < cols; j++)
                    c[j] += tile[j];
            }
            else
            {
                for (int j = 0; j < cols; j++)
                    c[j] = tile[j];
            }
        }
    }

    private static void ScaleC(in GemmArgs g, int i0, int i1, int j0, int j1)
    {
        for (int i = i0; i < i1; i++)
        {
            var row = new Span<float>(g.C + i * g.Ldc + j0, j1 - j0);
            TensorPrimitives.Multiply(row, g.Beta, row);
        }
    }

    /// <summary>
    /// The degenerate case k = 0 or alpha = 0, where op(A) op(B) contributes nothing (and A, B are not read):
    /// C = beta C (beta = 0 writes zeros without reading C), then the epilogue.
    /// </summary>
    public static void ScaleOnly(in GemmArgs g, SimdPath path)
    {
        switch (path)
        {
            case SimdPath.Vector512: ScaleOnly<Vector512MicroKernel>(g); break;
            case SimdPath.Vector256: ScaleOnly<Vector256MicroKernel>(g); break;
            default: ScaleOnly<ScalarMicroKernel>(g); break;
        }
    }

    private static void ScaleOnly<TKernel>(in GemmArgs g)
        where TKernel : struct, IGemmMicroKernel
    {
        for (int i = 0; i < g.M; i++)
        {
            var row = new Span<float>(g.C + i * g.Ldc, g.N);
            if (g.Beta == 0f)
                row.Clear();
            else if (g.Beta != 1f)
                TensorPrimitives.Multiply(row, g.Beta, row);
        }
        if (g.HasEpilogue)
            GemmEpilogue.Apply<TKernel>(g, 0, 0, g.M, g.N);
    }
}
