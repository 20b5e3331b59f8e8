using Amortized.Networks;
using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>
/// NegativeBinomial(r, p): the number of failures before the r-th success in trials of success probability p
/// (numpy's and scipy's nbinom convention; r may be real): P(k) = Gamma(k + r) / (k! Gamma(r)) p^r (1-p)^k, mean
/// r (1-p) / p. For a mean mu and overdispersion alpha (variance mu + alpha mu^2) use r = 1 / alpha,
/// p = 1 / (1 + alpha mu), see <see cref="FromMeanDispersion"/>.
/// </summary>
public sealed class NegativeBinomial : DiscreteDistribution
{
    /// <summary>A negative binomial with <paramref name="r"/> &gt; 0 and <paramref name="p"/> in (0, 1).</summary>
    public NegativeBinomial(double r, double p)
    {
        R = Check.Positive(r, nameof(r), nameof(NegativeBinomial));
        P = Check.OpenProbability(p, nameof(p), nameof(NegativeBinomial));
    }

    /// <summary>The one with mean <paramref name="mean"/> &gt; 0 and variance mean + alpha mean^2.</summary>
    public static NegativeBinomial FromMeanDispersion(double mean, double alpha)
    {
        Check.Positive(mean, nameof(mean), nameof(NegativeBinomial));
        Check.Positive(alpha, nameof(alpha), nameof(NegativeBinomial));
        return new NegativeBinomial(1 / alpha, 1 / (1 + alpha * mean));
    }

    /// <summary>Number of successes (real, &gt; 0).</summary>
    public double R { get; }

    /// <summary>Success probability.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override double Mean => R * (1 - P) / P;

    /// <inheritdoc/>
    public override double Variance => R * (1 - P) / (P * P);

    /// <inheritdoc/>
    /// <remarks>Poisson-Gamma mixture: lambda ~ Gamma(r, rate = p / (1 - p)), k ~ Poisson(lambda). A lambda
    /// beyond <see cref="Poisson.MaxRate"/> would not fit an int draw and throws.</remarks>
    public override int SampleInt(Rng rng)
    {
        double lambda = SpecialFunctions.SampleGamma(R, rng) * (1 - P) / P;
        if (lambda > Poisson.MaxRate)
            throw new InvalidOperationException($"NegativeBinomial(r = {R}, p = {P}): a Poisson rate of {lambda} " +
                $"exceeds {Poisson.MaxRate}; the draw would not fit an int.");
        return Poisson.Draw(lambda, rng);
    }

    /// <inheritdoc/>
    public override double LogProbability(int k) => k >= 0
        ? SpecialFunctions.LogGamma(k + R) - SpecialFunctions.LogGamma(k + 1.0) - SpecialFunctions.LogGamma(R)
            + R * Math.Log(P) + k * Math.Log(1 - P)
        : double.NegativeInfinity;
}
