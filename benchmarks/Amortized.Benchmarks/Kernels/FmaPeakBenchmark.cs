using BenchmarkDotNet.Attributes;
using Amortized.Kernels.Cpu;

namespace Amortized.Benchmarks.Kernels;

/// <summary>
/// FP32 FMA peak of this machine, the yardstick for <see cref="GemmBenchmark"/>: 12 independent FMA chains per
/// thread, Vector512 and Vector256, on 1 and 2 threads (each thread runs the whole loop).
/// </summary>
[Config(typeof(Config.Flops))]
public class FmaPeakBenchmark : IFlopCount
{
    private const long Iterations = 1 << 20;
    private readonly FmaLoop.Work _work = new() { Iterations = Iterations };

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() => KernelThreading.MaxThreads = Threads;

    [Benchmark(Description = "Vector512 FMA")]
    public void Vector512Fma()
    {
        _work.Width = SimdPath.Vector512;
        KernelThreading.For(Threads, _work);
    }

    [Benchmark(Description = "Vector256 FMA")]
    public void Vector256Fma()
    {
        _work.Width = SimdPath.Vector256;
        KernelThreading.For(Threads, _work);
    }

    public double FlopsPerOperation(string method, IReadOnlyDictionary<string, object> parameters) =>
        (int)parameters[nameof(Threads)] *
        FmaLoop.Flops(method == nameof(Vector512Fma) ? SimdPath.Vector512 : SimdPath.Vector256, Iterations);
}
