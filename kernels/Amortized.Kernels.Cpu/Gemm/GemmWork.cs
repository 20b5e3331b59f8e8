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

    public override void Run(int index)
    {
        (int i0, int i1) = Plan.Rows(index / Plan.TasksN, Args.M);
        (int j0, int j1) = Plan.Cols(index % Plan.TasksN, Args.N);
        if (i0 < i1 && j0 < j1)
            GemmDriver.RunTask(Args, Path, i0, i1, j0, j1);
    }
}
