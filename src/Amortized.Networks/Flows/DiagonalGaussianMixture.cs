using Amortized.Tensors;

namespace Amortized.Networks.Flows;

/// <summary>
/// A K-component Gaussian mixture with diagonal covariances as a flow's latent distribution:
/// p(z) = sum_k w_k N(z; mu_k, diag(s_k^2)), w = softmax(logits), s_k = exp(log_s_k). Its parameters are tensors
/// (usually trainable slices of the flow's <see cref="ParameterStore"/>, see <see cref="GaussianMixtureBase"/>), so
/// the log density is differentiable in z and in the parameters. Shapes: logits (K), means (K, D), log-scales
/// (K, D), z (B, D), log density (B).
/// </summary>
/// <remarks>
/// A multimodal base lets a flow put separate modes into separate components instead of tearing one Gaussian apart
/// with steep layers (Izmailov et al. 2020, "Semi-supervised learning with normalizing flows"; BayesFlow's
/// <c>Mixture</c> base). The log density is a log-sum-exp over components, so no component's underflow matters.
/// </remarks>
public sealed class DiagonalGaussianMixture : BaseDistribution
{
    private static readonly float s_halfLog2Pi = 0.5f * MathF.Log(2f * MathF.PI);

    /// <summary>Creates the mixture over the given parameter tensors (read at each call, so training moves it).
    /// </summary>
    /// <exception cref="ArgumentException">The shapes disagree.</exception>
    public DiagonalGaussianMixture(Tensor logits, Tensor means, Tensor logScales)
        : base(means is { Rank: 2 } ? means.Shape[1] : throw new ArgumentException(
            $"DiagonalGaussianMixture: means must be (K, D); got {means?.Shape}.", nameof(means)))
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(logScales);
        int k = means.Shape[0];
        if (logits.Rank != 1 || logits.Shape[0] != k)
            throw new ArgumentException($"DiagonalGaussianMixture: logits are {logits.Shape}; expected ({k}).",
                nameof(logits));
        if (logScales.Shape != means.Shape)
            throw new ArgumentException(
                $"DiagonalGaussianMixture: log-scales are {logScales.Shape}; expected {means.Shape}.",
                nameof(logScales));
        Logits = logits;
        Means = means;
        LogScales = logScales;
    }

    /// <summary>K.</summary>
    public int Components => Means.Shape[0];

    /// <summary>Unnormalised log weights (K).</summary>
    public Tensor Logits { get; }

    /// <summary>Component means (K, D).</summary>
    public Tensor Means { get; }

    /// <summary>Component log standard deviations (K, D).</summary>
    public Tensor LogScales { get; }

    /// <inheritdoc />
    /// <remarks>
    /// log p(z) = logsumexp_k [ log w_k + sum_d ( -(z_d - mu_kd)^2 / (2 s_kd^2) - log s_kd ) ] - D/2 log(2 pi), with
    /// log w = logits - logsumexp(logits); z is broadcast as (B, 1, D) against the components (1, K, D).
    /// </remarks>
    public override Tensor LogProb(Tensor z)
    {
        CheckShape(z);
        int b = z.Shape[0], k = Components, d = Dimension;
        var standardized = (z.Reshape(b, 1, d) - Means.Reshape(1, k, d)) * (-LogScales).Exp().Reshape(1, k, d);
        var perComponent = standardized.Square().Sum(2) * -0.5f - LogScales.Sum(1).Reshape(1, k);   // (B, K)
        var logWeights = Logits - Logits.LogSumExp(0, keepDims: true);                              // (K)
        return (perComponent + logWeights.Reshape(1, k)).LogSumExp(1) - d * s_halfLog2Pi;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Per row: a component k by inverting the cumulative weights at one uniform draw, then mu_k + s_k n with
    /// n ~ N(0, I); every number comes from <paramref name="rng"/> in row order, so draws are reproducible. The
    /// parameters are read to the host once per call (they may live on a device).
    /// </remarks>
    public override void Sample(Span<float> destination, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int k = Components, d = Dimension;
        var logits = Logits.ToArray();
        var means = Means.ToArray();
        var logScales = LogScales.ToArray();
        var cumulative = new double[k];
        double max = double.NegativeInfinity, total = 0;
        for (int j = 0; j < k; j++) max = Math.Max(max, logits[j]);
        for (int j = 0; j < k; j++) cumulative[j] = total += Math.Exp(logits[j] - max);
        for (int row = 0; row + d <= destination.Length; row += d)
        {
            double u = rng.NextDouble() * total;
            int component = k - 1;
            for (int j = 0; j < k; j++)
            {
                if (u < cumulative[j]) { component = j; break; }
            }
            for (int i = 0; i < d; i++)
            {
                int at = component * d + i;
                destination[row + i] = means[at] + MathF.Exp(logScales[at]) * rng.Normal();
            }
        }
    }
}
