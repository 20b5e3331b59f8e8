namespace Amortized.Kernels.Cpu;

/// <summary>
/// Process-wide thread budget and a persistent worker pool for the CPU kernels. Workers are created once (on first
/// need), spin briefly after each job for low dispatch latency, then block; the calling thread always takes part.
/// </summary>
public static class KernelThreading
{
    private static int s_maxThreads = Environment.ProcessorCount;

    /// <summary>Maximum number of threads a kernel may use, the caller included (1 = calling thread only).</summary>
    public static int MaxThreads
    {
        get => Volatile.Read(ref s_maxThreads);
        set => Volatile.Write(ref s_maxThreads, value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxThreads must be at least 1."));
    }

    /// <summary>
    /// Calls <c>work.Run(i)</c> for every i in [0, <paramref name="count"/>) on up to
    /// min(count, <see cref="MaxThreads"/>) threads and returns when all calls have finished. With one index per
    /// thread, index 0 runs on the caller and index p on worker p - 1 whenever that worker starts in time (so
    /// per-thread row ranges stay in one core's caches from call to call), else on whichever thread is free;
    /// more indices are handed out dynamically. Allocates nothing in steady state.
    /// </summary>
    /// <remarks>
    /// If a call throws, the remaining indices still run and the first exception is rethrown on the caller with
    /// its original stack trace. A nested call (from inside <c>Run</c>) or a call made while another thread's
    /// job is in flight runs sequentially on its own thread rather than waiting.
    /// </remarks>
    public static void For(int count, ParallelWork work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (count <= 0)
            return;
        int threads = Math.Min(count, MaxThreads);
        if (threads > 1 && WorkerPool.TryEnter())
        {
            try
            {
                WorkerPool.Run(count, threads - 1, work);
            }
            finally
            {
                WorkerPool.Exit();
            }
            return;
        }
        for (int i = 0; i < count; i++)
            work.Run(i);
    }
}
