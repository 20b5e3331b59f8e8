namespace Amortized.Testing;

/// <summary>Measures the managed bytes a repeated operation allocates once it has reached its steady state.</summary>
public static class Allocations
{
    /// <summary>
    /// Runs <paramref name="step"/> <paramref name="warmUp"/> times, then <paramref name="windows"/> windows of
    /// <paramref name="stepsPerWindow"/> steps, and returns the fewest bytes any window allocated on this thread.
    /// Why the minimum: while the JIT is still tiering methods up (slower under a loaded CI machine) the runtime can
    /// allocate on the calling thread now and then, and a GC started by another thread inside a window can add the
    /// unused rest of this thread's allocation context (about 8 KB) to the count (dotnet/runtime#63487 sees the
    /// same in the runtime's own test); a steady state that allocates nothing shows 0 in some window,
    /// while a real per-step allocation shows in every window.
    /// </summary>
    public static long SteadyStateBytes(Action step, int warmUp = 20, int windows = 5, int stepsPerWindow = 5)
    {
        ArgumentNullException.ThrowIfNull(step);
        for (int i = 0; i < warmUp; i++) step();
        long best = long.MaxValue;
        for (int w = 0; w < windows; w++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < stepsPerWindow; i++) step();
            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return best;
    }
}
