using Amortized.Tensors;

namespace Amortized.Inference.Tasks;

/// <summary>
/// two_moons: theta ~ U(-1,1)^2; a ~ U(-pi/2, pi/2), r ~ N(0.1, 0.01^2);
/// x = (r cos a + 0.25, r sin a) + (-|theta1 + theta2|/sqrt 2, (theta2 - theta1)/sqrt 2).
/// </summary>
public sealed class TwoMoons : BenchmarkTask
{
    private static readonly string[] s_params = Names("theta", 2), s_data = Names("x", 2);

    /// <inheritdoc/>
    public override string Name => "two_moons";
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
        double a = rng.Uniform(-MathF.PI / 2, MathF.PI / 2);
        double r = rng.Normal(0.1f, 0.01f);
        Moons(theta[0], theta[1], a, r, x);
    }

    /// <summary>The deterministic part of the simulator given the noise (a, r).</summary>
    public static void Moons(double theta1, double theta2, double a, double r, Span<float> x)
    {
        x[0] = (float)(r * Math.Cos(a) + 0.25 - Math.Abs(theta1 + theta2) / Math.Sqrt(2));
        x[1] = (float)(r * Math.Sin(a) + (theta2 - theta1) / Math.Sqrt(2));
    }

    /// <summary>U(-1, 1) on every parameter.</summary>
    public override ParameterSupport Support => new(-1, 1);

    /// <inheritdoc/>
    public override double LogPrior(ReadOnlySpan<float> theta) => LogUniform(theta, -1, 1);
}
