using Amortized.Inference.Distributions;
using Amortized.Tensors;
using Amortized.Testing;
using Xunit;
using static Amortized.Inference.Tests.Distributions.ReferenceFunctions;

namespace Amortized.Inference.Tests.Distributions;

/// <summary>
/// Every univariate continuous distribution, through one contract: 10^5 seeded draws against the exact CDF
/// (Kolmogorov-Smirnov at 1%), sample moments against closed forms, the density integrating to 1 and the
/// reported Mean/Variance equal to closed forms written here.
/// </summary>
public sealed class ContinuousDistributionTests
{
    /// <summary>Where the density lives, for the quadrature's change of variables.</summary>
    public enum Support { Real, Positive, Interval }

    /// <param name="Mean">Closed-form mean, NaN when it does not exist.</param>
    /// <param name="Variance">Closed-form variance, NaN when it does not exist.</param>
    /// <param name="Center">Quadrature centre (Real) or lower bound (Interval).</param>
    /// <param name="Width">Quadrature scale (Real, Positive) or interval length (Interval).</param>
    /// <param name="Integrate">False where the density is unbounded at an edge of its support (shape &lt; 1),
    /// which the midpoint rule cannot integrate to 1e-6; those cases still get KS and moments.</param>
    public sealed record Case(IDistribution Distribution, Func<double, double> Cdf, double Mean, double Variance,
        Support Support, double Center, double Width, bool Integrate = true);

    private static readonly Dictionary<string, Case> s_cases = new()
    {
        ["Normal(1.5, 2)"] = new(new Normal(1.5, 2), x => NormalCdf((x - 1.5) / 2), 1.5, 4,
            Support.Real, 1.5, 2),
        ["LogNormal(0.3, 0.6)"] = new(new LogNormal(0.3, 0.6), x => x <= 0 ? 0 : NormalCdf((Math.Log(x) - 0.3) / 0.6),
            Math.Exp(0.3 + 0.18), (Math.Exp(0.36) - 1) * Math.Exp(0.6 + 0.36), Support.Positive, 0, 1.5),
        ["HalfNormal(1.7)"] = new(new HalfNormal(1.7), x => x <= 0 ? 0 : 2 * NormalCdf(x / 1.7) - 1,
            1.7 * Math.Sqrt(2 / Math.PI), 1.7 * 1.7 * (1 - 2 / Math.PI), Support.Positive, 0, 1.7),
        ["Uniform(-2, 3)"] = new(new Uniform(-2, 3), x => Math.Clamp((x + 2) / 5, 0, 1), 0.5, 25.0 / 12,
            Support.Interval, -2, 5),
        ["Beta(2.5, 4)"] = new(new Beta(2.5, 4), x => BetaI(2.5, 4, x), 2.5 / 6.5, 2.5 * 4 / (6.5 * 6.5 * 7.5),
            Support.Interval, 0, 1),
        ["Beta(0.6, 0.8)"] = new(new Beta(0.6, 0.8), x => BetaI(0.6, 0.8, x), 0.6 / 1.4, 0.48 / (1.4 * 1.4 * 2.4),
            Support.Interval, 0, 1, Integrate: false),
        ["Gamma(3.5, 2)"] = new(new Gamma(3.5, 2), x => GammaP(3.5, 2 * x), 1.75, 3.5 / 4, Support.Positive, 0, 2),
        ["Gamma(0.7, 1.3)"] = new(new Gamma(0.7, 1.3), x => GammaP(0.7, 1.3 * x), 0.7 / 1.3, 0.7 / 1.69,
            Support.Positive, 0, 1, Integrate: false),
        ["InverseGamma(10, 9)"] = new(new InverseGamma(10, 9), x => x <= 0 ? 0 : 1 - GammaP(10, 9 / x), 1,
            81.0 / (81 * 8), Support.Positive, 0, 1),
        ["Exponential(2.5)"] = new(new Exponential(2.5), x => x <= 0 ? 0 : 1 - Math.Exp(-2.5 * x), 0.4, 0.16,
            Support.Positive, 0, 0.4),
        ["StudentT(10, 1, 2)"] = new(new StudentT(10, 1, 2), x => StudentTCdf((x - 1) / 2, 10), 1, 4 * 10.0 / 8,
            Support.Real, 1, 2),
        ["StudentT(1.5)"] = new(new StudentT(1.5), x => StudentTCdf(x, 1.5), 0, double.PositiveInfinity,
            Support.Real, 0, 1),
        ["Cauchy(-1, 0.5)"] = new(new Cauchy(-1, 0.5), x => 0.5 + Math.Atan((x + 1) / 0.5) / Math.PI, double.NaN,
            double.NaN, Support.Real, -1, 0.5),
    };

    public static TheoryData<string> Cases => [.. s_cases.Keys];

    private static Rng RngFor(string label) =>
        new(TestSeeds.Default, (ulong)Array.IndexOf([.. s_cases.Keys], label));

    private static double[] Draw(IDistribution distribution, Rng rng, int n)
    {
        var draws = new double[n];
        for (int i = 0; i < n; i++) draws[i] = distribution.Sample(rng);
        return draws;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sample_KolmogorovSmirnov_BelowOnePercentCriticalValue(string label)
    {
        Case c = s_cases[label];
        double[] draws = Draw(c.Distribution, RngFor(label), GoodnessOfFit.Draws);
        double d = GoodnessOfFit.KolmogorovSmirnov(draws, c.Cdf);
        double critical = GoodnessOfFit.KsCritical(draws.Length);
        Assert.True(d < critical, $"{label}: KS statistic {d} >= 1% critical value {critical}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sample_Moments_MatchClosedForm(string label)
    {
        Case c = s_cases[label];
        Assert.Equal(c.Mean, c.Distribution.Mean, 12);
        Assert.Equal(c.Variance, c.Distribution.Variance, 12);
        // Sample moments only where the variance's standard error exists (a finite fourth moment).
        if (!double.IsFinite(c.Variance)) return;
        double[] draws = Draw(c.Distribution, RngFor(label), GoodnessOfFit.Draws);
        GoodnessOfFit.AssertMoments(draws, c.Mean, c.Variance, label);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LogDensity_Integral_IsOne(string label)
    {
        Case c = s_cases[label];
        if (!c.Integrate) return;
        double integral = Integrate(c);
        Assert.True(Math.Abs(integral - 1) < QuadratureTolerance, $"{label}: density integrates to {integral}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sample_SameSeed_SameDraws(string label)
    {
        IDistribution d = s_cases[label].Distribution;
        double[] a = Draw(d, new Rng(7, 3), 200), b = Draw(d, new Rng(7, 3), 200), other = Draw(d, new Rng(8, 3), 200);
        Assert.Equal(a, b);
        Assert.NotEqual(a, other);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LogDensity_OutsideSupport_IsNegativeInfinity(string label)
    {
        Case c = s_cases[label];
        if (c.Support == Support.Real) return;
        Assert.Equal(double.NegativeInfinity, c.Distribution.LogDensity(c.Center - 1e-3));
        if (c.Support == Support.Interval)
            Assert.Equal(double.NegativeInfinity, c.Distribution.LogDensity(c.Center + c.Width + 1e-3));
    }

    /// <summary>Midpoint rule on 2 10^5 points has error O(h^2) ~ 1e-10 on these smooth, bounded integrands;
    /// 1e-6 leaves room for the tails cut by the change of variables.</summary>
    private const double QuadratureTolerance = 1e-6;

    /// <summary>
    /// int p(x) dx by the midpoint rule after a change of variables onto a finite interval: x = c + w tan(t) on
    /// (-pi/2, pi/2) for the real line, x = w tan(t) on (0, pi/2) for the half-line, x = c + w t on (0, 1) for an
    /// interval; dx = w / cos^2(t) dt for the first two.
    /// </summary>
    private static double Integrate(Case c)
    {
        const int n = 200_000;
        (double lo, double hi) = c.Support switch
        {
            Support.Real => (-Math.PI / 2, Math.PI / 2),
            Support.Positive => (0, Math.PI / 2),
            _ => (0.0, 1.0),
        };
        double h = (hi - lo) / n, sum = 0;
        for (int i = 0; i < n; i++)
        {
            double t = lo + (i + 0.5) * h;
            double x, jacobian;
            if (c.Support == Support.Interval)
            {
                x = c.Center + c.Width * t;
                jacobian = c.Width;
            }
            else
            {
                double cos = Math.Cos(t);
                x = c.Center + c.Width * Math.Tan(t);
                jacobian = c.Width / (cos * cos);
            }
            double logp = c.Distribution.LogDensity(x);
            if (logp > double.NegativeInfinity) sum += Math.Exp(logp) * jacobian;
        }
        return sum * h;
    }
}
