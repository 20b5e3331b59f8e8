using Xunit;

namespace Amortized.Networks.Tests;

/// <summary>
/// Tests that set <c>KernelThreading.MaxThreads</c> or count this thread's allocations run in this collection,
/// alone, after the parallel ones.
/// </summary>
/// <remarks>
/// With the other test classes of this assembly running beside it, the W1/W2 step measured 240 B per 3-step window
/// on its own thread on a loaded 2-core machine: in 2 of 3 runs of the whole assembly (and in both fresh-clone CI
/// runs of 2026-11-26 after this session's tests were added), and in 1 of 2 with only FlowMatchingTests beside it.
/// Alone, under the same load, 0 B in every run. The cause was not found; another thread's GC activity alone does
/// not do it.
/// </remarks>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Kernel threading and allocation counts (serial)";
}
