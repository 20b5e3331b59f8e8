using Amortized.Networks;
using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>Poisson(rate): P(k) = rate^k exp(-rate) / k! for k = 0, 1, ...</summary>
public sealed class Poisson : DiscreteDistribution
{
    /// <summary>Largest accepted rate: draws are ints, and at 1e9 the mean plus 30 standard deviations is still
    /// far below int.MaxValue.</summary>
    public const double MaxRate = 1e9;

    /// <summary>Below this mean the sampler inverts the CDF (expected work ~rate); above it uses PTRS.</summary>
    internal const double InversionLimit = 10;

    /// <summary>A Poisson with the given mean, 0 &lt;= rate &lt;= <see cref="MaxRate"/>.</summary>
    public Poisson(double rate)
    {
        if (!(rate >= 0 && rate <= MaxRate))
            throw new ArgumentOutOfRangeException(nameof(rate), rate,
                $"Poisson: rate must be in [0, {MaxRate}]; got {rate}.");
        Rate = rate;
    }

    /// <summary>The mean.</summary>
    public double Rate { get; }

    /// <inheritdoc/>
    public override double Mean => Rate;

    /// <inheritdoc/>
    public override double Variance => Rate;

    /// <inheritdoc/>
    public override int SampleInt(Rng rng) => Draw(Rate, rng);

    /// <summary>A Poisson(rate) draw; shared with the negative binomial's Poisson-Gamma mixture.</summary>
    internal static int Draw(double rate, Rng rng) => rate < InversionLimit ? Inversion(rate, rng) : Ptrs(rate, rng);

    /// <inheritdoc/>
    public override double LogProbability(int k) => k >= 0
        ? LogMath.XLogY(k, Rate) - Rate - SpecialFunctions.LogGamma(k + 1.0)
        : double.NegativeInfinity;

    /// <summary>Sequential search of the CDF from k = 0; exact, for small rates.</summary>
    private static int Inversion(double rate, Rng rng)
    {
        double u = rng.NextDouble(), pk = Math.Exp(-rate), cdf = pk;
        int k = 0;
        // pk reaching 0 (u within rounding of 1) ends the search rather than looping forever.
        while (u >= cdf && pk > 0)
        {
            k++;
            pk *= rate / k;
            cdf += pk;
        }
        return k;
    }

    /// <summary>
    /// PTRS, transformed rejection with squeeze (Hormann 1993, "The transformed rejection method for generating
    /// Poisson random variables", Insurance: Mathematics and Economics 12(1)); exact for rate &gt;= 10, with
    /// about 1.15 uniforms pairs per draw. Constants as in the paper (and numpy's random_poisson_ptrs).
    /// </summary>
    private static int Ptrs(double rate, Rng rng)
    {
        double logRate = Math.Log(rate);
        double b = 0.931 + 2.53 * Math.Sqrt(rate);
        double a = -0.059 + 0.02483 * b;
        double invAlpha = 1.1239 + 1.1328 / (b - 3.4);
        double vr = 0.9277 - 3.6224 / (b - 2);
        while (true)
        {
            double u = rng.NextDouble() - 0.5;
            double v = rng.NextDouble();
            double us = 0.5 - Math.Abs(u);
            double k = Math.Floor((2 * a / us + b) * u + rate + 0.43);
            if (us >= 0.07 && v <= vr) return (int)k;                        // squeeze: accept without logs
            if (k < 0 || (us < 0.013 && v > us)) continue;                    // outside the hat's useful part
            double logHat = Math.Log(v) + Math.Log(invAlpha) - Math.Log(a / (us * us) + b);
            if (logHat <= -rate + k * logRate - SpecialFunctions.LogGamma(k + 1)) return (int)k;
        }
    }
}
