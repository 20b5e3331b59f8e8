using BenchmarkDotNet.Attributes;
using Amortized.Kernels.Cpu;
using Amortized.Workloads;

namespace Amortized.Benchmarks.Kernels;

/// <summary>
/// GEMM on the W4 target shapes (512^3, 128x2048x128, 2048x128x128) and the W1 layer products, on 1 and 2
/// threads. Compare the GFLOP/s column with <see cref="FmaPeakBenchmark"/>; Allocated must be 0.
/// </summary>
[Config(typeof(Config.Flops))]
public class GemmBenchmark : IFlopCount
{
    private float[] _a = [], _b = [], _c = [], _bias = [], _pre = [];

    public static IEnumerable<GemmShape> Shapes => [.. GemmShape.W4, .. GemmShape.W1];

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = GemmShape.W4[0];

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        KernelThreading.MaxThreads = Threads;
        (_a, _b, _c, _bias, _pre) = Shape.Allocate();
    }

    [Benchmark]
    public void Multiply() => Shape.Multiply(_a, _b, _c, _bias, _pre);

    public double FlopsPerOperation(string method, IReadOnlyDictionary<string, object> parameters) =>
        ((GemmShape)parameters[nameof(Shape)]).Flops;
}

/// <summary>The 512^3 GEMM on each instruction-set path (AVX-512, AVX2, scalar), single-threaded.</summary>
[Config(typeof(Config.IsaFlops))]
public class GemmIsaBenchmark : IFlopCount
{
    private readonly GemmShape _shape = GemmShape.W4[0];
    private float[] _a = [], _b = [], _c = [], _bias = [], _pre = [];

    [GlobalSetup]
    public void Setup()
    {
        KernelThreading.MaxThreads = 1;
        (_a, _b, _c, _bias, _pre) = _shape.Allocate();
    }

    [Benchmark]
    public void Multiply512() => _shape.Multiply(_a, _b, _c, _bias, _pre);

    public double FlopsPerOperation(string method, IReadOnlyDictionary<string, object> parameters) => _shape.Flops;
}
