using Amortized.Networks;
using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>
/// StudentT(nu, loc, scale): loc + scale T with T a standard Student-t of nu degrees of freedom; density
/// Gamma((nu+1)/2) / (Gamma(nu/2) sqrt(nu pi) scale) (1 + z^2/nu)^(-(nu+1)/2), z = (x - loc) / scale.
/// </summary>
public sealed class StudentT : IDistribution
{
    /// <summary>A Student-t with <paramref name="nu"/> &gt; 0 degrees of freedom, location and scale &gt; 0.</summary>
    public StudentT(double nu, double loc = 0, double scale = 1)
    {
        Nu = Check.Positive(nu, nameof(nu), nameof(StudentT));
        Location = Check.Finite(loc, nameof(loc), nameof(StudentT));
        Scale = Check.Positive(scale, nameof(scale), nameof(StudentT));
    }

    /// <summary>Degrees of freedom.</summary>
    public double Nu { get; }

    /// <summary>Location.</summary>
    public double Location { get; }

    /// <summary>Scale.</summary>
    public double Scale { get; }

    /// <inheritdoc/>
    public double Mean => Nu > 1 ? Location : double.NaN;

    /// <inheritdoc/>
    public double Variance => Nu > 2 ? Scale * Scale * Nu / (Nu - 2) : Nu > 1 ? double.PositiveInfinity : double.NaN;

    /// <inheritdoc/>
    /// <remarks>Z / sqrt(V / nu) with Z standard normal and V ~ chi^2(nu) = 2 Gamma(nu / 2).</remarks>
    public double Sample(Rng rng)
    {
        double z = rng.Normal();
        double chi2 = 2 * SpecialFunctions.SampleGamma(0.5 * Nu, rng);
        return Location + Scale * z / Math.Sqrt(chi2 / Nu);
    }

    /// <inheritdoc/>
    public double LogDensity(double x)
    {
        double z = (x - Location) / Scale;
        return SpecialFunctions.LogGamma(0.5 * (Nu + 1)) - SpecialFunctions.LogGamma(0.5 * Nu)
            - 0.5 * Math.Log(Nu * Math.PI) - Math.Log(Scale) - 0.5 * (Nu + 1) * Math.Log(1 + z * z / Nu);
    }
}
