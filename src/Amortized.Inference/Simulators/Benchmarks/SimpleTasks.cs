using Amortized.Tensors;

namespace Amortized.Inference.Simulators.Benchmarks;

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

    /// <inheritdoc/>
    public override double LogPrior(ReadOnlySpan<float> theta) => LogUniform(theta, -1, 1);
}

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

    /// <summary>The analytic posterior N(x/2, 0.05 I): its mean (length 10) and the common variance.</summary>
    public static (double[] Mean, double Variance) Posterior(ReadOnlySpan<float> x)
    {
        var mean = new double[x.Length];
        for (int i = 0; i < x.Length; i++) mean[i] = x[i] / 2.0;
        return (mean, 0.05);
    }
}

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

    /// <inheritdoc/>
    public override double LogPrior(ReadOnlySpan<float> theta) => LogUniform(theta, -1, 1);
}

/// <summary>
/// slcp: theta ~ U(-3,3)^5; m = (theta1, theta2), s1 = theta3^2, s2 = theta4^2, rho = tanh(theta5),
/// S = [[s1^2, rho s1 s2], [rho s1 s2, s2^2]] + 1e-6 I; four draws z_j ~ N(m, S); x = (z1, z2, z3, z4).
/// </summary>
public sealed class Slcp : BenchmarkTask
{
    private static readonly string[] s_params = Names("theta", 5), s_data = Names("x", 8);

    /// <inheritdoc/>
    public override string Name => "slcp";
    /// <inheritdoc/>
    public override IReadOnlyList<string> ParameterNames => s_params;
    /// <inheritdoc/>
    public override IReadOnlyList<string> DataNames => s_data;

    /// <inheritdoc/>
    public override void SamplePrior(Rng rng, Span<float> theta) => rng.FillUniform(theta, -3f, 3f);

    /// <inheritdoc/>
    public override void Simulate(ReadOnlySpan<float> theta, Rng rng, Span<float> x)
    {
        CheckTheta(theta);
        double s1 = (double)theta[2] * theta[2], s2 = (double)theta[3] * theta[3], rho = Math.Tanh(theta[4]);
        // S = L L^T with L = [[l11, 0], [l21, l22]] (2 x 2 Cholesky).
        double c11 = s1 * s1 + 1e-6, c21 = rho * s1 * s2, c22 = s2 * s2 + 1e-6;
        double l11 = Math.Sqrt(c11), l21 = c21 / l11, l22 = Math.Sqrt(Math.Max(c22 - l21 * l21, 0));
        for (int j = 0; j < 4; j++)
        {
            double z0 = rng.Normal(), z1 = rng.Normal();
            x[2 * j] = (float)(theta[0] + l11 * z0);
            x[2 * j + 1] = (float)(theta[1] + l21 * z0 + l22 * z1);
        }
    }

    /// <inheritdoc/>
    public override double LogPrior(ReadOnlySpan<float> theta) => LogUniform(theta, -3, 3);
}

/// <summary>gaussian_mixture: theta ~ U(-10,10)^2; x ~ N(theta, I) or N(theta, 0.01 I), each with probability 1/2.</summary>
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

    /// <inheritdoc/>
    public override double LogPrior(ReadOnlySpan<float> theta) => LogUniform(theta, -10, 10);
}

/// <summary>
/// inverse_kinematics (BayesFlow; Kruse et al. 2021): theta ~ N(0, diag(0.25, 0.5, 0.5, 0.5)^2), arm lengths
/// (0.5, 0.5, 1.0); x = end point of the arm: x1 = theta1 + sum_k l_k sin(phi_k), x2 = sum_k l_k cos(phi_k),
/// with phi_k the cumulative joint angles theta2, theta2 + theta3, theta2 + theta3 + theta4.
/// </summary>
public sealed class InverseKinematics : BenchmarkTask
{
    private static readonly string[] s_params = Names("theta", 4), s_data = Names("x", 2);
    private static readonly float[] s_std = [0.25f, 0.5f, 0.5f, 0.5f];
    private static readonly double[] s_lengths = [0.5, 0.5, 1.0];

    /// <inheritdoc/>
    public override string Name => "inverse_kinematics";
    /// <inheritdoc/>
    public override IReadOnlyList<string> ParameterNames => s_params;
    /// <inheritdoc/>
    public override IReadOnlyList<string> DataNames => s_data;

    /// <inheritdoc/>
    public override void SamplePrior(Rng rng, Span<float> theta)
    {
        for (int i = 0; i < 4; i++) theta[i] = s_std[i] * rng.Normal();
    }

    /// <inheritdoc/>
    public override void Simulate(ReadOnlySpan<float> theta, Rng rng, Span<float> x)
    {
        CheckTheta(theta);
        double phi = 0, x1 = theta[0], x2 = 0;
        for (int k = 0; k < 3; k++)
        {
            phi += theta[k + 1];
            x1 += s_lengths[k] * Math.Sin(phi);
            x2 += s_lengths[k] * Math.Cos(phi);
        }
        x[0] = (float)x1;
        x[1] = (float)x2;
    }

    /// <inheritdoc/>
    public override double LogPrior(ReadOnlySpan<float> theta)
    {
        double sum = 0;
        for (int i = 0; i < 4; i++) sum += LogNormal1(theta[i], 0, s_std[i]);
        return sum;
    }
}
