using Amortized.Tensors;

namespace Amortized.Networks;

/// <summary>
/// Layer normalisation over the last axis with learned scale (ones) and shift (zeros) (Ba et al. 2016).
/// Shapes: x (..., D) -> (..., D).
/// </summary>
public sealed class LayerNorm : Module
{
    /// <summary>Creates the layer for feature width <paramref name="features"/>.</summary>
    public LayerNorm(ParameterStore store, string name, int features, Rng rng, float epsilon = 1e-5f) : base(name)
    {
        Features = features;
        Epsilon = epsilon;
        Gamma = AddParameter(store, "gamma", new Shape(features), Initializer.Ones, rng);
        Beta = AddParameter(store, "beta", new Shape(features), Initializer.Zeros, rng);
    }

    /// <summary>Feature width D.</summary>
    public int Features { get; }

    /// <summary>Variance floor.</summary>
    public float Epsilon { get; }

    /// <summary>Scale (D).</summary>
    public Tensor Gamma { get; }

    /// <summary>Shift (D).</summary>
    public Tensor Beta { get; }

    /// <summary>Normalises x (..., D).</summary>
    public Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return x.LayerNorm(Gamma, Beta, Epsilon);
    }

    /// <inheritdoc />
    protected override string Describe() => $"LayerNorm({Features})";
}
