using BenchmarkDotNet.Attributes;
using Amortized.Kernels.Cpu;

namespace Amortized.Benchmarks.Kernels;

/// <summary>
/// Dispatch latency of the kernel worker pool (an empty 2-item job on 2 threads) against
/// <see cref="Parallel.For(int, int, Action{int})"/> as the baseline. Allocated must be 0 for the pool.
/// </summary>
[Config(typeof(Config))]
public class DispatchBenchmark
{
    private sealed class Noop : ParallelWork
    {
        public int Sum;

        public override void Run(int index) => Interlocked.Add(ref Sum, index);
    }

    private readonly Noop _work = new();
    private readonly Action<int> _action;
    private int _sum;

    public DispatchBenchmark() => _action = i => Interlocked.Add(ref _sum, i);

    [GlobalSetup]
    public void Setup() => KernelThreading.MaxThreads = 2;

    [Benchmark(Baseline = true)]
    public void ParallelFor() => Parallel.For(0, 2, _action);

    [Benchmark]
    public void KernelThreadingFor() => KernelThreading.For(2, _work);
}
