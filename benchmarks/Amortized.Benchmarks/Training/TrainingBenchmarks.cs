using Amortized.Kernels.Cpu;
using BenchmarkDotNet.Attributes;

namespace Amortized.Benchmarks.Training;

/// <summary>W1 and W2 training steps (BenchmarkDotNet), at 1 and 2 kernel threads.</summary>
[MemoryDiagnoser]
public class TrainingStepBenchmarks
{
    private FlowWorkload _w1 = null!, _w2 = null!;

    /// <summary>Kernel thread budget.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        KernelThreading.MaxThreads = Threads;
        _w1 = new FlowWorkload(withDeepSet: false);
        _w2 = new FlowWorkload(withDeepSet: true);
        for (int i = 0; i < 3; i++)
        {
            _w1.Step();
            _w2.Step();
        }
    }

    [Benchmark(Description = "W1 step")]
    public float W1() => _w1.Step();

    [Benchmark(Description = "W2 step")]
    public float W2() => _w2.Step();
}

/// <summary>W3 sampling and density evaluation (1000 points each).</summary>
[MemoryDiagnoser]
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
