using Amortized.Networks;
using Amortized.Networks.Numerics;
using Amortized.Tensors;

namespace Amortized.Inference.Tasks;

/// <summary>
/// sir (sbibm): beta ~ LogNormal(log 0.4, 0.5), gamma ~ LogNormal(log 0.125, 0.2); SIR ODE with N = 10^6,
/// S0 = N - 1, I0 = 1, R0 = 0 over 160 days (Dormand-Prince, tolerances 1e-8);
/// x_k ~ Binomial(1000, I(t_k)/N) at t = 0, 17, 34, ..., 153 (10 values).
/// </summary>
public sealed class Sir : BenchmarkTask
{
    private const double Population = 1e6;
    private static readonly string[] s_params = ["beta", "gamma"], s_data = Names("x", 10);
    private static readonly double[] s_times = [0, 17, 34, 51, 68, 85, 102, 119, 136, 153];
    private static readonly OdeOptions s_ode = new() { RelativeTolerance = 1e-8, AbsoluteTolerance = 1e-8 };

    private volatile CacheEntry? _cache;

    /// <inheritdoc/>
    public override string Name => "sir";
    /// <inheritdoc/>
    public override IReadOnlyList<string> ParameterNames => s_params;
    /// <inheritdoc/>
    public override IReadOnlyList<string> DataNames => s_data;

    /// <inheritdoc/>
    public override void SamplePrior(Rng rng, Span<float> theta)
    {
        theta[0] = (float)Math.Exp(Math.Log(0.4) + 0.5 * rng.Normal());
        theta[1] = (float)Math.Exp(Math.Log(0.125) + 0.2 * rng.Normal());
    }

    /// <summary>The infected fraction I(t_k)/N at the 10 observation times.</summary>
    public static double[] InfectedFraction(double beta, double gamma)
    {
        var values = new double[s_times.Length * 3];
        DormandPrince.SolveAt((t, y, dy) =>
        {
            double infection = beta * y[0] * y[1] / Population;
            dy[0] = -infection;
            dy[1] = infection - gamma * y[1];
            dy[2] = gamma * y[1];
        }, 0, [Population - 1, 1, 0], s_times, values, s_ode);
        var fraction = new double[s_times.Length];
        for (int k = 0; k < fraction.Length; k++) fraction[k] = Math.Clamp(values[k * 3 + 1] / Population, 0, 1);
        return fraction;
    }

    /// <inheritdoc/>
    public override void Simulate(ReadOnlySpan<float> theta, Rng rng, Span<float> x)
    {
        CheckTheta(theta);
        double[] p = CachedFraction(theta[0], theta[1]);
        for (int k = 0; k < p.Length; k++) x[k] = Binomial(rng, 1000, p[k]);
    }

    /// <inheritdoc/>
    public override bool HasLogLikelihood => true;

    /// <summary>
    /// sum_k log Binomial(x_k; 1000, p_k) with p = <see cref="InfectedFraction"/> (one ODE solve per call, reused
    /// while theta stays the same); negative infinity for a non-integer x_k, one outside [0, 1000], or a count that
    /// p_k = 0 or 1 rules out.
    /// </summary>
    protected override double LogLikelihoodCore(ReadOnlySpan<float> theta, ReadOnlySpan<float> x)
    {
        const int n = 1000;
        for (int k = 0; k < x.Length; k++)
            if (!(x[k] >= 0 && x[k] <= n && x[k] == MathF.Floor(x[k]))) return double.NegativeInfinity;
        double[] p = CachedFraction(theta[0], theta[1]);
        double sum = 0, logNFactorial = SpecialFunctions.LogGamma(n + 1);
        for (int k = 0; k < x.Length; k++)
        {
            double c = x[k];
            // 0 log 0 = 0: p_k = 0 allows only c = 0, p_k = 1 only c = n.
            double hits = c == 0 ? 0 : p[k] > 0 ? c * Math.Log(p[k]) : double.NegativeInfinity;
            double misses = c == n ? 0 : p[k] < 1 ? (n - c) * double.LogP1(-p[k]) : double.NegativeInfinity;
            sum += logNFactorial - SpecialFunctions.LogGamma(c + 1) - SpecialFunctions.LogGamma(n - c + 1)
                + hits + misses;
        }
        return sum;
    }

    /// <summary>
    /// <see cref="InfectedFraction"/> with a one-entry cache: the ODE solve dominates, and simulating or scoring many
    /// x for one theta is common. The entry is an immutable object swapped atomically, so concurrent callers at
    /// worst recompute.
    /// </summary>
    private double[] CachedFraction(float beta, float gamma)
    {
        var entry = _cache;
        if (entry is not null && entry.Beta.Equals(beta) && entry.Gamma.Equals(gamma)) return entry.Fraction;
        double[] fraction = InfectedFraction(beta, gamma);
        _cache = new CacheEntry(beta, gamma, fraction);
        return fraction;
    }

    private sealed record CacheEntry(float Beta, float Gamma, double[] Fraction);

    /// <summary>Log-normal priors: positive, and the log map makes the prior Gaussian in the network's space.</summary>
    public override ParameterSupport Support => new(0, null, Adapters.ConstraintMethod.Exp);

    /// <inheritdoc/>
    public override double LogPrior(ReadOnlySpan<float> theta) =>
        LogLogNormal(theta[0], Math.Log(0.4), 0.5) + LogLogNormal(theta[1], Math.Log(0.125), 0.2);

    /// <summary>Binomial(n, p) by inversion of the CDF (exact; O(n min(p, 1-p)) work).</summary>
    internal static int Binomial(Rng rng, int n, double p)
    {
        if (p <= 0) return 0;
        if (p >= 1) return n;
        if (p > 0.5) return n - Binomial(rng, n, 1 - p);
        double q = 1 - p, ratio = p / q;
        double pk = Math.Pow(q, n), cdf = pk, u = rng.NextDouble();
        int k = 0;
        while (u > cdf && k < n)
        {
            pk *= ratio * (n - k) / (k + 1);
            k++;
            cdf += pk;
        }
        return k;
    }
}
