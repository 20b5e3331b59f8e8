namespace Amortized.Kernels.Cpu.Tests;

/// <summary>
/// Tests that change <see cref="KernelThreading.MaxThreads"/> or need the worker pool to themselves (thread
/// participation, allocation counts) run in this collection, alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Kernel threading (serial)";
}
