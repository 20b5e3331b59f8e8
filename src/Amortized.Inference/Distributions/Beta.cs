using Amortized.Networks;
using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>Beta(a, b): density x^(a-1) (1-x)^(b-1) / B(a, b) on (0, 1).</summary>
public sealed class Beta : IDistribution
{
    /// <summary>A beta with shapes <paramref name="a"/> and <paramref name="b"/> (both finite, &gt; 0).</summary>
    public Beta(double a, double b)
    {
        A = Check.Positive(a, nameof(a), nameof(Beta));
        B = Check.Positive(b, nameof(b), nameof(Beta));
    }

    /// <summary>First shape (alpha).</summary>
    public double A { get; }

    /// <summary>Second shape (beta).</summary>
    public double B { get; }

    /// <inheritdoc/>
    public double Mean => A / (A + B);

    /// <inheritdoc/>
    public double Variance => A * B / ((A + B) * (A + B) * (A + B + 1));

    /// <inheritdoc/>
    public double Sample(Rng rng) => Draw(A, B, rng);

    /// <summary>
    /// A Beta(a, b) draw as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b) (exact); shared with the binomial's
    /// order-statistic recursion and the LKJ's partial correlations.
    /// </summary>
    /// <remarks>
    /// Limitation: below shape 1 SampleGamma boosts with u^(1/shape), which underflows to 0 when
    /// log u &lt; -745 shape; with both shapes near 0.01 both gammas can vanish together (about 3e-7 of draws)
    /// and the draw is NaN. A log-space gamma draw in SpecialFunctions would remove that.
    /// </remarks>
    internal static double Draw(double a, double b, Rng rng)
    {
        double x = SpecialFunctions.SampleGamma(a, rng);
        double y = SpecialFunctions.SampleGamma(b, rng);
        return x / (x + y);
    }

    /// <inheritdoc/>
    public double LogDensity(double x) => x > 0 && x < 1
        ? (A - 1) * Math.Log(x) + (B - 1) * Math.Log(1 - x) - LogMath.LogBeta(A, B)
        : double.NegativeInfinity;
}
