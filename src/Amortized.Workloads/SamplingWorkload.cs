using Amortized.Networks;
using Amortized.Networks.Flows;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Amortized.Tensors.Backends;

namespace Amortized.Workloads;

/// <summary>
/// W3 of ../shared/WORKLOADS.md: the W1 flow with small random weights in every layer; <see cref="Draws"/> posterior
/// draws (inverse pass) for one condition, and separately the log density of <see cref="Draws"/> fixed points.
/// </summary>
public sealed class SamplingWorkload
{
    private readonly ParameterStore _store = new();
    private readonly Workspace _workspace = new();
    private readonly Tensor _condition;
    private readonly Tensor _points;
    private readonly Rng _rng = new(3);
    private readonly IBackend _backend;
    private readonly float[] _hostDraws;

    /// <summary>
    /// Builds the W1 flow (C = 2) and adds N(0, 0.05^2) to every parameter: the zero-initialised output layers
    /// would otherwise make every coupling the identity, and sampling would skip no work but test nothing.
    /// </summary>
    public SamplingWorkload(int draws = 1000, ulong seed = 2)
        : this(draws, seed, backend: null)
    {
    }

    /// <summary>
    /// The same on <paramref name="backend"/> (null: the CPU); weights and data are made on the CPU from
    /// the seed, then moved.
    /// </summary>
    public SamplingWorkload(int draws, ulong seed, IBackend? backend)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(draws, 1);
        var rng = new Rng(seed);
        Flow = new CouplingFlow(_store, "flow", FlowWorkload.ThetaDim, 2, FlowWorkload.W1Options, rng);
        var values = _store.Values;
        for (int i = 0; i < values.Length; i++) values[i] += 0.05f * rng.Normal();
        Draws = draws;
        _condition = Tensor.RandomNormal(new Shape(1, 2), rng);
        var repeated = new float[draws * 2];
        for (int i = 0; i < draws; i++) _condition.Span.CopyTo(repeated.AsSpan(2 * i));
        Conditions = Tensor.FromArray(repeated, draws, 2);
        _points = Tensor.RandomNormal(new Shape(draws, FlowWorkload.ThetaDim), rng);
        _backend = backend ?? CpuBackend.Instance;
        _hostDraws = new float[draws * FlowWorkload.ThetaDim];
        if (_backend is not CpuBackend)
        {
            _store.MoveTo(_backend);
            Conditions = Conditions.To(_backend);
            _points = _points.To(_backend);
        }
    }

    /// <summary>The backend the calls run on.</summary>
    public IBackend Backend => _backend;

    /// <summary>The flow.</summary>
    public CouplingFlow Flow { get; }

    /// <summary>Draws (and density evaluations) per call.</summary>
    public int Draws { get; }

    /// <summary>The one condition repeated per draw (Draws, 2).</summary>
    public Tensor Conditions { get; private set; }

    /// <summary>
    /// Draws <see cref="Draws"/> samples (inverse pass) for the condition; returns the first
    /// coordinate of the first draw.
    /// </summary>
    public float Sample() => Draw(toHost: false);

    /// <summary>
    /// Draws <see cref="Draws"/> samples and copies them to host memory (a caller of an accelerator wants its
    /// draws on the host; on the CPU they are there already); returns the first coordinate of the first draw.
    /// </summary>
    public float SampleToHost() => Draw(toHost: true);

    private float Draw(bool toHost)
    {
        _workspace.Reset();
        using (BackendScope.Use(_backend))
        using (_workspace.Activate())
        using (Tape.NoGrad())
        {
            var z = Tensor.RandomNormal(new Shape(Draws, FlowWorkload.ThetaDim), _rng);
            var x = Flow.Inverse(z, Conditions).X;
            if (!toHost || x.IsOnHost) return x.ReadAt(0);
            _backend.Download(x, _hostDraws);
            return _hostDraws[0];
        }
    }

    /// <summary>Evaluates log q at <see cref="Draws"/> fixed points; returns the first.</summary>
    public float LogProb()
    {
        _workspace.Reset();
        using (BackendScope.Use(_backend))
        using (_workspace.Activate())
        using (Tape.NoGrad()) return Flow.LogProb(_points, Conditions).ReadAt(0);
    }
}
