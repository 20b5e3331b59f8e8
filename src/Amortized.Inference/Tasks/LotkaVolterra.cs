using Amortized.Networks.Numerics;
using Amortized.Tensors;

namespace Amortized.Inference.Tasks;

/// <summary>
/// lotka_volterra (sbibm): alpha, gamma ~ LogNormal(-0.125, 0.5), beta, delta ~ LogNormal(-3, 0.5);
/// dX/dt = alpha X - beta X Y, dY/dt = -gamma Y + delta X Y, X0 = 30, Y0 = 1; at t = 0, 2.1, ..., 18.9
/// x = exp(log(clamp(u, 1e-10, 1e4)) + 0.1 eps), the 10 prey values then the 10 predator values.
/// </summary>
public sealed class LotkaVolterra : BenchmarkTask
{
    private static readonly string[] s_params = ["alpha", "beta", "gamma", "delta"];
    private static readonly string[] s_data = [.. Names("prey", 10), .. Names("predator", 10)];
    private static readonly double[] s_mu = [-0.125, -3, -0.125, -3];
    private static readonly double[] s_times = [0, 2.1, 4.2, 6.3, 8.4, 10.5, 12.6, 14.7, 16.8, 18.9];
    private static readonly OdeOptions s_ode =
        new() { RelativeTolerance = 1e-8, AbsoluteTolerance = 1e-8, MaxSteps = 200_000 };

    private volatile CacheEntry? _cache;

    /// <inheritdoc/>
    public override string Name => "lotka_volterra";
    /// <inheritdoc/>
    public override IReadOnlyList<string> ParameterNames => s_params;
    /// <inheritdoc/>
    public override IReadOnlyList<string> DataNames => s_data;

    /// <inheritdoc/>
    public override void SamplePrior(Rng rng, Span<float> theta)
    {
        for (int i = 0; i < 4; i++) theta[i] = (float)Math.Exp(s_mu[i] + 0.5 * rng.Normal());
    }

    /// <summary>The noise-free trajectory u: 10 prey values then 10 predator values.</summary>
    public static double[] Trajectory(double alpha, double beta, double gamma, double delta)
    {
        var values = new double[s_times.Length * 2];
        DormandPrince.SolveAt((t, y, dy) =>
        {
            dy[0] = alpha * y[0] - beta * y[0] * y[1];
            dy[1] = -gamma * y[1] + delta * y[0] * y[1];
        }, 0, [30, 1], s_times, values, s_ode);
        var u = new double[20];
        for (int k = 0; k < 10; k++)
        {
            u[k] = values[k * 2];
            u[10 + k] = values[k * 2 + 1];
        }
        return u;
    }

    /// <inheritdoc/>
    public override void Simulate(ReadOnlySpan<float> theta, Rng rng, Span<float> x)
    {
        CheckTheta(theta);
        double[] u = CachedTrajectory(theta);
        for (int k = 0; k < 20; k++)
            x[k] = (float)Math.Exp(Math.Log(Math.Clamp(u[k], 1e-10, 1e4)) + 0.1 * rng.Normal());
    }

    /// <inheritdoc/>
    public override bool HasLogLikelihood => true;

    /// <summary>
    /// log x_k ~ N(log clamp(u_k, 1e-10, 1e4), 0.1^2) independently, so x_k is log-normal:
    /// sum_k [log N(log x_k; log clamp(u_k), 0.1) - log x_k]; negative infinity when some x_k &lt;= 0.
    /// One ODE solve per call, reused while theta stays the same.
    /// </summary>
    protected override double LogLikelihoodCore(ReadOnlySpan<float> theta, ReadOnlySpan<float> x)
    {
        foreach (float v in x)
            if (!(v > 0)) return double.NegativeInfinity;
        double[] u = CachedTrajectory(theta);
        double sum = 0;
        for (int k = 0; k < 20; k++) sum += LogLogNormal(x[k], Math.Log(Math.Clamp(u[k], 1e-10, 1e4)), 0.1);
        return sum;
    }

    /// <summary>
    /// <see cref="Trajectory"/> with a one-entry cache: the ODE solve dominates, and simulating or scoring many x for
    /// one theta is common. The entry is immutable and swapped atomically, so concurrent callers at worst recompute.
    /// </summary>
    private double[] CachedTrajectory(ReadOnlySpan<float> theta)
    {
        var entry = _cache;
        if (entry is not null && theta.SequenceEqual(entry.Theta)) return entry.Trajectory;
        double[] u = Trajectory(theta[0], theta[1], theta[2], theta[3]);
        _cache = new CacheEntry(theta.ToArray(), u);
        return u;
    }

    private sealed record CacheEntry(float[] Theta, double[] Trajectory);

    /// <summary>Log-normal priors: positive, and the log map makes the prior Gaussian in the network's space.</summary>
    public override ParameterSupport Support => new(0, null, Adapters.ConstraintMethod.Exp);

    /// <inheritdoc/>
    public override double LogPrior(ReadOnlySpan<float> theta)
    {
        double sum = 0;
        for (int i = 0; i < 4; i++) sum += LogLogNormal(theta[i], s_mu[i], 0.5);
        return sum;
    }
}
