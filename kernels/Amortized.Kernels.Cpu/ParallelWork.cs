namespace Amortized.Kernels.Cpu;

/// <summary>
/// A unit of parallel work for <see cref="KernelThreading.For"/>: <see cref="Run"/> is called once for every
/// index in [0, count), on the calling thread or a pool worker, in no particular order.
/// </summary>
/// <remarks>
/// Callers keep one instance and refill its fields before each dispatch, so dispatch allocates nothing (no
/// delegates, no closures). For results that do not depend on the thread count, each index must own a fixed piece
/// of the output and compute it the same way whichever thread runs it.
/// </remarks>
public abstract class ParallelWork
{
    /// <summary>Runs piece <paramref name="index"/> of the work.</summary>
    public abstract void Run(int index);
}
