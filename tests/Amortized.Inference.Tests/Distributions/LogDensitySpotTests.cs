using Amortized.Inference.Distributions;
using Xunit;

namespace Amortized.Inference.Tests.Distributions;

/// <summary>
/// Log densities at chosen points against closed forms written here, with Gamma only at integers and
/// half-integers (Gamma(n + 1/2) = (2n)! sqrt(pi) / (4^n n!)), so no log Gamma routine is shared with the
/// library.
/// </summary>
public sealed class LogDensitySpotTests
{
    private const int Digits = 12;
    private static readonly double s_sqrtPi = Math.Sqrt(Math.PI);

    [Theory]
    [InlineData(-1.0)]
    [InlineData(0.4)]
    [InlineData(3.7)]
    public void LogDensity_MatchesClosedForms(double x)
    {
        double z = (x - 1.5) / 2;
        Assert.Equal(Math.Log(Math.Exp(-z * z / 2) / (2 * Math.Sqrt(2 * Math.PI))), new Normal(1.5, 2).LogDensity(x),
            Digits);
        Assert.Equal(Math.Log(1 / (Math.PI * 0.5 * (1 + Math.Pow((x + 1) / 0.5, 2)))),
            new Cauchy(-1, 0.5).LogDensity(x), Digits);
        // Student-t, nu = 5, loc 1, scale 2: Gamma(3) / (Gamma(5/2) sqrt(5 pi) 2)
        // = 2 / ((3 sqrt(pi) / 4) sqrt(5 pi) 2).
        double t = (x - 1) / 2;
        Assert.Equal(Math.Log(2 / (0.75 * s_sqrtPi * Math.Sqrt(5 * Math.PI) * 2) * Math.Pow(1 + t * t / 5, -3)),
            new StudentT(5, 1, 2).LogDensity(x), Digits);
        if (x <= 0) return;
        double lz = (Math.Log(x) - 0.3) / 0.6;
        Assert.Equal(Math.Log(Math.Exp(-lz * lz / 2) / (x * 0.6 * Math.Sqrt(2 * Math.PI))),
            new LogNormal(0.3, 0.6).LogDensity(x), Digits);
        Assert.Equal(Math.Log(2 * Math.Exp(-x * x / (2 * 1.7 * 1.7)) / (1.7 * Math.Sqrt(2 * Math.PI))),
            new HalfNormal(1.7).LogDensity(x), Digits);
        // Gamma(shape 3.5, rate 2): 2^3.5 x^2.5 e^-2x / Gamma(3.5), Gamma(3.5) = 15 sqrt(pi) / 8.
        Assert.Equal(Math.Log(Math.Pow(2, 3.5) * Math.Pow(x, 2.5) * Math.Exp(-2 * x) / (15 * s_sqrtPi / 8)),
            new Gamma(3.5, 2).LogDensity(x), Digits);
        // InverseGamma(shape 4, scale 3): 3^4 x^-5 e^(-3/x) / 3!.
        Assert.Equal(Math.Log(81 * Math.Pow(x, -5) * Math.Exp(-3 / x) / 6), new InverseGamma(4, 3).LogDensity(x),
            Digits);
        Assert.Equal(Math.Log(2.5 * Math.Exp(-2.5 * x)), new Exponential(2.5).LogDensity(x), Digits);
        Assert.Equal(Math.Log(0.2), new Uniform(-2, 3).LogDensity(Math.Min(x, 3)), Digits);
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.4)]
    [InlineData(0.93)]
    public void Beta_LogDensity_MatchesClosedForm(double x)
    {
        // B(2.5, 4) = Gamma(2.5) Gamma(4) / Gamma(6.5) = (3 sqrt(pi) / 4) 6 / (10395 sqrt(pi) / 64).
        double b = 0.75 * 6 / (10395.0 / 64);
        Assert.Equal(Math.Log(Math.Pow(x, 1.5) * Math.Pow(1 - x, 3) / b), new Beta(2.5, 4).LogDensity(x), Digits);
    }

    [Fact]
    public void LogDensity_AtAndBeyondEdges()
    {
        Assert.Equal(double.NegativeInfinity, new Beta(2, 2).LogDensity(0));
        Assert.Equal(double.NegativeInfinity, new Gamma(2, 1).LogDensity(0));
        Assert.Equal(Math.Log(2.5), new Exponential(2.5).LogDensity(0), Digits);
        Assert.Equal(Math.Log(2 / Math.Sqrt(2 * Math.PI)), new HalfNormal(1).LogDensity(0), Digits);
        Assert.Equal(double.NegativeInfinity, new HalfNormal(1).LogDensity(-1e-9));
        Assert.Equal(double.NegativeInfinity, new Uniform(0, 1).LogDensity(1.0000001));
    }
}
