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

    /// <inheritdoc/>
    public override bool HasLogLikelihood => true;

    /// <inheritdoc/>
    public override bool HasExactPosterior => true;

    /// <summary>0.5 N(x; theta, I) + 0.5 N(x; theta, 0.01 I), combined by log-sum-exp.</summary>
    protected override double LogLikelihoodCore(ReadOnlySpan<float> theta, ReadOnlySpan<float> x)
    {
        double wide = 0, narrow = 0;
        for (int i = 0; i < 2; i++)
        {
            wide += LogNormal1(x[i], theta[i], 1);
            narrow += LogNormal1(x[i], theta[i], 0.1);
        }
        double max = Math.Max(wide, narrow);
        return Math.Log(0.5) + max + Math.Log(Math.Exp(wide - max) + Math.Exp(narrow - max));
    }

    /// <summary>
    /// The likelihood is symmetric in x and theta, so under the flat prior the posterior is the same mixture
    /// 0.5 N(theta; x, I) + 0.5 N(theta; x, 0.01 I) restricted to the box: drawing from the mixture and rejecting
    /// draws outside [-10, 10]^2 is exact.
    /// </summary>
    protected override void SampleExactPosteriorRow(ReadOnlySpan<float> x, Rng rng, Span<float> theta)
    {
        for (int tries = 0; tries < MaxRejectionTries; tries++)
        {
            double std = rng.NextDouble() < 0.5 ? 1 : 0.1;
            double t0 = x[0] + std * rng.Normal(), t1 = x[1] + std * rng.Normal();
            if (Math.Abs(t0) <= 10 && Math.Abs(t1) <= 10)
            {
                theta[0] = (float)t0;
                theta[1] = (float)t1;
                return;
            }
        }
        throw new InvalidOperationException($"{Name}: no posterior draw inside [-10, 10]^2 in {MaxRejectionTries} " +
            $"tries; x = ({x[0]}, {x[1]}) is too far from the prior predictive.");
    }
}
