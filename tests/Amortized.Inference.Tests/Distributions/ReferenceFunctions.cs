using Amortized.Networks;

namespace Amortized.Inference.Tests.Distributions;

/// <summary>
/// Oracle CDFs for the distribution tests, written apart from the library (Numerical Recipes, 3rd ed., 6.2 and
/// 6.4): the regularized incomplete gamma P(a, x) by its series below a + 1 and Legendre's continued fraction
/// above, and the regularized incomplete beta I_x(a, b) by its continued fraction (modified Lentz). log Gamma
/// itself is the library's Lanczos <see cref="SpecialFunctions.LogGamma"/>, whose own tests cover it; the
/// spot-value tests check it independently through closed-form Gamma values at integers and half-integers.
/// </summary>
internal static class ReferenceFunctions
{
    private const double Epsilon = 1e-15;
    private const int MaxIterations = 10_000;

    /// <summary>Standard normal CDF: Phi(z) = (1 + sign(z) P(1/2, z^2 / 2)) / 2.</summary>
    public static double NormalCdf(double z) =>
        0.5 * (1 + Math.Sign(z) * GammaP(0.5, 0.5 * z * z));

    /// <summary>Regularized lower incomplete gamma P(a, x) = gamma(a, x) / Gamma(a), a &gt; 0, x &gt;= 0.</summary>
    public static double GammaP(double a, double x)
    {
        if (x <= 0) return 0;
        double logPrefix = a * Math.Log(x) - x - SpecialFunctions.LogGamma(a);
        if (x < a + 1)
        {
            // Series: gamma(a, x) = e^-x x^a sum_n x^n / (a (a+1) ... (a+n)).
            double term = 1 / a, sum = term;
            for (int n = 1; n < MaxIterations && Math.Abs(term) > Epsilon * Math.Abs(sum); n++)
            {
                term *= x / (a + n);
                sum += term;
            }
            return sum * Math.Exp(logPrefix);
        }
        // Continued fraction for Q(a, x) = 1 - P (modified Lentz).
        double b = x + 1 - a, c = 1 / 1e-300, d = 1 / b, h = d;
        for (int i = 1; i < MaxIterations; i++)
        {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.Abs(d) < 1e-300) d = 1e-300;
            c = b + an / c;
            if (Math.Abs(c) < 1e-300) c = 1e-300;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < Epsilon) break;
        }
        return 1 - Math.Exp(logPrefix) * h;
    }

    /// <summary>Regularized incomplete beta I_x(a, b), a, b &gt; 0, x in [0, 1].</summary>
    public static double BetaI(double a, double b, double x)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        double logFront = a * Math.Log(x) + b * Math.Log(1 - x)
            - (SpecialFunctions.LogGamma(a) + SpecialFunctions.LogGamma(b) - SpecialFunctions.LogGamma(a + b));
        // The fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry I_x(a, b) = 1 - I_1-x(b, a)
        // otherwise.
        if (x < (a + 1) / (a + b + 2)) return Math.Exp(logFront) * BetaFraction(a, b, x) / a;
        return 1 - Math.Exp(logFront) * BetaFraction(b, a, 1 - x) / b;
    }

    private static double BetaFraction(double a, double b, double x)
    {
        double qab = a + b, qap = a + 1, qam = a - 1;
        double c = 1, d = 1 - qab * x / qap;
        if (Math.Abs(d) < 1e-300) d = 1e-300;
        d = 1 / d;
        double h = d;
        for (int m = 1; m < MaxIterations; m++)
        {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + aa * d;
            if (Math.Abs(d) < 1e-300) d = 1e-300;
            c = 1 + aa / c;
            if (Math.Abs(c) < 1e-300) c = 1e-300;
            d = 1 / d;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + aa * d;
            if (Math.Abs(d) < 1e-300) d = 1e-300;
            c = 1 + aa / c;
            if (Math.Abs(c) < 1e-300) c = 1e-300;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < Epsilon) break;
        }
        return h;
    }

    /// <summary>Student-t CDF with nu degrees of freedom: 1 - I_{nu/(nu+t^2)}(nu/2, 1/2) / 2 for t &gt; 0.</summary>
    public static double StudentTCdf(double t, double nu)
    {
        double tail = 0.5 * BetaI(0.5 * nu, 0.5, nu / (nu + t * t));
        return t > 0 ? 1 - tail : tail;
    }
}
