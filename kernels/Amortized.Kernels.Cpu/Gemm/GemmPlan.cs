namespace Amortized.Kernels.Cpu;

/// <summary>
/// How one GEMM call is split into tasks: a fixed (TasksM, TasksN) grid of C rectangles whose edges fall on
/// microkernel tile boundaries. Any grid gives bitwise-identical results (see <see cref="GemmDriver"/>), so the
/// grid is chosen purely for speed.
/// </summary>
internal readonly struct GemmPlan
{
    /// <summary>
    /// Below this many flops per extra thread, dispatch (a few microseconds) and duplicated packing cost more
    /// than the thread saves: about 20 microseconds of work at 100 GFLOP/s.
    /// </summary>
    internal const double MinFlopsPerThread = 2e6;

    /// <summary>Packing cost in microkernel-FMA units per packed element (a load, a shuffle, a store).</summary>
    private const double PackCostPerElement = 4;

    public GemmPlan(int tasksM, int tasksN, int rowPanels, int colPanels, int mr, int nr)
    {
        TasksM = tasksM;
        TasksN = tasksN;
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
    public int TaskCount => TasksM * TasksN;

    /// <summary>The grid for an (m, n, k) product on <paramref name="path"/> with at most maxThreads tasks.</summary>
    public static GemmPlan Create(SimdPath path, int m, int n, int k, int maxThreads)
    {
        (int mr, int nr) = path switch
        {
            SimdPath.Vector512 => (Vector512MicroKernel.MR, Vector512MicroKernel.NR),
            SimdPath.Vector256 => (Vector256MicroKernel.MR, Vector256MicroKernel.NR),
            _ => (ScalarMicroKernel.MR, ScalarMicroKernel.NR),
        };
        int rowPanels = (m + mr - 1) / mr, colPanels = (n + nr - 1) / nr;
        double flops = 2.0 * m * n * k;
        int threads = (int)Math.Min(Math.Min(maxThreads, flops / MinFlopsPerThread), (double)rowPanels * colPanels);
        if (threads <= 1)
            return new GemmPlan(1, 1, rowPanels, colPanels, mr, nr);

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
            if (cost < bestCost)
            {
                bestCost = cost;
                (bestM, bestN) = (tm, tn);
            }
        }
        return new GemmPlan(bestM, bestN, rowPanels, colPanels, mr, nr);
    }

    /// <summary>Row range [start, end) of task row <paramref name="t"/> out of TasksM, clipped to m.</summary>
    public (int Start, int End) Rows(int t, int m) => Range(t, TasksM, RowPanels, Mr, m);

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
