using Amortized.Kernels.Cpu;
using Amortized.Networks;
using Amortized.Networks.Flows;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Amortized.Workloads;
using BenchmarkDotNet.Attributes;

namespace Amortized.Benchmarks.Autodiff;

/// <summary>
/// What the tape costs on top of the kernels, on the pieces of the W1 step, per instruction set, single-threaded:
/// one 512 x 128 -> 128 SiLU layer without and with recording and backward (GEMM-bound), the affine-coupling
/// elementwise chain on 512 x 1 columns (7 small ops: bookkeeping-bound), and one whole W1 coupling block. Every
/// step runs in a <see cref="Workspace"/> with the leaves in a <see cref="ParameterStore"/>, as in training, so
/// Allocated must be 0.
/// </summary>
[Config(typeof(Config.Isa))]
public class AutodiffBenchmarks
{
    private const int Batch = 512, Width = 128;
    private readonly ParameterStore _store = new();
    private readonly Workspace _workspace = new();
    private readonly Tape _tape = new();
    private Dense _dense = null!;
    private CouplingFlow _block = null!;
    private Tensor _x = null!, _p = null!, _x2 = null!, _theta = null!, _conditions = null!;

    [GlobalSetup]
    public void Setup()
    {
        KernelThreading.MaxThreads = 1;
        var rng = new Rng(11);
        _dense = new Dense(_store, "dense", Width, Width, rng, Activation.Silu, Initializer.GlorotUniform);
        // Leaves that need gradients live in the store: their gradient buffers are the store's, not the arena's.
        _x = _store.Add("x", new Shape(Batch, Width), Initializer.GlorotUniform, rng);
        _p = _store.Add("p", new Shape(Batch, 2), Initializer.GlorotUniform, rng);   // [a | t] per row
        _x2 = _store.Add("x2", new Shape(Batch, 1), Initializer.GlorotUniform, rng);
        _block = new CouplingFlow(_store, "block", FlowWorkload.ThetaDim, 2, FlowWorkload.W1Options with { Depth = 1 }, rng);
        _theta = Tensor.RandomNormal(new Shape(Batch, FlowWorkload.ThetaDim), rng);
        _conditions = Tensor.RandomNormal(new Shape(Batch, 2), rng);
        DenseForwardBackward();
        CouplingChainForwardBackward();
        BlockForwardBackward();
    }

    [Benchmark(Baseline = true, Description = "Dense 512x128x128 SiLU forward, no tape")]
    public float DenseForward()
    {
        _workspace.Reset();
        using (_workspace.Activate())
        using (Tape.NoGrad()) return _dense.Forward(_x).Span[0];
    }

    [Benchmark(Description = "Dense 512x128x128 SiLU forward + backward")]
    public float DenseForwardBackward()
    {
        _workspace.Reset();
        _store.ZeroGrad();
        using (_workspace.Activate())
        using (_tape.Record())
        {
            var loss = _dense.Forward(_x).Mean();
            _tape.Backward(loss);
            return loss.Item();
        }
    }

    [Benchmark(Description = "affine coupling chain 512x1 forward + backward")]
    public float CouplingChainForwardBackward()
    {
        _workspace.Reset();
        _store.ZeroGrad();
        using (_workspace.Activate())
        using (_tape.Record())
        {
            var (y, logDet) = AffineTransform.Forward(_x2, _p, AffineScale.TanhExp);
            var loss = (y.Square().Sum(1) - logDet).Mean();
            _tape.Backward(loss);
            return loss.Item();
        }
    }

    [Benchmark(Description = "one W1 coupling block: loss + backward")]
    public float BlockForwardBackward()
    {
        _workspace.Reset();
        _store.ZeroGrad();
        using (_workspace.Activate())
        using (_tape.Record())
        {
            var loss = _block.Loss(_theta, _conditions);
            _tape.Backward(loss);
            return loss.Item();
        }
    }
}
