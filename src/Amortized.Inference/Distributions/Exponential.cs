using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>Exponential(rate): density rate exp(-rate x) for x &gt;= 0; mean 1 / rate.</summary>
public sealed class Exponential : IDistribution
{
    /// <summary>An exponential with the given rate (finite, &gt; 0).</summary>
    public Exponential(double rate) => Rate = Check.Positive(rate, nameof(rate), nameof(Exponential));

    /// <summary>The rate.</summary>
    public double Rate { get; }

    /// <inheritdoc/>
    public double Mean => 1 / Rate;

    /// <inheritdoc/>
    public double Variance => 1 / (Rate * Rate);

    /// <inheritdoc/>
    /// <remarks>Inversion: -log(1 - u) / rate, with u in [0, 1) so the logarithm stays finite.</remarks>
    public double Sample(Rng rng) => -Math.Log(1 - rng.NextDouble()) / Rate;

    /// <inheritdoc/>
    public double LogDensity(double x) => x >= 0 ? Math.Log(Rate) - Rate * x : double.NegativeInfinity;
}
