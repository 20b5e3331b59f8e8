using Amortized.Tensors;

namespace Amortized.Inference.Tasks;

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

    /// <summary>theta3 and theta4 enter only squared (s1 = theta3^2, s2 = theta4^2) and the prior is symmetric.</summary>
    public override IReadOnlyList<int> SignSymmetricParameters => [2, 3];

    /// <summary>U(-3, 3) on every parameter.</summary>
    public override ParameterSupport Support => new(-3, 3);

    /// <inheritdoc/>
    public override double LogPrior(ReadOnlySpan<float> theta) => LogUniform(theta, -3, 3);

    /// <inheritdoc/>
    public override bool HasLogLikelihood => true;

    /// <summary>Sum over the four pairs of the 2-D normal log density N(z_j; m, S), S as in the simulator.</summary>
    protected override double LogLikelihoodCore(ReadOnlySpan<float> theta, ReadOnlySpan<float> x)
    {
        double s1 = (double)theta[2] * theta[2], s2 = (double)theta[3] * theta[3], rho = Math.Tanh(theta[4]);
        double c11 = s1 * s1 + 1e-6, c21 = rho * s1 * s2;
        // det S = c11 c22 - c21^2 expanded so that no cancellation happens when |rho| is near 1:
        // (1 - rho^2) = 1 / cosh^2(theta5).
        double cosh = Math.Cosh(theta[4]);
        double det = s1 * s1 * s2 * s2 / (cosh * cosh) + 1e-6 * (s1 * s1 + s2 * s2) + 1e-12;
        double l11 = Math.Sqrt(c11), l21 = c21 / l11, l22 = Math.Sqrt(det / c11);
        double sum = 0;
        for (int j = 0; j < 4; j++)
        {
            double d0 = x[2 * j] - (double)theta[0], d1 = x[2 * j + 1] - (double)theta[1];
            // Solve L w = d; the quadratic form d^T S^-1 d = |w|^2.
            double w0 = d0 / l11, w1 = (d1 - l21 * w0) / l22;
            sum += -0.5 * (w0 * w0 + w1 * w1);
        }
        return sum - 4 * (0.5 * Math.Log(det) + Math.Log(2 * Math.PI));
    }
}
