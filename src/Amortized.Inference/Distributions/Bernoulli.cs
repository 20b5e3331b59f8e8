using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>Bernoulli(p): 1 with probability p, else 0.</summary>
public sealed class Bernoulli : DiscreteDistribution
{
    /// <summary>A Bernoulli with success probability <paramref name="p"/> in [0, 1].</summary>
    public Bernoulli(double p) => P = Check.Probability(p, nameof(p), nameof(Bernoulli));

    /// <summary>Success probability.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override double Mean => P;

    /// <inheritdoc/>
    public override double Variance => P * (1 - P);

    /// <inheritdoc/>
    public override int SampleInt(Rng rng) => rng.NextDouble() < P ? 1 : 0;

    /// <inheritdoc/>
    public override double LogProbability(int k) => k switch
    {
        0 => Math.Log(1 - P),
        1 => Math.Log(P),
        _ => double.NegativeInfinity,
    };
}
