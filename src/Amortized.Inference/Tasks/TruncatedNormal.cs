using Amortized.Tensors;

namespace Amortized.Inference.Tasks;

/// <summary>
/// Exact draws from the standard normal truncated to [a, b] (Robert 1995, "Simulation of truncated normal
/// variables", Statistics and Computing 5): plain rejection from N(0, 1) when the interval holds the mode, else
/// rejection from a translated exponential on the tail side, whose acceptance stays high however far out the
/// interval lies (no normal CDF or quantile in the far tail, where they lose all precision).
/// </summary>
internal static class TruncatedNormal
{
    /// <summary>One draw from N(0, 1) truncated to [a, b], a &lt; b.</summary>
    public static double Sample(double a, double b, Rng rng)
    {
        if (!(a < b))
            throw new ArgumentException($"TruncatedNormal: expected a < b, got a = {a}, b = {b}.", nameof(a));
        if (a <= 0 && b >= 0 && b - a >= 1)
        {
            // The interval holds the mode and has width >= 1: acceptance >= P(0 <= Z <= 1) ~ 0.34.
            while (true)
            {
                double z = rng.Normal();
                if (z >= a && z <= b) return z;
            }
        }
        if (b <= 0) return -SampleOneSide(-b, -a, rng);   // mirror the left tail onto the right
        if (a >= 0) return SampleOneSide(a, b, rng);
        // A narrow interval around the mode: uniform proposal, acceptance exp(-z^2/2) >= exp(-1/2).
        while (true)
        {
            double z = a + (b - a) * rng.NextDouble();
            if (rng.NextDouble() <= Math.Exp(-0.5 * z * z)) return z;
        }
    }

    /// <summary>N(0, 1) truncated to [a, b] with 0 &lt;= a &lt; b.</summary>
    private static double SampleOneSide(double a, double b, Rng rng)
    {
        if ((b - a) * (b + a) < 4)
        {
            // A short interval: uniform proposal on [a, b] against the envelope exp(-a^2/2) (the density decreases
            // on z >= 0); acceptance exp(-(z - a)(z + a)/2) >= exp(-(b - a)(b + a)/2) > exp(-2).
            while (true)
            {
                double z = a + (b - a) * rng.NextDouble();
                if (rng.NextDouble() <= Math.Exp(-0.5 * (z - a) * (z + a))) return z;
            }
        }
        // Robert's translated exponential a + Exp(lambda), lambda = (a + sqrt(a^2 + 4)) / 2 (optimal rate);
        // accept with exp(-(z - lambda)^2 / 2). Proposals past b are rejected, which keeps it exact; as
        // (b - a)(b + a) >= 4 here, lambda (b - a) >= 2 and at most exp(-2) of the proposals pass b.
        double lambda = 0.5 * (a + Math.Sqrt(a * a + 4));
        while (true)
        {
            double u = rng.NextDouble();
            double z = a - Math.Log(1 - u) / lambda;   // 1 - u in (0, 1]: finite
            if (z > b) continue;
            double d = z - lambda;
            if (rng.NextDouble() <= Math.Exp(-0.5 * d * d)) return z;
        }
    }
}
