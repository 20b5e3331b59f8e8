using Amortized.Inference.Simulators;
using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>
/// A user's simulator together with the prior it draws its parameters from, so that code which asks a simulator
/// for its prior (<c>simulator is IPrior</c>: <c>BasicWorkflow.ComputeDiagnostics</c> for the parameter key and
/// the prior spread, NLE for log p(theta)) finds it: <c>new PriorSimulator(Simulator.Build().Prior(prior.DrawRow)
/// .Likelihood(...), prior)</c>. Sampling is the wrapped simulator's, unchanged.
/// </summary>
/// <remarks>
/// The wrapper cannot check that the simulator really draws <see cref="IPrior.ParameterKey"/> from this prior; if
/// it draws them otherwise, the prior's log density describes another model. With <c>prior.DrawRow</c> as the first
/// row stage, row r's parameters equal <c>prior.SamplePrior(batchSize, seed)</c>'s row r.
/// </remarks>
public sealed class PriorSimulator : ISimulator, IPrior
{
    private readonly ISimulator _simulator;
    private readonly IPrior _prior;

    /// <summary>Pairs <paramref name="simulator"/> with the <paramref name="prior"/> it draws from.</summary>
    public PriorSimulator(ISimulator simulator, IPrior prior)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        ArgumentNullException.ThrowIfNull(prior);
        _simulator = simulator;
        _prior = prior;
    }

    /// <inheritdoc/>
    public string ParameterKey => _prior.ParameterKey;

    /// <inheritdoc/>
    public int ParameterDim => _prior.ParameterDim;

    /// <inheritdoc/>
    public SimulationBatch Sample(int batchSize, ulong seed, SampleOptions? options = null) =>
        _simulator.Sample(batchSize, seed, options);

    /// <inheritdoc/>
    public void SamplePrior(Rng rng, Span<float> theta) => _prior.SamplePrior(rng, theta);

    /// <inheritdoc/>
    public double LogPrior(ReadOnlySpan<float> theta) => _prior.LogPrior(theta);
}
