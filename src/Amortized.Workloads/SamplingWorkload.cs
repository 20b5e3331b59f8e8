using Amortized.Networks;
using Amortized.Networks.Flows;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Workloads;

/// <summary>
/// W3 of ../shared/WORKLOADS.md: the W1 flow with small random weights in every layer; <see cref="Draws"/> posterior
/// draws (inverse pass) for one condition, and separately the log density of <see cref="Draws"/> fixed points.
/// </summary>
public sealed class SamplingWorkload
{
    private readonly ParameterStore _store = new();
    private readonly Workspace _workspace = new();
    private readonly Tensor _condition, _points;
    private readonly Rng _rng = new(3);

    /// <summary>
    /// Builds the W1 flow (C = 2) and adds N(0, 0.05^2) to every parameter: the zero-initialised output layers
    /// would otherwise make every coupling the identity, and sampling would skip no work but test nothing.
    /// </summary>
    public SamplingWorkload(int draws = 1000, ulong seed = 2)
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
    }

    /// <summary>The flow.</summary>
    public CouplingFlow Flow { get; }

    /// <summary>Draws (and density evaluations) per call.</summary>
    public int Draws { get; }

    /// <summary>The one condition repeated per draw (Draws, 2).</summary>
    public Tensor Conditions { get; }

    /// <summary>Draws <see cref="Draws"/> samples (inverse pass) for the condition; returns the first coordinate of the first draw.</summary>
    public float Sample()
    {
        _workspace.Reset();
        using (_workspace.Activate())
        using (Tape.NoGrad())
        {
            var z = Tensor.RandomNormal(new Shape(Draws, FlowWorkload.ThetaDim), _rng);
            return Flow.Inverse(z, Conditions).X.Span[0];
        }
    }

    /// <summary>Evaluates log q at <see cref="Draws"/> fixed points; returns the first.</summary>
    public float LogProb()
    {
        _workspace.Reset();
        using (_workspace.Activate())
        using (Tape.NoGrad()) return Flow.LogProb(_points, Conditions).Span[0];
    }
}
