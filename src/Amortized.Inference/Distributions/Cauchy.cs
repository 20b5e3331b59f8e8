using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>Cauchy(loc, scale): density 1 / (pi scale (1 + z^2)), z = (x - loc) / scale; no mean or variance.</summary>
public sealed class Cauchy : IDistribution
{
    /// <summary>A Cauchy with the given location and scale (&gt; 0).</summary>
    public Cauchy(double loc, double scale)
    {
        Location = Check.Finite(loc, nameof(loc), nameof(Cauchy));
        Scale = Check.Positive(scale, nameof(scale), nameof(Cauchy));
    }

    /// <summary>Location (the median).</summary>
    public double Location { get; }

    /// <summary>Scale (the half-width at half-maximum).</summary>
    public double Scale { get; }

    /// <inheritdoc/>
    public double Mean => double.NaN;

    /// <inheritdoc/>
    public double Variance => double.NaN;

    /// <inheritdoc/>
    /// <remarks>Inversion: loc + scale tan(pi (u - 1/2)).</remarks>
    public double Sample(Rng rng) => Location + Scale * Math.Tan(Math.PI * (rng.NextDouble() - 0.5));

    /// <inheritdoc/>
    public double LogDensity(double x)
    {
        double z = (x - Location) / Scale;
        return -Math.Log(Math.PI * Scale) - Math.Log(1 + z * z);
    }
}
