namespace Amortized.Kernels.Cpu;

/// <summary>
/// How one GEMM call is split into tasks: a fixed (TasksM, TasksN) grid of C rectangles, or K split into runs
/// of whole K blocks (<see cref="KTasks"/>). Every plan gives bitwise-identical results (see
/// <see cref="GemmDriver"/>), so the plan is chosen purely for speed.
/// </summary>
internal readonly struct GemmPlan
{
    /// <summary>
    /// Below this many flops per extra thread one thread is kept: dispatch, the other core's cache misses on rows
    /// this core wrote, and duplicated packing cost more than the thread saves. Measured in W1 (benchmarks/
    /// scaling.sh, AVX-512): with 2e6, 2 threads were slower than 1 at batch 128 and 256 (940 against 1,463 and
    /// 675 against 779 steps/s: products of 4.2 and 8.4 MFLOP split) and faster from 512 (16.8 MFLOP) on.
    /// </summary>
    internal const double MinFlopsPerThread = 6e6;

    /// <summary>Packing cost in microkernel-FMA units per packed element (a load, a shuffle, a store).</summary>
    private const double PackCostPerElement = 4;

    /// <summary>
    /// Depth of the K blocks a K split deals out: every microkernel path's KC, so a split falls where the
    /// single-task loop starts a new block anyway.
    /// </summary>
    internal const int SplitKc = 256;

    /// <summary>Largest scratch a K split may use for the partial products of its later blocks (16 MB).</summary>
    private const long MaxSplitScratchFloats = 4 << 20;

    public GemmPlan(int tasksM, int tasksN, int rowPanels, int colPanels, int mr, int nr, int kTasks = 1)
    {
        TasksM = tasksM;
        TasksN = tasksN;
        KTasks = kTasks;
        RowPanels = rowPanels;
        ColPanels = colPanels;
        Mr = mr;
        Nr = nr;
    }

    public int TasksM { get; }
    public int TasksN { get; }
    public int RowPanels { get; }
    public int ColPanels { get; }
    public int Mr { get; }
    public int Nr { get; }
    /// <summary>
    /// Tasks that split K instead of C (1: no K split). Task 0 runs the first blocks of K straight into C,
    /// exactly as a single task would; task t &gt; 0 writes each of its blocks' products to its own scratch
    /// slot; the caller then adds the slots into C in block order. That is the single task's order of
    /// additions (C + block 0 + block 1 + ...), so the result is bitwise the same for any thread count.
    /// </summary>
    public int KTasks { get; }
    public int TaskCount => KTasks > 1 ? KTasks : TasksM * TasksN;

    /// <summary>K blocks of <see cref="SplitKc"/> in a product of depth k.</summary>
    public static int KBlocks(int k) => (k + SplitKc - 1) / SplitKc;

    /// <summary>Blocks [start, end) of K task <paramref name="t"/>: even shares, the earlier ones to task 0.</summary>
    public (int Start, int End) KBlockRange(int t, int k) => ThreadSplit.Share(t, KTasks, KBlocks(k), 1);

    /// <summary>(M, N) scratch slots a K split needs: one per block after task 0's; 0 without a K split.</summary>
    public int SplitSlots(int k) => KTasks > 1 ? KBlocks(k) - KBlockRange(1, k).Start : 0;

    /// <summary>
    /// Cost of the epilogue per C element in flops of the microkernel: a smooth activation (an exp, a
    /// reciprocal) takes about 0.26 ns an element on AVX-512 where the microkernel does 209 GFLOP/s (55 flops),
    /// plus reading C and writing C and the pre-activation, so 60; a bias or a ReLU about 2.
    /// </summary>
    private static double EpilogueFlops(Activation activation) =>
        activation is Activation.Identity or Activation.Relu or Activation.HardSilu ? 2 : 60;

    /// <summary>
    /// The grid for an (m, n, k) product on <paramref name="path"/> with at most maxThreads tasks; the epilogue's
    /// activation counts towards the work (a K = 3 layer with SiLU is mostly its epilogue).
    /// </summary>
    public static GemmPlan Create(SimdPath path, int m, int n, int k, int maxThreads,
        Activation activation = Activation.Identity)
    {
        (int mr, int nr) = path switch
        {
            SimdPath.Vector512 => (Vector512MicroKernel.MR, Vector512MicroKernel.NR),
            SimdPath.Vector256 => (Vector256MicroKernel.MR, Vector256MicroKernel.NR),
            _ => (ScalarMicroKernel.MR, ScalarMicroKernel.NR),
        };
        int rowPanels = (m + mr - 1) / mr, colPanels = (n + nr - 1) / nr;
        double flops = 2.0 * m * n * k + EpilogueFlops(activation) * m * n;
        int threads = (int)Math.Min(Math.Min(maxThreads, flops / MinFlopsPerThread), (double)rowPanels * colPanels);
        if (threads <= 1)
            return new GemmPlan(1, 1, rowPanels, colPanels, mr, nr);

        // A product whose output is small next to its depth (the weight gradient X^T dY of a dense layer:
        // 128 x 128 over 512 rows) splits K: each thread reads only its own rows of X and dY (the rows it wrote
        // in the forward pass) instead of both threads packing all of one operand. Measured on 128 x 128 x 512
        // with 2 threads (AVX-512): the column split ran 88 us, the row split 65 us against 90 us on one thread.
        var kSplit = new GemmPlan(1, 1, rowPanels, colPanels, mr, nr, Math.Min(threads, KBlocks(k)));
        if (kSplit.KTasks >= 2 && 2L * m * n <= (long)k * Math.Max(m, n)
            && (long)m * n * kSplit.SplitSlots(k) <= MaxSplitScratchFloats)
            return kSplit;

        // Try every grid tm x tn = threads; cost = the largest task's tile work (panel rounding included) plus
        // its packing (each task packs its own A rows and B columns).
        int bestM = 1, bestN = 1;
        double bestCost = double.MaxValue;
        for (int tm = 1; tm <= threads; tm++)
        {
            if (threads % tm != 0)
                continue;
            int tn = threads / tm;
            if (tm > rowPanels || tn > colPanels)
                continue;
            double rows = (double)((rowPanels + tm - 1) / tm) * mr;
            double cols = (double)((colPanels + tn - 1) / tn) * nr;
            double cost = rows * cols * k + PackCostPerElement * (rows + cols) * k;
            // Near-ties (within 3 %) go to more row tasks: rows are what flows from op to op, so a row split
            // keeps each thread on rows its own core wrote.
            if (cost <= bestCost * 1.03)
            {
                bestCost = cost;
                (bestM, bestN) = (tm, tn);
            }
        }
        return new GemmPlan(bestM, bestN, rowPanels, colPanels, mr, nr);
    }

    /// <summary>
    /// Row range [start, end) of task row <paramref name="t"/> out of TasksM. Boundaries fall on multiples of
    /// <see cref="ThreadSplit.RowAlignment"/> rows at even shares, the rows the elementwise kernels give each
    /// thread too, so a thread reads back rows its own core wrote (tiles may straddle a boundary; where a tile
    /// sits never changes its values). Products with few rows split on tile boundaries instead.
    /// </summary>
    public (int Start, int End) Rows(int t, int m) =>
        m >= 2 * ThreadSplit.RowAlignment * TasksM
            ? (ThreadSplit.Boundary(t, TasksM, m, ThreadSplit.RowAlignment),
                ThreadSplit.Boundary(t + 1, TasksM, m, ThreadSplit.RowAlignment))
            : Range(t, TasksM, RowPanels, Mr, m);

    /// <summary>Column range [start, end) of task column <paramref name="t"/> out of TasksN, clipped to n.</summary>
    public (int Start, int End) Cols(int t, int n) => Range(t, TasksN, ColPanels, Nr, n);

    private static (int, int) Range(int t, int tasks, int panels, int width, int size)
    {
        // Panels are dealt out evenly: task t gets panels [t * panels / tasks, (t + 1) * panels / tasks).
        int start = (int)((long)t * panels / tasks) * width;
        int end = (int)((long)(t + 1) * panels / tasks) * width;
        return (Math.Min(start, size), Math.Min(end, size));
    }
}
