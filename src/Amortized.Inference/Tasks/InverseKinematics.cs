using Amortized.Tensors;

namespace Amortized.Inference.Tasks;

/// <summary>
/// inverse_kinematics (BayesFlow; Kruse et al. 2021): theta ~ N(0, diag(0.25, 0.5, 0.5, 0.5)^2), arm lengths
/// (0.5, 0.5, 1.0); x = end point of the arm: x1 = theta1 + sum_k l_k sin(phi_k), x2 = sum_k l_k cos(phi_k),
/// with phi_k the cumulative joint angles theta2, theta2 + theta3, theta2 + theta3 + theta4.
/// No <see cref="BenchmarkTask.LogLikelihood"/>: x is a noise-free function of theta, so p(x | theta) is a point
/// mass with no density.
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
