using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>
/// A distribution on the integers. <see cref="IDistribution.Sample"/> returns <see cref="SampleInt"/> as a double
/// and <see cref="IDistribution.LogDensity"/> is <see cref="LogProbability"/> at integers.
/// </summary>
public interface IDiscreteDistribution : IDistribution
{
    /// <summary>One draw, using only <paramref name="rng"/>.</summary>
    int SampleInt(Rng rng);

    /// <summary>log P(X = k); negative infinity outside the support.</summary>
    double LogProbability(int k);
}
