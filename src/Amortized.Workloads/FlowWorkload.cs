using System.Diagnostics;
using Amortized.Kernels.Cpu;
using Amortized.Networks;
using Amortized.Networks.Flows;
using Amortized.Networks.Optim;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Amortized.Tensors.Backends;

namespace Amortized.Workloads;

/// <summary>
/// The training workloads W1 and W2 of ../shared/WORKLOADS.md, built once so that a benchmark times only the step.
/// W1: 6 single affine couplings (swap permutation, subnet Linear(D/2 + C, 128) - SiLU - Linear(128, 128) - SiLU -
/// Linear(128, 2 (D - D/2)) with the last layer zero-initialised, s = 2 tanh(s_raw / 2)), D = 2, C = 2, B = 512.
/// W2: a DeepSet (2 -> 64 -> 64 SiLU, mean pool, 64 -> 64 SiLU -> 8) plus the W1 flow with C = 8, 128 sets of
/// 100 points. Kernels Glorot-uniform, biases zero; Adam lr 1e-3, betas (0.9, 0.999), eps 1e-8. The batch is fixed
/// (drawn once), as in the peers in benchmarks/peers, so every step does the same work.
/// </summary>
public sealed class FlowWorkload
{
    private readonly ParameterStore _store = new();
    private readonly Workspace _workspace = new();
    private readonly Tape _tape = new();
    private readonly Adam _adam;
    private readonly Mlp? _phi, _rho;
    private readonly Tensor _theta, _conditions;
    private readonly IBackend _backend;

    /// <summary>Parameter dimension D of W1 and W2.</summary>
    public const int ThetaDim = 2;

    /// <summary>W1 batch size.</summary>
    public const int W1Batch = 512;

    /// <summary>W2 batch size (data sets per step).</summary>
    public const int W2Batch = 128;

    /// <summary>W2 set size (observations per data set).</summary>
    public const int W2SetSize = 100;

    /// <summary>W2 summary dimension (the flow's condition dimension).</summary>
    public const int W2SummaryDim = 8;

    /// <summary>W1 (no summary network) or W2 (with the DeepSet) on the CPU at the workload's batch size.</summary>
    public FlowWorkload(bool withDeepSet, ulong seed = 1)
        : this(withDeepSet, seed, batch: null, backend: null)
    {
    }

    /// <summary>
    /// W1 or W2 with another batch size (null: 512 for W1, 128 for W2) on <paramref name="backend"/> (null: the CPU).
    /// The model is built and initialised on the CPU from the seed, then moved, so every backend starts from the
    /// same weights and data.
    /// </summary>
    public FlowWorkload(bool withDeepSet, ulong seed, int? batch, IBackend? backend)
        : this(withDeepSet, seed, batch, backend, width: null)
    {
    }

    /// <summary>
    /// As above with the coupling subnets' hidden width (null: 128), for the cost-as-work-grows figure.
    /// </summary>
    public FlowWorkload(bool withDeepSet, ulong seed, int? batch, IBackend? backend, int? width)
    {
        if (batch is < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "Batch must be at least 1.");
        if (width is < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "Width must be at least 1.");
        var rng = new Rng(seed);
        int conditionDim = 2;
        Batch = batch ?? (withDeepSet ? W2Batch : W1Batch);
        _backend = backend ?? CpuBackend.Instance;
        if (withDeepSet)
        {
            conditionDim = W2SummaryDim;
            _phi = new Mlp(_store, "phi", 2, new MlpOptions { Widths = [64, 64], Activation = Activation.Silu,
                KernelInitializer = Initializer.GlorotUniform }, rng);
            _rho = new Mlp(_store, "rho", 64, new MlpOptions { Widths = [64], Activation = Activation.Silu,
                KernelInitializer = Initializer.GlorotUniform, OutputDim = W2SummaryDim }, rng);
        }
        Name = withDeepSet ? "W2" : "W1";
        var flowOptions = W1Options;
        if (width is int w) flowOptions = flowOptions with { SubnetWidths = [w, w] };
        Flow = new CouplingFlow(_store, "flow", ThetaDim, conditionDim, flowOptions, rng);
        _adam = new Adam(_store, new AdamOptions { LearningRate = LearningRateSchedule.Constant(1e-3f) });
        _theta = Tensor.RandomNormal(new Shape(Batch, ThetaDim), rng);
        _conditions = withDeepSet ? Tensor.RandomNormal(new Shape(Batch, W2SetSize, 2), rng)
            : Tensor.RandomNormal(new Shape(Batch, 2), rng);
        if (_backend is not CpuBackend)
        {
            _store.MoveTo(_backend);
            _theta = _theta.To(_backend);
            _conditions = _conditions.To(_backend);
        }
    }

    /// <summary>Data sets (W2) or parameter draws (W1) per step.</summary>
    public int Batch { get; }

    /// <summary>The backend the step runs on.</summary>
    public IBackend Backend => _backend;

    /// <summary>The parameters (for parity checks across backends).</summary>
    public ParameterStore Store => _store;

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

    /// <summary>"W1" or "W2".</summary>
    public string Name { get; }

    /// <summary>The flow being trained.</summary>
    public CouplingFlow Flow { get; }

    /// <summary>
    /// Number of trainable parameters (flow, plus the DeepSet for W2), without the store's alignment padding.
    /// </summary>
    public int ParameterCount => _store.Parameters.Sum(p => p.Size);

    /// <summary>
    /// One training step: forward, loss, backward, Adam. Returns the loss (mean negative log density).
    /// </summary>
    public float Step() => Step(null);

    /// <summary>
    /// One training step that also adds the time of its three phases to <paramref name="breakdown"/> (when not null):
    /// forward (arena reset, zeroing gradients, forward pass and loss), backward (the tape, and reading the loss)
    /// and the Adam update. Timestamps cost tens of nanoseconds, against milliseconds per step.
    /// </summary>
    public float Step(StepBreakdown? breakdown)
    {
        long t0 = Stopwatch.GetTimestamp();
        _workspace.Reset();
        _store.ZeroGrad();
        float loss;
        long t1, t2;
        using (BackendScope.Use(_backend))
        using (_workspace.Activate())
        using (_tape.Record())
        {
            var conditions = _phi is null ? _conditions : _rho!.Forward(_phi.Forward(_conditions).Mean(1));
            var l = Flow.Loss(_theta, conditions);
            t1 = Stopwatch.GetTimestamp();
            _tape.Backward(l);
            loss = l.Item();
            t2 = Stopwatch.GetTimestamp();
        }
        _adam.Update();
        if (breakdown is not null)
        {
            long t3 = Stopwatch.GetTimestamp();
            breakdown.ForwardTicks += t1 - t0;
            breakdown.BackwardTicks += t2 - t1;
            breakdown.OptimizerTicks += t3 - t2;
            breakdown.Steps++;
        }
        return loss;
    }
}

/// <summary>Accumulated time per phase of <see cref="FlowWorkload.Step(StepBreakdown?)"/>.</summary>
public sealed class StepBreakdown
{
    /// <summary>Stopwatch ticks spent in the forward pass and loss.</summary>
    public long ForwardTicks { get; set; }

    /// <summary>Stopwatch ticks spent in the backward pass.</summary>
    public long BackwardTicks { get; set; }

    /// <summary>Stopwatch ticks spent in the Adam update.</summary>
    public long OptimizerTicks { get; set; }

    /// <summary>Steps accumulated.</summary>
    public int Steps { get; set; }

    /// <summary>Mean forward milliseconds per step.</summary>
    public double ForwardMs => PerStepMs(ForwardTicks);

    /// <summary>Mean backward milliseconds per step.</summary>
    public double BackwardMs => PerStepMs(BackwardTicks);

    /// <summary>Mean Adam milliseconds per step.</summary>
    public double OptimizerMs => PerStepMs(OptimizerTicks);

    private double PerStepMs(long ticks) => Steps == 0 ? 0 : ticks * 1000.0 / Stopwatch.Frequency / Steps;
}
