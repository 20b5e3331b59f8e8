using Amortized.Kernels.Cpu;
using Amortized.Workloads;
using BenchmarkDotNet.Attributes;

namespace Amortized.Benchmarks.Training;

/// <summary>W1 and W2 training steps (forward, loss, backward, Adam) at 1 and 2 kernel threads; Allocated must be 0.</summary>
[Config(typeof(Config))]
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
        // The first steps size the arenas and the tape; BenchmarkDotNet's own warm-up then reaches tier-1 code.
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

/// <summary>The W1 step on each instruction-set path (AVX-512, AVX2, scalar), single-threaded.</summary>
[Config(typeof(Config.Isa))]
public class TrainingIsaBenchmarks
{
    private FlowWorkload _w1 = null!;

    [GlobalSetup]
    public void Setup()
    {
        KernelThreading.MaxThreads = 1;
        _w1 = new FlowWorkload(withDeepSet: false);
        for (int i = 0; i < 3; i++) _w1.Step();
    }

    [Benchmark(Description = "W1 step")]
    public float W1() => _w1.Step();
}
