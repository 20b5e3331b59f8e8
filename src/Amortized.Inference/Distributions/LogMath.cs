using Amortized.Networks;

namespace Amortized.Inference.Distributions;

/// <summary>Small helpers shared by the log densities.</summary>
internal static class LogMath
{
    /// <summary>log sqrt(2 pi), the normal density's constant.</summary>
    public const double LogSqrt2Pi = 0.91893853320467274178;

    /// <summary>x log y with 0 log 0 = 0, so that a pmf at an edge of its support (p = 0 or 1) is finite.</summary>
    public static double XLogY(double x, double y) => x == 0 ? 0 : x * Math.Log(y);

    /// <summary>log B(a, b) = log Gamma(a) + log Gamma(b) - log Gamma(a + b).</summary>
    public static double LogBeta(double a, double b) =>
        SpecialFunctions.LogGamma(a) + SpecialFunctions.LogGamma(b) - SpecialFunctions.LogGamma(a + b);

    /// <summary>Whether x is an integer in [0, max] (max inclusive); discrete densities are -inf elsewhere.</summary>
    public static bool IsCount(double x, double max = double.PositiveInfinity) =>
        x >= 0 && x <= max && Math.Floor(x) == x;
}
