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

    /// <inheritdoc/>
    public override bool HasLogLikelihood => true;

    /// <inheritdoc/>
    public override bool HasExactPosterior => true;

    /// <summary>
    /// x - c(theta) = p = (r cos a, r sin a) with c(theta) = (0.25 - |theta1 + theta2|/sqrt 2,
    /// (theta2 - theta1)/sqrt 2); the density of p is N(r; 0.1, 0.01^2) (1/pi) / |p| (polar Jacobian). The angle
    /// range (-pi/2, pi/2) ties the sign of r to the sign of p0, so a point with p0 &lt; 0 comes from r = -|p| &lt; 0
    /// (mass ~1e-23, kept for exactness rather than returning negative infinity); p = 0 has no density.
    /// </summary>
    protected override double LogLikelihoodCore(ReadOnlySpan<float> theta, ReadOnlySpan<float> x)
    {
        double p0 = x[0] + Math.Abs((double)theta[0] + theta[1]) / Math.Sqrt(2) - 0.25;
        double p1 = x[1] - ((double)theta[1] - theta[0]) / Math.Sqrt(2);
        double rho = Math.Sqrt(p0 * p0 + p1 * p1);
        if (rho == 0) return double.NegativeInfinity;
        double r = p0 >= 0 ? rho : -rho;
        return LogNormal1(r, 0.1, 0.01) - Math.Log(Math.PI * rho);
    }

    /// <summary>
    /// Draws the noise (a, r) from its distribution and solves x = c(theta) + (r cos a, r sin a) for theta:
    /// |theta1 + theta2| = sqrt 2 (r cos a + 0.25 - x0) (no solution when negative: rejected) and
    /// theta2 - theta1 = sqrt 2 (x1 - r sin a), with the sign of theta1 + theta2 + or - with probability 1/2.
    /// Why exact: the map theta -&gt; c(theta) has |Jacobian| 1 on each sign branch, so the solved theta has density
    /// p_noise(x - c(theta)) / 2 = p(x | theta) / 2 on R^2; rejecting draws outside [-1, 1]^2 multiplies by the
    /// uniform prior, which leaves p(theta | x).
    /// </summary>
    protected override void SampleExactPosteriorRow(ReadOnlySpan<float> x, Rng rng, Span<float> theta)
    {
        for (int tries = 0; tries < MaxRejectionTries; tries++)
        {
            double a = rng.Uniform(-MathF.PI / 2, MathF.PI / 2);
            double r = rng.Normal(0.1f, 0.01f);
            double u = Math.Sqrt(2) * (r * Math.Cos(a) + 0.25 - x[0]);   // |theta1 + theta2|
            double v = Math.Sqrt(2) * (x[1] - r * Math.Sin(a));          // theta2 - theta1
            if (u < 0) continue;
            if (rng.NextDouble() < 0.5) u = -u;
            double t1 = 0.5 * (u - v), t2 = 0.5 * (u + v);
            if (Math.Abs(t1) <= 1 && Math.Abs(t2) <= 1)
            {
                theta[0] = (float)t1;
                theta[1] = (float)t2;
                return;
            }
        }
        throw new InvalidOperationException($"{Name}: no posterior draw inside [-1, 1]^2 in {MaxRejectionTries} " +
            $"tries; x = ({x[0]}, {x[1]}) is too far from the prior predictive.");
    }
}
