using Amortized.Kernels.Cpu;
using Amortized.Networks;
using Amortized.Networks.Flows;
using Amortized.Networks.Optim;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Benchmarks.Training;

/// <summary>
/// The reference workloads of ../shared/WORKLOADS.md, built once so a benchmark times only the step.
/// W1: 6 single affine couplings (swap permutation, subnet 128 x 128 SiLU, zero-initialised output,
/// s = 2 tanh(s_raw / 2)), D = 2, C = 2, B = 512. W2: DeepSet (2 -> 64 -> 64, mean pool, 64 -> 64 -> 8) plus
/// the W1 flow with C = 8, 128 sets of 100 points. Adam lr 1e-3.
/// </summary>
public sealed class FlowWorkload
{
    private readonly ParameterStore _store = new();
    private readonly Workspace _workspace = new();
    private readonly Tape _tape = new();
    private readonly Adam _adam;
    private readonly Mlp? _phi, _rho;
    private readonly Tensor _theta, _conditions;

    /// <summary>W1 (no summary network) or W2 (with the DeepSet).</summary>
    public FlowWorkload(bool withDeepSet, ulong seed = 1)
    {
        var rng = new Rng(seed);
        int conditionDim = 2, batch = 512;
        if (withDeepSet)
        {
            conditionDim = 8;
            batch = 128;
            _phi = new Mlp(_store, "phi", 2, new MlpOptions { Widths = [64, 64], Activation = Activation.Silu, KernelInitializer = Initializer.GlorotUniform }, rng);
            _rho = new Mlp(_store, "rho", 64, new MlpOptions { Widths = [64], Activation = Activation.Silu, KernelInitializer = Initializer.GlorotUniform, OutputDim = 8 }, rng);
        }
        Flow = new CouplingFlow(_store, "flow", 2, conditionDim, W1Options, rng);
        _adam = new Adam(_store, new AdamOptions { LearningRate = LearningRateSchedule.Constant(1e-3f) });
        _theta = Tensor.RandomNormal(new Shape(batch, 2), rng);
        _conditions = withDeepSet ? Tensor.RandomNormal(new Shape(batch, 100, 2), rng) : Tensor.RandomNormal(new Shape(batch, 2), rng);
    }

    /// <summary>The W1 flow: exactly the architecture of WORKLOADS.md.</summary>
    public static CouplingFlowOptions W1Options => new()
    {
        Depth = 6,
        SubnetWidths = [128, 128],
        Activation = Activation.Silu,
        Dropout = 0f,
        KernelInitializer = Initializer.GlorotUniform,
        Transform = CouplingTransformKind.Affine,
        AffineScale = AffineScale.TanhExp,
        Permutation = PermutationKind.Swap,
        UseActNorm = false,
        DualCoupling = false,
    };

    /// <summary>The flow being trained.</summary>
    public CouplingFlow Flow { get; }

    /// <summary>Number of parameters.</summary>
    public int ParameterCount => _store.Count;

    /// <summary>One training step: forward, loss, backward, Adam. Returns the loss.</summary>
    public float Step()
    {
        _workspace.Reset();
        _store.ZeroGrad();
        float loss;
        using (_workspace.Activate())
        using (_tape.Record())
        {
            var conditions = _phi is null ? _conditions : _rho!.Forward(_phi.Forward(_conditions).Mean(1));
            var l = Flow.Loss(_theta, conditions);
            _tape.Backward(l);
            loss = l.Item();
        }
        _adam.Update();
        return loss;
    }
}

/// <summary>W3: the W1 flow with small random weights everywhere; 1000 draws for one condition, 1000 log densities.</summary>
public sealed class SamplingWorkload
{
    private readonly ParameterStore _store = new();
    private readonly Workspace _workspace = new();
    private readonly Tensor _condition, _points;
    private readonly Rng _rng = new(3);

    /// <summary>Builds the flow and perturbs every parameter by N(0, 0.05^2) so it is not the identity.</summary>
    public SamplingWorkload(int draws = 1000, ulong seed = 2)
    {
        var rng = new Rng(seed);
        Flow = new CouplingFlow(_store, "flow", 2, 2, FlowWorkload.W1Options, rng);
        var values = _store.Values;
        for (int i = 0; i < values.Length; i++) values[i] += 0.05f * rng.Normal();
        Draws = draws;
        _condition = Tensor.RandomNormal(new Shape(1, 2), rng);
        var repeated = new float[draws * 2];
        for (int i = 0; i < draws; i++) _condition.Span.CopyTo(repeated.AsSpan(2 * i));
        Conditions = Tensor.FromArray(repeated, draws, 2);
        _points = Tensor.RandomNormal(new Shape(draws, 2), rng);
    }

    /// <summary>The flow.</summary>
    public CouplingFlow Flow { get; }

    /// <summary>Draws per call.</summary>
    public int Draws { get; }

    /// <summary>The condition repeated per draw (Draws, 2).</summary>
    public Tensor Conditions { get; }

    /// <summary>Draws Draws samples (inverse pass) for the one condition; returns the first coordinate of the first draw.</summary>
    public float Sample()
    {
        _workspace.Reset();
        using (_workspace.Activate())
        using (Tape.NoGrad())
        {
            var z = Tensor.RandomNormal(new Shape(Draws, 2), _rng);
            return Flow.Inverse(z, Conditions).X.Span[0];
        }
    }

    /// <summary>Evaluates log q at Draws points; returns the first.</summary>
    public float LogProb()
    {
        _workspace.Reset();
        using (_workspace.Activate())
        using (Tape.NoGrad()) return Flow.LogProb(_points, Conditions).Span[0];
    }
}
