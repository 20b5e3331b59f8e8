using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>
/// The shared half of every <see cref="IDiscreteDistribution"/>: the double-valued <see cref="Sample"/> and
/// <see cref="LogDensity"/> forward to the integer ones, so each distribution writes its sampler and pmf once.
/// </summary>
public abstract class DiscreteDistribution : IDiscreteDistribution
{
    /// <inheritdoc/>
    public abstract double Mean { get; }

    /// <inheritdoc/>
    public abstract double Variance { get; }

    /// <inheritdoc/>
    public abstract int SampleInt(Rng rng);

    /// <inheritdoc/>
    public abstract double LogProbability(int k);

    /// <inheritdoc/>
    public double Sample(Rng rng) => SampleInt(rng);

    /// <inheritdoc/>
    public double LogDensity(double x) =>
        LogMath.IsCount(x, int.MaxValue) ? LogProbability((int)x) : double.NegativeInfinity;
}
