using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>HalfNormal(sigma): |Z| sigma with Z standard normal; density 2 Normal(0, sigma)(x) for x &gt;= 0.</summary>
public sealed class HalfNormal : IDistribution
{
    /// <summary>A half-normal with scale <paramref name="sigma"/> (the std of the normal it folds).</summary>
    public HalfNormal(double sigma) => Sigma = Check.Positive(sigma, nameof(sigma), nameof(HalfNormal));

    /// <summary>The scale.</summary>
    public double Sigma { get; }

    /// <inheritdoc/>
    public double Mean => Sigma * Math.Sqrt(2 / Math.PI);

    /// <inheritdoc/>
    public double Variance => Sigma * Sigma * (1 - 2 / Math.PI);

    /// <inheritdoc/>
    public double Sample(Rng rng) => Math.Abs(Sigma * rng.Normal());

    /// <inheritdoc/>
    public double LogDensity(double x)
    {
        if (!(x >= 0)) return double.NegativeInfinity;
        double z = x / Sigma;
        return Math.Log(2) - 0.5 * z * z - Math.Log(Sigma) - LogMath.LogSqrt2Pi;
    }
}
