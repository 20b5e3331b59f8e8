using Amortized.Tensors;

namespace Amortized.Inference.Simulators;

/// <summary>
/// A prior over a fixed-size parameter vector theta (P values under one batch key): draws and a log density. It is
/// what neural likelihood estimation needs besides the learned likelihood (MCMC targets log
/// p(theta) + log q(x | theta)) and what the diagnostics use for the prior spread that contraction compares with.
/// </summary>
public interface IPrior
{
    /// <summary>Batch key of the parameters, shape (B, P).</summary>
    string ParameterKey { get; }

    /// <summary>P, the number of parameters.</summary>
    int ParameterDim { get; }

    /// <summary>Draws theta (P) from the prior with <paramref name="rng"/>.</summary>
    void SamplePrior(Rng rng, Span<float> theta);

    /// <summary>log p(theta) of one parameter vector (P); negative infinity outside the support.</summary>
    double LogPrior(ReadOnlySpan<float> theta);
}

/// <summary>Batched draws from any <see cref="IPrior"/>.</summary>
public static class PriorExtensions
{
    /// <summary>
    /// Draws <paramref name="batchSize"/> parameter vectors (key <see cref="IPrior.ParameterKey"/>, shape (B, P)),
    /// row r from the stream (seed, batch index, r) as a simulator's prior stage would.
    /// </summary>
    public static SimulationBatch SamplePrior(this IPrior prior, int batchSize, ulong seed,
        SampleOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(prior);
        return Simulator.Build().Prior(prior.DrawRow).Sample(batchSize, seed, options);
    }

    /// <summary>A simulator's prior stage: draws theta (P) from the row's stream into its parameter key.</summary>
    public static void DrawRow(this IPrior prior, RowContext row)
    {
        ArgumentNullException.ThrowIfNull(prior);
        ArgumentNullException.ThrowIfNull(row);
        var theta = new float[prior.ParameterDim];
        prior.SamplePrior(row.Rng, theta);
        row.Set(prior.ParameterKey, theta);
    }
}
