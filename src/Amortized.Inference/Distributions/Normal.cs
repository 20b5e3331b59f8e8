using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>Normal(mean, std): density exp(-(x - mean)^2 / (2 std^2)) / (std sqrt(2 pi)).</summary>
public sealed class Normal : IDistribution
{
    /// <summary>A normal with the given mean and standard deviation (finite, &gt; 0).</summary>
    public Normal(double mean, double std)
    {
        Location = Check.Finite(mean, nameof(mean), nameof(Normal));
        Scale = Check.Positive(std, nameof(std), nameof(Normal));
    }

    /// <summary>The mean.</summary>
    public double Location { get; }

    /// <summary>The standard deviation.</summary>
    public double Scale { get; }

    /// <inheritdoc/>
    public double Mean => Location;

    /// <inheritdoc/>
    public double Variance => Scale * Scale;

    /// <inheritdoc/>
    public double Sample(Rng rng) => Location + Scale * rng.Normal();

    /// <inheritdoc/>
    public double LogDensity(double x)
    {
        double z = (x - Location) / Scale;
        return -0.5 * z * z - Math.Log(Scale) - LogMath.LogSqrt2Pi;
    }
}
