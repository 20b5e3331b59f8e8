using Amortized.Kernels.Cpu;
using Amortized.Workloads;
using BenchmarkDotNet.Attributes;

namespace Amortized.Benchmarks.Sampling;

/// <summary>W3: 1000 posterior draws (inverse pass) and 1000 log densities for one condition, at 1 and 2 kernel threads.</summary>
[Config(typeof(Config))]
public class SamplingBenchmarks
{
    private SamplingWorkload _w3 = null!;

    /// <summary>Kernel thread budget.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        KernelThreading.MaxThreads = Threads;
        _w3 = new SamplingWorkload();
        _w3.Sample();
        _w3.LogProb();
    }

    [Benchmark(Description = "W3 sample 1000")]
    public float Sample() => _w3.Sample();

    [Benchmark(Description = "W3 log-prob 1000")]
    public float LogProb() => _w3.LogProb();
}

/// <summary>W3 on each instruction-set path (AVX-512, AVX2, scalar), single-threaded.</summary>
[Config(typeof(Config.Isa))]
public class SamplingIsaBenchmarks
{
    private SamplingWorkload _w3 = null!;

    [GlobalSetup]
    public void Setup()
    {
        KernelThreading.MaxThreads = 1;
        _w3 = new SamplingWorkload();
        _w3.Sample();
        _w3.LogProb();
    }

    [Benchmark(Description = "W3 sample 1000")]
    public float Sample() => _w3.Sample();

    [Benchmark(Description = "W3 log-prob 1000")]
    public float LogProb() => _w3.LogProb();
}
