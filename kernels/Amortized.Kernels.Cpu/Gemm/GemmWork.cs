namespace Amortized.Kernels.Cpu;

/// <summary>
/// The <see cref="ParallelWork"/> of one GEMM call: task i is cell (i / TasksN, i % TasksN) of the plan's grid.
/// One instance per calling thread is reused, so a parallel GEMM allocates nothing.
/// </summary>
internal sealed class GemmWork : ParallelWork
{
    [ThreadStatic]
    private static GemmWork? t_current;

    public GemmArgs Args;
    public GemmPlan Plan;
    public SimdPath Path;

    /// <summary>The calling thread's instance (never shared between callers).</summary>
    public static GemmWork Current => t_current ??= new GemmWork();

    /// <summary>Scratch for the K split: one (M, N) slot per K block after task 0's, pinned, only grows.</summary>
    private float[]? _scratch;

    /// <summary>Start of the 64-byte aligned scratch.</summary>
    public unsafe float* Scratch { get; private set; }

    /// <summary>Makes the scratch hold at least <paramref name="floats"/> floats.</summary>
    public unsafe void EnsureScratch(long floats)
    {
        if (_scratch != null && _scratch.Length >= floats + 16)
            return;
        _scratch = GC.AllocateUninitializedArray<float>(checked((int)floats + 16), pinned: true);
        nint address = (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(
            ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_scratch));
        Scratch = (float*)((address + 63) & ~(nint)63);
    }

    public override void Run(int index)
    {
        if (Plan.KTasks > 1)
        {
            RunKTask(index);
            return;
        }
        (int i0, int i1) = Plan.Rows(index / Plan.TasksN, Args.M);
        (int j0, int j1) = Plan.Cols(index % Plan.TasksN, Args.N);
        if (i0 < i1 && j0 < j1)
            GemmDriver.RunTask(Args, Path, i0, i1, j0, j1);
    }

    /// <summary>
    /// K task <paramref name="index"/>: task 0 runs its blocks into C with the call's beta (no epilogue, which
    /// waits for the merge); later tasks run each block alone into its scratch slot (beta 0).
    /// </summary>
    private unsafe void RunKTask(int index)
    {
        (int first, int end) = Plan.KBlockRange(index, Args.K);
        int firstOfTask1 = Plan.KBlockRange(1, Args.K).Start;
        GemmArgs g = Args;
        g.Bias = null;
        g.Pre = null;
        g.Activation = Activation.Identity;
        if (index == 0)
        {
            g.K = Math.Min(end * GemmPlan.SplitKc, Args.K);
            GemmDriver.RunTask(g, Path, 0, g.M, 0, g.N);
            return;
        }
        g.Beta = 0f;
        g.Ldc = g.N;
        for (int block = first; block < end; block++)
        {
            int p0 = block * GemmPlan.SplitKc;
            g.K = Math.Min(GemmPlan.SplitKc, Args.K - p0);
            g.A = Args.TransA == Transpose.No ? Args.A + p0 : Args.A + p0 * Args.Lda;
            g.B = Args.TransB == Transpose.No ? Args.B + p0 * Args.Ldb : Args.B + p0;
            g.C = Scratch + (long)(block - firstOfTask1) * Args.M * Args.N;
            GemmDriver.RunTask(g, Path, 0, g.M, 0, g.N);
        }
    }

    /// <summary>
    /// After a K split: adds the scratch slots into C in block order (the single task's order), then runs the
    /// epilogue over all of C.
    /// </summary>
    public unsafe void MergeKSplit()
    {
        for (int s = 0; s < Plan.SplitSlots(Args.K); s++)
        {
            float* slot = Scratch + (long)s * Args.M * Args.N;
            for (int i = 0; i < Args.M; i++)
            {
                var row = new Span<float>(Args.C + i * Args.Ldc, Args.N);
                var partial = new ReadOnlySpan<float>(slot + (long)i * Args.N, Args.N);
                System.Numerics.Tensors.TensorPrimitives.Add(row, partial, row);
            }
        }
        if (!Args.HasEpilogue)
            return;
        // Column by column of tiles, as the single task applies it: a narrow last tile column takes the
        // epilogue's scalar path there, and scalar and vector activations may differ in the last bit.
        for (int j0 = 0; j0 < Args.N; j0 += Plan.Nr)
            GemmEpilogue.Apply(Args, Path, 0, j0, Args.M, Math.Min(Plan.Nr, Args.N - j0));
    }
}
