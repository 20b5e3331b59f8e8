using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// Products of depth K at most <see cref="MaxK"/>, such as the first layer of a network on a few inputs
/// (12,800 set elements x 2 features times 2 x 64 in a DeepSet, 512 x 3 times 3 x 128 in a coupling subnet):
/// one pass over the rows, each C row computed from K broadcasts of A against B rows held in registers, with
/// the bias, the pre-activation and the activation applied before the row is stored. The packed path would pack
/// A (a transposing copy for a K of 2), write C, and read it back for the epilogue: for these shapes that is
/// more than the multiply-adds.
/// </summary>
/// <remarks>
/// Each C element is 0 + a0 b0 + a1 b1 + ... (fused, in K order), then alpha, beta C and the bias as in the
/// packed path; columns past the last whole vector use the scalar activation. Rows are independent, so
/// splitting them between threads (<see cref="ThreadSplit"/> rows, share p on thread p) changes no bit.
/// </remarks>
internal static unsafe class GemmThinK
{
    /// <summary>The deepest product handled here.</summary>
    public const int MaxK = 4;

    /// <summary>Whether a product goes here: depth at most MaxK (K = 0 and alpha = 0 are handled before).</summary>
    public static bool Applies(int k, SimdPath path) => path != SimdPath.Scalar && k <= MaxK;

    /// <summary>C = act(alpha op(A) op(B) + beta C + bias) with the pre-activation saved; requires Applies.</summary>
    public static void Run(in GemmArgs g, SimdPath path, int maxThreads)
    {
        int parts = Math.Min(maxThreads,
            (int)Math.Min((long)g.M * g.N / ThreadSplit.MinElementsPerThread, g.M / ThreadSplit.RowAlignment));
        if (parts >= 2)
        {
            ThinKWork work = ThinKWork.Current;
            work.Args = g;
            work.Path = path;
            work.Parts = parts;
            try
            {
                KernelThreading.For(parts, work);
            }
            finally
            {
                work.Args = default;
            }
            return;
        }
        Rows(g, path, 0, g.M);
    }

    private static void Rows(in GemmArgs g, SimdPath path, int i0, int i1)
    {
        switch (g.Activation)
        {
            case Activation.Identity: Rows<IdentityActivation>(g, path, i0, i1); break;
            case Activation.Relu: Rows<ReluActivation>(g, path, i0, i1); break;
            case Activation.Silu: Rows<SiluActivation>(g, path, i0, i1); break;
            case Activation.HardSilu: Rows<HardSiluActivation>(g, path, i0, i1); break;
            case Activation.Softplus: Rows<SoftplusActivation>(g, path, i0, i1); break;
            case Activation.Tanh: Rows<TanhActivation>(g, path, i0, i1); break;
            case Activation.Sigmoid: Rows<SigmoidActivation>(g, path, i0, i1); break;
            case Activation.Gelu: Rows<GeluActivation>(g, path, i0, i1); break;
            case Activation.Mish: Rows<MishActivation>(g, path, i0, i1); break;
            default: throw new ArgumentOutOfRangeException(nameof(g), g.Activation, "Unknown activation.");
        }
    }

    private static void Rows<TAct>(in GemmArgs g, SimdPath path, int i0, int i1)
        where TAct : struct, IActivationOperator
    {
        if (path == SimdPath.Vector512)
            Rows<TAct, Lanes512, Vector512<float>>(g, i0, i1);
        else
            Rows<TAct, Lanes256, Vector256<float>>(g, i0, i1);
    }

    /// <summary>Rows [i0, i1): strips of 4 vectors of columns, then single vectors, then scalar columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<TAct, TLanes, TVec>(in GemmArgs g, int i0, int i1)
        where TAct : struct, IActivationOperator
        where TLanes : struct, IVectorLanes<TVec>
        where TVec : struct
    {
        int width = TLanes.Count, j = 0;
        // One strip of B: K rows of 4 vectors, gathered (B may be stored transposed), zero for k >= K.
        float* strip = stackalloc float[MaxK * 4 * 64];
        for (; j + 4 * width <= g.N; j += 4 * width)
            Strip<TAct, TLanes, TVec>(g, i0, i1, j, 4, strip);
        for (; j + width <= g.N; j += width)
            Strip<TAct, TLanes, TVec>(g, i0, i1, j, 1, strip);
        for (; j < g.N; j++)
        {
            for (int i = i0; i < i1; i++)
            {
                float acc = 0f;
                for (int k = 0; k < g.K; k++)
                    acc = MathF.FusedMultiplyAdd(A(g, i, k), B(g, k, j), acc);
                float* c = g.C + i * g.Ldc + j;
                float v = g.Beta == 0f ? g.Alpha * acc : g.Alpha * acc + g.Beta * *c;
                if (g.Bias != null)
                    v += g.Bias[j];
                if (g.Pre != null)
                    g.Pre[i * g.Ldc + j] = v;
                *c = TAct.Invoke(v);
            }
        }
    }

    /// <summary>Columns [j, j + vectors width) of rows [i0, i1), vectors 1 or 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Strip<TAct, TLanes, TVec>(in GemmArgs g, int i0, int i1, int j, int vectors, float* strip)
        where TAct : struct, IActivationOperator
        where TLanes : struct, IVectorLanes<TVec>
        where TVec : struct
    {
        int width = TLanes.Count, cols = vectors * width;
        for (int k = 0; k < MaxK; k++)
        {
            for (int c = 0; c < cols; c++)
                strip[k * cols + c] = k < g.K ? B(g, k, j + c) : 0f;
        }
        // B in registers: b{k}{v}; the unused k rows are zero and their FMAs are skipped by K checks.
        TVec b00 = TLanes.Load(strip), b01 = Vec<TLanes, TVec>(strip, 1, vectors);
        TVec b02 = Vec<TLanes, TVec>(strip, 2, vectors), b03 = Vec<TLanes, TVec>(strip, 3, vectors);
        float* s1 = strip + cols, s2 = strip + 2 * cols, s3 = strip + 3 * cols;
        TVec b10 = TLanes.Load(s1), b11 = Vec<TLanes, TVec>(s1, 1, vectors);
        TVec b12 = Vec<TLanes, TVec>(s1, 2, vectors), b13 = Vec<TLanes, TVec>(s1, 3, vectors);
        TVec b20 = TLanes.Load(s2), b21 = Vec<TLanes, TVec>(s2, 1, vectors);
        TVec b22 = Vec<TLanes, TVec>(s2, 2, vectors), b23 = Vec<TLanes, TVec>(s2, 3, vectors);
        TVec b30 = TLanes.Load(s3), b31 = Vec<TLanes, TVec>(s3, 1, vectors);
        TVec b32 = Vec<TLanes, TVec>(s3, 2, vectors), b33 = Vec<TLanes, TVec>(s3, 3, vectors);
        TVec alpha = TLanes.Broadcast(g.Alpha), beta = TLanes.Broadcast(g.Beta);
        int k1 = g.K;
        for (int i = i0; i < i1; i++)
        {
            TVec a = TLanes.Broadcast(A(g, i, 0));
            TVec c0 = TLanes.MultiplyAdd(a, b00, TLanes.Zero), c1 = TLanes.MultiplyAdd(a, b01, TLanes.Zero);
            TVec c2 = TLanes.MultiplyAdd(a, b02, TLanes.Zero), c3 = TLanes.MultiplyAdd(a, b03, TLanes.Zero);
            if (k1 > 1)
            {
                a = TLanes.Broadcast(A(g, i, 1));
                c0 = TLanes.MultiplyAdd(a, b10, c0); c1 = TLanes.MultiplyAdd(a, b11, c1);
                c2 = TLanes.MultiplyAdd(a, b12, c2); c3 = TLanes.MultiplyAdd(a, b13, c3);
            }
            if (k1 > 2)
            {
                a = TLanes.Broadcast(A(g, i, 2));
                c0 = TLanes.MultiplyAdd(a, b20, c0); c1 = TLanes.MultiplyAdd(a, b21, c1);
                c2 = TLanes.MultiplyAdd(a, b22, c2); c3 = TLanes.MultiplyAdd(a, b23, c3);
            }
            if (k1 > 3)
            {
                a = TLanes.Broadcast(A(g, i, 3));
                c0 = TLanes.MultiplyAdd(a, b30, c0); c1 = TLanes.MultiplyAdd(a, b31, c1);
                c2 = TLanes.MultiplyAdd(a, b32, c2); c3 = TLanes.MultiplyAdd(a, b33, c3);
            }
            nint row = i * g.Ldc + j;
            Finish<TAct, TLanes, TVec>(g, c0, row, j, alpha, beta);
            if (vectors == 1)
                continue;
            Finish<TAct, TLanes, TVec>(g, c1, row + width, j + width, alpha, beta);
            Finish<TAct, TLanes, TVec>(g, c2, row + 2 * width, j + 2 * width, alpha, beta);
            Finish<TAct, TLanes, TVec>(g, c3, row + 3 * width, j + 3 * width, alpha, beta);
        }
    }

    /// <summary>Vector v of a strip row, or the first when the strip has one vector (its result is unused).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Vec<TLanes, TVec>(float* stripRow, int v, int vectors)
        where TLanes : struct, IVectorLanes<TVec>
        where TVec : struct =>
        TLanes.Load(stripRow + (v < vectors ? v : 0) * TLanes.Count);

    /// <summary>alpha acc (+ beta C) + bias, saved as the pre-activation, activated into C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish<TAct, TLanes, TVec>(in GemmArgs g, TVec acc, nint offset, int j, TVec alpha, TVec beta)
        where TAct : struct, IActivationOperator
        where TLanes : struct, IVectorLanes<TVec>
        where TVec : struct
    {
        TVec v = TLanes.Multiply(alpha, acc);
        if (g.Beta != 0f)
            v = TLanes.MultiplyAdd(beta, TLanes.Load(g.C + offset), v);
        if (g.Bias != null)
            v = TLanes.Add(v, TLanes.Load(g.Bias + j));
        if (g.Pre != null)
            TLanes.Store(v, g.Pre + offset);
        TLanes.Store(TLanes.Activate<TAct>(v), g.C + offset);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float A(in GemmArgs g, int i, int k) =>
        g.TransA == Transpose.No ? g.A[i * g.Lda + k] : g.A[k * g.Lda + i];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float B(in GemmArgs g, int k, int j) =>
        g.TransB == Transpose.No ? g.B[k * g.Ldb + j] : g.B[j * g.Ldb + k];

    /// <summary>Share p of the rows on thread p.</summary>
    private sealed class ThinKWork : ParallelWork
    {
        [ThreadStatic]
        private static ThinKWork? t_current;

        public GemmArgs Args;
        public SimdPath Path;
        public int Parts;

        public static ThinKWork Current => t_current ??= new ThinKWork();

        public override void Run(int index)
        {
            (int i0, int i1) = ThreadSplit.Share(index, Parts, Args.M, ThreadSplit.RowAlignment);
            GemmThinK.Rows(Args, Path, i0, i1);
        }
    }
}
