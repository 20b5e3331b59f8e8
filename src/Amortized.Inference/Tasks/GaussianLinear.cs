using Amortized.Tensors;

namespace Amortized.Inference.Tasks;

/// <summary>gaussian_linear: theta ~ N(0, 0.1 I_10), x ~ N(theta, 0.1 I_10); posterior N(x/2, 0.05 I).</summary>
public sealed class GaussianLinear : BenchmarkTask
{
    private static readonly string[] s_params = Names("theta", 10), s_data = Names("x", 10);
    private static readonly float s_std = MathF.Sqrt(0.1f);

    /// <inheritdoc/>
    public override string Name => "gaussian_linear";
    /// <inheritdoc/>
    public override IReadOnlyList<string> ParameterNames => s_params;
    /// <inheritdoc/>
    public override IReadOnlyList<string> DataNames => s_data;

    /// <inheritdoc/>
    public override void SamplePrior(Rng rng, Span<float> theta) => rng.FillNormal(theta, 0f, s_std);

    /// <inheritdoc/>
    public override void Simulate(ReadOnlySpan<float> theta, Rng rng, Span<float> x)
    {
        CheckTheta(theta);
        for (int i = 0; i < x.Length; i++) x[i] = theta[i] + s_std * rng.Normal();
    }

    /// <inheritdoc/>
    public override double LogPrior(ReadOnlySpan<float> theta)
    {
        double sum = 0;
        foreach (float t in theta) sum += LogNormal1(t, 0, Math.Sqrt(0.1));
        return sum;
    }

    /// <inheritdoc/>
    public override bool HasLogLikelihood => true;

    /// <inheritdoc/>
    public override bool HasExactPosterior => true;

    /// <summary>N(x; theta, 0.1 I).</summary>
    protected override double LogLikelihoodCore(ReadOnlySpan<float> theta, ReadOnlySpan<float> x) =>
        NoiseLogDensity(theta, x);

    /// <summary>log N(x; theta, 0.1 I), the noise model gaussian_linear and gaussian_linear_uniform share.</summary>
    internal static double NoiseLogDensity(ReadOnlySpan<float> theta, ReadOnlySpan<float> x)
    {
        double sum = 0, std = Math.Sqrt(0.1);
        for (int i = 0; i < x.Length; i++) sum += LogNormal1(x[i], theta[i], std);
        return sum;
    }

    /// <summary>A draw from N(x/2, 0.05 I) (conjugate: prior and noise variances are equal).</summary>
    protected override void SampleExactPosteriorRow(ReadOnlySpan<float> x, Rng rng, Span<float> theta)
    {
        double std = Math.Sqrt(0.05);
        for (int i = 0; i < theta.Length; i++) theta[i] = (float)(x[i] / 2.0 + std * rng.Normal());
    }

    /// <summary>The analytic posterior N(x/2, 0.05 I): its mean (length 10) and the common variance.</summary>
    public static (double[] Mean, double Variance) Posterior(ReadOnlySpan<float> x)
    {
        var mean = new double[x.Length];
        for (int i = 0; i < x.Length; i++) mean[i] = x[i] / 2.0;
        return (mean, 0.05);
    }
}
