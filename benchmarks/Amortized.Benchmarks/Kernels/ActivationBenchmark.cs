using BenchmarkDotNet.Attributes;
using Amortized.Kernels.Cpu;

namespace Amortized.Benchmarks.Kernels;

/// <summary>
/// Activation forward and backward over spans, against a scalar loop over <see cref="Activations.Apply"/>
/// (the baseline), per instruction set. Lengths are not multiples of 16, so the remainder path is included.
/// </summary>
[Config(typeof(Config.Isa))]
public class ActivationBenchmark
{
    private float[] _x = [], _dy = [], _y = [];

    [Params(Activation.Relu, Activation.Silu, Activation.Softplus, Activation.Tanh, Activation.Gelu, Activation.Mish)]
    public Activation Kind { get; set; }

    [Params(1_000, 65_539)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(7);
        _x = new float[Length];
        _dy = new float[Length];
        _y = new float[Length];
        for (int i = 0; i < Length; i++)
        {
            _x[i] = (float)(rng.NextDouble() * 8 - 4);
            _dy[i] = (float)(rng.NextDouble() * 2 - 1);
        }
    }

    [Benchmark(Baseline = true)]
    public void ScalarLoop()
    {
        float[] x = _x, y = _y;
        for (int i = 0; i < x.Length; i++)
            y[i] = Activations.Apply(Kind, x[i]);
    }

    [Benchmark]
    public void Forward() => Activations.Forward(Kind, _x, _y);

    [Benchmark]
    public void Backward() => Activations.Backward(Kind, _x, _dy, _y);
}
