using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>
/// A distribution over vectors of <see cref="Dimension"/> values (D). A matrix-valued one (LKJ) stores its
/// matrix row-major in the vector.
/// </summary>
public interface IMultivariateDistribution
{
    /// <summary>D, the number of values in one draw.</summary>
    int Dimension { get; }

    /// <summary>Writes one draw (D) to <paramref name="destination"/>, using only <paramref name="rng"/>.</summary>
    void Sample(Rng rng, Span<double> destination);

    /// <summary>log p(x) of one point x (D); negative infinity outside the support.</summary>
    double LogDensity(ReadOnlySpan<double> x);
}
