using Amortized.Tensors;

namespace Amortized.Inference.Tasks;

/// <summary>gaussian_linear_uniform: theta ~ U(-1,1)^10, x ~ N(theta, 0.1 I_10).</summary>
public sealed class GaussianLinearUniform : BenchmarkTask
{
    private static readonly string[] s_params = Names("theta", 10), s_data = Names("x", 10);
    private static readonly float s_std = MathF.Sqrt(0.1f);

    /// <inheritdoc/>
    public override string Name => "gaussian_linear_uniform";
    /// <inheritdoc/>
    public override IReadOnlyList<string> ParameterNames => s_params;
    /// <inheritdoc/>
    public override IReadOnlyList<string> DataNames => s_data;

    /// <inheritdoc/>
    public override void SamplePrior(Rng rng, Span<float> theta) => rng.FillUniform(theta, -1f, 1f);

    /// <inheritdoc/>
    public override void Simulate(ReadOnlySpan<float> theta, Rng rng, Span<float> x)
    {
        CheckTheta(theta);
        for (int i = 0; i < x.Length; i++) x[i] = theta[i] + s_std * rng.Normal();
    }

    /// <summary>U(-1, 1) on every parameter.</summary>
    public override ParameterSupport Support => new(-1, 1);

    /// <inheritdoc/>
    public override double LogPrior(ReadOnlySpan<float> theta) => LogUniform(theta, -1, 1);

    /// <inheritdoc/>
    public override bool HasLogLikelihood => true;

    /// <inheritdoc/>
    public override bool HasExactPosterior => true;

    /// <summary>N(x; theta, 0.1 I).</summary>
    protected override double LogLikelihoodCore(ReadOnlySpan<float> theta, ReadOnlySpan<float> x) =>
        GaussianLinear.NoiseLogDensity(theta, x);

    /// <summary>
    /// The posterior factorises: theta_i | x ~ N(x_i, 0.1) truncated to [-1, 1], drawn per coordinate by
    /// <see cref="TruncatedNormal"/>, which stays exact (and fast) when x_i lies far outside [-1, 1], where plain
    /// rejection from N(x_i, 0.1) would almost never accept.
    /// </summary>
    protected override void SampleExactPosteriorRow(ReadOnlySpan<float> x, Rng rng, Span<float> theta)
    {
        double std = Math.Sqrt(0.1);
        for (int i = 0; i < theta.Length; i++)
        {
            double z = TruncatedNormal.Sample((-1 - x[i]) / std, (1 - x[i]) / std, rng);
            // float rounding can push x + std z a hair outside the prior's support; the clamp keeps LogPrior finite.
            theta[i] = Math.Clamp((float)(x[i] + std * z), -1f, 1f);
        }
    }
}
