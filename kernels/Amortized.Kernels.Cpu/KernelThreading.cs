namespace Amortized.Kernels.Cpu;

/// <summary>Process-wide thread budget for the CPU kernels. TEMPORARY: the persistent worker pool replaces it.</summary>
public static class KernelThreading
{
    private static int s_maxThreads = Environment.ProcessorCount;

    /// <summary>Maximum number of threads a kernel may use (1 = run on the calling thread only).</summary>
    public static int MaxThreads
    {
        get => s_maxThreads;
        set => s_maxThreads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxThreads must be at least 1.");
    }
}
