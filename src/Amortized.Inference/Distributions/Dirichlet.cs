using Amortized.Networks;
using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>
/// Dirichlet(alpha) over the simplex of K = alpha.Length values: density
/// Gamma(sum alpha) / prod Gamma(alpha_i) prod x_i^(alpha_i - 1); each marginal x_i is Beta(alpha_i, sum - alpha_i).
/// </summary>
public sealed class Dirichlet : IMultivariateDistribution
{
    /// <summary>How far from 1 the sum of a point may be and still lie on the simplex: a point that went through
    /// float32 storage (a batch, a prior) is off by up to about K 6e-8.</summary>
    public const double SimplexTolerance = 1e-5;

    private readonly double[] _alpha;
    private readonly double _logNormalizer;

    /// <summary>A Dirichlet with concentrations <paramref name="alpha"/> (K &gt;= 2 values, each finite,
    /// &gt; 0).</summary>
    public Dirichlet(params double[] alpha)
    {
        Check.Vector(alpha, nameof(alpha), nameof(Dirichlet), 2);
        double sum = 0, logNormalizer = 0;
        for (int i = 0; i < alpha.Length; i++)
        {
            Check.Positive(alpha[i], $"{nameof(alpha)}[{i}]", nameof(Dirichlet));
            sum += alpha[i];
            logNormalizer -= SpecialFunctions.LogGamma(alpha[i]);
        }
        _alpha = (double[])alpha.Clone();
        _logNormalizer = logNormalizer + SpecialFunctions.LogGamma(sum);
        Concentration = sum;
    }

    /// <inheritdoc/>
    public int Dimension => _alpha.Length;

    /// <summary>The concentrations (K).</summary>
    public ReadOnlySpan<double> Alpha => _alpha;

    /// <summary>sum alpha, the total concentration.</summary>
    public double Concentration { get; }

    /// <inheritdoc/>
    /// <remarks>x_i = G_i / sum_j G_j with G_i ~ Gamma(alpha_i, 1) independent.</remarks>
    public void Sample(Rng rng, Span<double> destination)
    {
        if (destination.Length != Dimension)
            throw new ArgumentException($"Dirichlet: destination holds {destination.Length} values; expected " +
                $"{Dimension}.", nameof(destination));
        double sum = 0;
        for (int i = 0; i < _alpha.Length; i++)
        {
            destination[i] = SpecialFunctions.SampleGamma(_alpha[i], rng);
            sum += destination[i];
        }
        for (int i = 0; i < _alpha.Length; i++) destination[i] /= sum;
    }

    /// <inheritdoc/>
    public double LogDensity(ReadOnlySpan<double> x)
    {
        if (x.Length != Dimension)
            throw new ArgumentException($"Dirichlet: x holds {x.Length} values; expected {Dimension}.", nameof(x));
        double sum = 0, logp = _logNormalizer;
        for (int i = 0; i < x.Length; i++)
        {
            if (!(x[i] >= 0)) return double.NegativeInfinity;
            sum += x[i];
            logp += LogMath.XLogY(_alpha[i] - 1, x[i]);
        }
        return Math.Abs(sum - 1) <= SimplexTolerance ? logp : double.NegativeInfinity;
    }
}
