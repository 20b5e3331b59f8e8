using Amortized.Tensors;

namespace Amortized.Networks.Flows;

/// <summary>The latent distribution of a flow. Shapes: z (B, D), log density (B).</summary>
public abstract class BaseDistribution
{
    /// <summary>Creates the distribution over R^<paramref name="dimension"/>.</summary>
    protected BaseDistribution(int dimension)
    {
        if (dimension <= 0)
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "Dimension must be positive.");
        Dimension = dimension;
    }

    /// <summary>D.</summary>
    public int Dimension { get; }

    /// <summary>log p(z) per row, differentiable in z.</summary>
    public abstract Tensor LogProb(Tensor z);

    /// <summary>Fills <paramref name="destination"/> (B * D, row-major) with draws.</summary>
    public abstract void Sample(Span<float> destination, Rng rng);

    /// <summary>Draws (n, D) samples.</summary>
    public Tensor Sample(int n, Rng rng)
    {
        if (BackendScope.Current is Tensors.Backends.CpuBackend)
        {
            var z = Tensor.Zeros(new Shape(n, Dimension));
            Sample(z.Span, rng);
            return z;
        }
        // Drawn on the host from the seeded generator (the same numbers on every device), then placed on the
        // ambient device: one upload per call.
        var host = System.Buffers.ArrayPool<float>.Shared.Rent(n * Dimension);
        Sample(host.AsSpan(0, n * Dimension), rng);
        var result = Tensor.Upload(host.AsSpan(0, n * Dimension), new Shape(n, Dimension));
        System.Buffers.ArrayPool<float>.Shared.Return(host);
        return result;
    }

    /// <summary>Checks z is (B, D).</summary>
    protected void CheckShape(Tensor z)
    {
        ArgumentNullException.ThrowIfNull(z);
        if (z.Rank != 2 || z.Shape[1] != Dimension)
            throw new ArgumentException($"{GetType().Name}: z is {z.Shape}; expected (B, {Dimension}).", nameof(z));
    }
}

/// <summary>N(0, I_D): log p(z) = -|z|^2 / 2 - D/2 log(2 pi).</summary>
public sealed class StandardNormal(int dimension) : BaseDistribution(dimension)
{
    private static readonly float s_halfLog2Pi = 0.5f * MathF.Log(2f * MathF.PI);

    /// <inheritdoc />
    public override Tensor LogProb(Tensor z)
    {
        CheckShape(z);
        return z.Square().Sum(1) * -0.5f - Dimension * s_halfLog2Pi;
    }

    /// <inheritdoc />
    public override void Sample(Span<float> destination, Rng rng) => rng.FillNormal(destination);
}

/// <summary>
/// Multivariate Student-t with <see cref="DegreesOfFreedom"/> nu, location 0 and identity scale:
/// log p(z) = lgamma((nu + D)/2) - lgamma(nu/2) - D/2 log(nu pi) - (nu + D)/2 log(1 + |z|^2 / nu).
/// Heavier tails than the normal help flows with outlying data (Alexanderson and Henter 2020).
/// </summary>
public sealed class StudentT : BaseDistribution
{
    private readonly float _logNormalizer;

    /// <summary>Creates the distribution; nu must be positive.</summary>
    public StudentT(int dimension, float degreesOfFreedom) : base(dimension)
    {
        if (!(degreesOfFreedom > 0f)) throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom,
            "Degrees of freedom must be positive.");
        DegreesOfFreedom = degreesOfFreedom;
        double nu = degreesOfFreedom;
        _logNormalizer = (float)(SpecialFunctions.LogGamma((nu + dimension) / 2) - SpecialFunctions.LogGamma(nu / 2)
            - dimension / 2.0 * Math.Log(nu * Math.PI));
    }

    /// <summary>nu.</summary>
    public float DegreesOfFreedom { get; }

    /// <inheritdoc />
    public override Tensor LogProb(Tensor z)
    {
        CheckShape(z);
        float nu = DegreesOfFreedom;
        var quad = z.Square().Sum(1) * (1f / nu) + 1f;
        return quad.Log() * (-(nu + Dimension) / 2f) + _logNormalizer;
    }

    /// <inheritdoc />
    public override void Sample(Span<float> destination, Rng rng)
    {
        // z = g / sqrt(w / nu) with g ~ N(0, I) and w ~ chi^2_nu = Gamma(nu / 2, scale 2), one w per row.
        int d = Dimension;
        for (int row = 0; row + d <= destination.Length; row += d)
        {
            double w = 2.0 * SpecialFunctions.SampleGamma(DegreesOfFreedom / 2.0, rng);
            float scale = (float)Math.Sqrt(DegreesOfFreedom / w);
            for (int j = 0; j < d; j++) destination[row + j] = rng.Normal() * scale;
        }
    }
}
