using Amortized.Tensors;

namespace Amortized.Inference.Tasks;

/// <summary>
/// gaussian_mixture: theta ~ U(-10,10)^2; x ~ N(theta, I) or N(theta, 0.01 I), each with probability 1/2.
/// </summary>
public sealed class GaussianMixture : BenchmarkTask
{
    private static readonly string[] s_params = Names("theta", 2), s_data = Names("x", 2);

    /// <inheritdoc/>
    public override string Name => "gaussian_mixture";
    /// <inheritdoc/>
    public override IReadOnlyList<string> ParameterNames => s_params;
    /// <inheritdoc/>
    public override IReadOnlyList<string> DataNames => s_data;

    /// <inheritdoc/>
    public override void SamplePrior(Rng rng, Span<float> theta) => rng.FillUniform(theta, -10f, 10f);

    /// <inheritdoc/>
    public override void Simulate(ReadOnlySpan<float> theta, Rng rng, Span<float> x)
    {
        CheckTheta(theta);
        float std = rng.NextFloat() < 0.5f ? 1f : 0.1f;
        for (int i = 0; i < 2; i++) x[i] = theta[i] + std * rng.Normal();
    }

    /// <summary>U(-10, 10) on every parameter.</summary>
    public override ParameterSupport Support => new(-10, 10);

    /// <inheritdoc/>
    public override double LogPrior(ReadOnlySpan<float> theta) => LogUniform(theta, -10, 10);
}
