namespace Amortized.Kernels.Cpu;

/// <summary>
/// Single-precision general matrix multiply on row-major storage:
/// C = activation(alpha * op(A) * op(B) + beta * C + bias).
/// </summary>
/// <remarks>
/// Shapes: op(A) is (M, K), op(B) is (K, N), C is (M, N), bias is (N) or empty.
/// A stored untransposed is (M, K) with row stride lda &gt;= K; transposed it is stored as (K, M) with lda &gt;= M.
/// Likewise B is (K, N) with ldb &gt;= N, or stored (N, K) with ldb &gt;= K when transposed.
/// Implementation: packed panels and cache blocking around a register-blocked microkernel (Vector512 12x32,
/// Vector256 6x16 or scalar 4x4, the widest the hardware accelerates), split over
/// <see cref="KernelThreading.MaxThreads"/> threads in tile-aligned blocks of C. K is never split, so the result
/// is bitwise identical for any thread count. Steady-state calls allocate nothing.
/// </remarks>
public static class Gemm
{

    /// <summary>
    /// C = activation(alpha * op(A) * op(B) + beta * C + bias). When <paramref name="preActivation"/> is not
    /// empty it receives the value before the activation (same layout as C, row stride ldc).
    /// beta = 0 means C is not read (NaNs in C do not propagate); alpha = 0 or k = 0 means A and B are not read.
    /// </summary>
    /// <param name="transA">Whether A is stored transposed.</param>
    /// <param name="transB">Whether B is stored transposed.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major with row stride <paramref name="lda"/>.</param>
    /// <param name="lda">Row stride of A as stored.</param>
    /// <param name="b">B, row-major with row stride <paramref name="ldb"/>.</param>
    /// <param name="ldb">Row stride of B as stored.</param>
    /// <param name="beta">Scale of the existing C.</param>
    /// <param name="c">C (M, N), row stride <paramref name="ldc"/>; must not overlap the other arguments.</param>
    /// <param name="ldc">Row stride of C and of <paramref name="preActivation"/>.</param>
    /// <param name="bias">(N) added to every row, or empty.</param>
    /// <param name="activation">Applied last, elementwise.</param>
    /// <param name="preActivation">Receives the value before the activation, or empty.</param>
    public static void Multiply(
        Transpose transA, Transpose transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc,
        ReadOnlySpan<float> bias = default, Activation activation = Activation.Identity,
        Span<float> preActivation = default) =>
        Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, activation, preActivation,
            SimdPaths.Best, KernelThreading.MaxThreads);

    /// <summary>
    /// The public Multiply on a forced SIMD path with an explicit thread cap (tests and benchmarks).
    /// </summary>
    internal static unsafe void Multiply(
        Transpose transA, Transpose transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc,
        ReadOnlySpan<float> bias, Activation activation, Span<float> preActivation,
        SimdPath path, int maxThreads)
    {
        Validate(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, bias, preActivation);
        if (m == 0 || n == 0)
            return;

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        fixed (float* pbias = bias)
        fixed (float* ppre = preActivation)
        {
            var args = new GemmArgs
            {
                TransA = transA, TransB = transB, M = m, N = n, K = k, Alpha = alpha, Beta = beta,
                A = pa, Lda = lda, B = pb, Ldb = ldb, C = pc, Ldc = ldc,
                Bias = pbias, Pre = ppre, Activation = activation,
            };
            if (k == 0 || alpha == 0f)
            {
                GemmDriver.ScaleOnly(args, path);
                return;
            }

            if (GemmSkinny.Applies(m, n, transA, transB, path))
            {
                GemmSkinny.Run(args, path, maxThreads);
                return;
            }
            if (GemmThinK.Applies(k, path))
            {
                GemmThinK.Run(args, path, maxThreads);
                return;
            }
            var plan = GemmPlan.Create(path, m, n, k, maxThreads, activation);
            if (plan.TaskCount == 1)
            {
                GemmDriver.RunTask(args, path, 0, m, 0, n);
                return;
            }
            // Each task packs the B blocks it needs into its own thread's buffers, even when the tasks split only
            // rows and so pack the same B. Packing B once into a buffer shared by all tasks (a second dispatch)
            // was measured no faster on 2 cores, and slower for 512^3: the shared copy sits in the other core's L2.
            GemmWork work = GemmWork.Current;
            work.Args = args;
            work.Plan = plan;
            work.Path = path;
            if (plan.KTasks > 1)
                work.EnsureScratch((long)m * n * plan.SplitSlots(k));
            try
            {
                KernelThreading.For(plan.TaskCount, work);
                if (plan.KTasks > 1)
                    work.MergeKSplit();
            }
            finally
            {
                work.Args = default; // drop the pointers into the caller's (soon unpinned) spans
            }
        }
    }

    private static void Validate(
        Transpose transA, Transpose transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        ReadOnlySpan<float> bias, Span<float> preActivation)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"Gemm: dimensions must be non-negative, got m={m}, n={n}, k={k}.");
        CheckOperand("a", a.Length, transA == Transpose.No ? m : k, transA == Transpose.No ? k : m, lda, "lda");
        CheckOperand("b", b.Length, transB == Transpose.No ? k : n, transB == Transpose.No ? n : k, ldb, "ldb");
        CheckOperand("c", c.Length, m, n, ldc, "ldc");
        if (!bias.IsEmpty && bias.Length < n)
        {
            throw new ArgumentException(
                $"Gemm: bias has {bias.Length} elements but C has n={n} columns.", nameof(bias));
        }
        if (!preActivation.IsEmpty)
            CheckOperand("preActivation", preActivation.Length, m, n, ldc, "ldc");
        if (!preActivation.IsEmpty && preActivation.Overlaps(c))
            throw new ArgumentException("Gemm: preActivation must not overlap c.", nameof(preActivation));
    }

    private static void CheckOperand(string name, int length, int rows, int cols, int ld, string ldName)
    {
        if (ld < cols)
        {
            throw new ArgumentException(
                $"Gemm: {name} is stored ({rows}, {cols}) but {ldName}={ld} is less than its {cols} columns.", ldName);
        }
        long required = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < required)
        {
            throw new ArgumentException(
                $"Gemm: {name} is stored ({rows}, {cols}) with {ldName}={ld}, which needs {required} elements, " +
                $"but it has {length}.", name);
        }
    }
}
