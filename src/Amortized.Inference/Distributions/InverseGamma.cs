using Amortized.Networks;
using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>
/// InverseGamma(shape, scale): 1 / X with X ~ Gamma(shape, rate = scale); density
/// scale^shape x^(-shape-1) exp(-scale / x) / Gamma(shape) for x &gt; 0.
/// </summary>
public sealed class InverseGamma : IDistribution
{
    /// <summary>An inverse gamma with the given shape and scale (both finite, &gt; 0).</summary>
    public InverseGamma(double shape, double scale)
    {
        Shape = Check.Positive(shape, nameof(shape), nameof(InverseGamma));
        Scale = Check.Positive(scale, nameof(scale), nameof(InverseGamma));
    }

    /// <summary>The shape alpha.</summary>
    public double Shape { get; }

    /// <summary>The scale beta.</summary>
    public double Scale { get; }

    /// <inheritdoc/>
    public double Mean => Shape > 1 ? Scale / (Shape - 1) : double.PositiveInfinity;

    /// <inheritdoc/>
    public double Variance => Shape > 2
        ? Scale * Scale / ((Shape - 1) * (Shape - 1) * (Shape - 2))
        : Shape > 1 ? double.PositiveInfinity : double.NaN;

    /// <inheritdoc/>
    public double Sample(Rng rng) => Scale / SpecialFunctions.SampleGamma(Shape, rng);

    /// <inheritdoc/>
    public double LogDensity(double x) => x > 0
        ? Shape * Math.Log(Scale) - (Shape + 1) * Math.Log(x) - Scale / x - SpecialFunctions.LogGamma(Shape)
        : double.NegativeInfinity;
}
