using Amortized.Networks;
using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>
/// Gamma(shape, rate): density rate^shape x^(shape-1) exp(-rate x) / Gamma(shape) for x &gt; 0; mean shape / rate.
/// Note the rate (inverse scale) parameterization, as in Stan and PyMC; numpy's gamma takes a scale = 1 / rate.
/// </summary>
public sealed class Gamma : IDistribution
{
    /// <summary>A gamma with the given shape and rate (both finite, &gt; 0).</summary>
    public Gamma(double shape, double rate)
    {
        Shape = Check.Positive(shape, nameof(shape), nameof(Gamma));
        Rate = Check.Positive(rate, nameof(rate), nameof(Gamma));
    }

    /// <summary>The shape alpha.</summary>
    public double Shape { get; }

    /// <summary>The rate beta (1 / scale).</summary>
    public double Rate { get; }

    /// <inheritdoc/>
    public double Mean => Shape / Rate;

    /// <inheritdoc/>
    public double Variance => Shape / (Rate * Rate);

    /// <inheritdoc/>
    /// <remarks>Marsaglia and Tsang (2000) through <see cref="SpecialFunctions.SampleGamma"/>, then scaled.</remarks>
    public double Sample(Rng rng) => SpecialFunctions.SampleGamma(Shape, rng) / Rate;

    /// <inheritdoc/>
    public double LogDensity(double x) => x > 0
        ? Shape * Math.Log(Rate) + (Shape - 1) * Math.Log(x) - Rate * x - SpecialFunctions.LogGamma(Shape)
        : double.NegativeInfinity;
}
