using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>Uniform(low, high): density 1 / (high - low) on [low, high].</summary>
public sealed class Uniform : IDistribution
{
    /// <summary>A uniform on [<paramref name="low"/>, <paramref name="high"/>], low &lt; high, both finite.</summary>
    public Uniform(double low, double high)
    {
        Low = Check.Finite(low, nameof(low), nameof(Uniform));
        High = Check.Finite(high, nameof(high), nameof(Uniform));
        if (!(high > low))
            throw new ArgumentOutOfRangeException(nameof(high), high,
                $"Uniform: high must be > low = {low}; got {high}.");
    }

    /// <summary>Lower bound.</summary>
    public double Low { get; }

    /// <summary>Upper bound.</summary>
    public double High { get; }

    /// <inheritdoc/>
    public double Mean => 0.5 * (Low + High);

    /// <inheritdoc/>
    public double Variance => (High - Low) * (High - Low) / 12;

    /// <inheritdoc/>
    public double Sample(Rng rng) => Low + (High - Low) * rng.NextDouble();

    /// <inheritdoc/>
    public double LogDensity(double x) => x >= Low && x <= High ? -Math.Log(High - Low) : double.NegativeInfinity;
}
