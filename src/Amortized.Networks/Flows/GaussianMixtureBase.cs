using Amortized.Tensors;

namespace Amortized.Networks.Flows;

/// <summary>
/// The trainable parameters of a <see cref="DiagonalGaussianMixture"/> latent distribution as a module, so they live in
/// the flow's <see cref="ParameterStore"/> (trained, saved and loaded with the rest): "{name}.logits" (K),
/// "{name}.means" (K, D) and "{name}.log_scales" (K, D).
/// </summary>
/// <remarks>
/// Initialisation keeps a fresh flow close to N(0, I): equal weights (logits 0) and unit scales (log-scales 0), with
/// the means drawn from N(0, <see cref="InitialMeanSpread"/>^2 I) rather than all at zero. Identical components
/// would receive identical gradients and never separate; a small spread breaks that symmetry while the mixture's
/// covariance stays (1 + 0.25^2) I on average, about 3% wider than the standard normal.
/// </remarks>
public sealed class GaussianMixtureBase : Module
{
    /// <summary>Standard deviation of the initial component means.</summary>
    public const float InitialMeanSpread = 0.25f;

    /// <summary>Creates K components over R^D.</summary>
    public GaussianMixtureBase(ParameterStore store, string name, int components, int dimension, Rng rng) : base(name)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (components <= 0)
            throw new ArgumentOutOfRangeException(nameof(components), components, "Components must be positive.");
        if (dimension <= 0)
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "Dimension must be positive.");
        var logits = AddParameter(store, "logits", new Shape(components), Initializer.Zeros, rng);
        var means = AddParameter(store, "means", new Shape(components, dimension), Initializer.Zeros, rng);
        var logScales = AddParameter(store, "log_scales", new Shape(components, dimension), Initializer.Zeros, rng);
        // The store is on the host while a model is built (ParameterStore.Add refuses otherwise).
        var spread = means.Span;
        for (int i = 0; i < spread.Length; i++) spread[i] = InitialMeanSpread * rng.Normal();
        Distribution = new DiagonalGaussianMixture(logits, means, logScales);
    }

    /// <summary>The distribution over this module's parameters.</summary>
    public DiagonalGaussianMixture Distribution { get; }

    /// <inheritdoc />
    protected override string Describe() =>
        $"GaussianMixtureBase(K={Distribution.Components}, D={Distribution.Dimension})";
}
