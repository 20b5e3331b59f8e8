using Amortized.Tensors;

namespace Amortized.Networks;

/// <summary>Scalar special functions and samplers used by distributions.</summary>
public static class SpecialFunctions
{
    private static readonly double[] s_lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
        -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
        1.5056327351493116e-7,
    ];

    /// <summary>log Gamma(x) for x &gt; 0 (Lanczos approximation, g = 7; relative error about 1e-15).</summary>
    public static double LogGamma(double x)
    {
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);   // reflection
        x -= 1;
        double a = s_lanczos[0];
        double t = x + 7.5;
        for (int i = 1; i < 9; i++) a += s_lanczos[i] / (x + i);
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(a);
    }

    /// <summary>A Gamma(shape, 1) draw (Marsaglia and Tsang 2000; boosted for shape &lt; 1).</summary>
    public static double SampleGamma(double shape, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (shape < 1)
        {
            double u = rng.NextDouble();
            return SampleGamma(shape + 1, rng) * Math.Pow(u == 0 ? double.Epsilon : u, 1 / shape);
        }
        double d = shape - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = rng.Normal();
                v = 1 + c * x;
            }
            while (v <= 0);
            v = v * v * v;
            double u = rng.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x) return d * v;
            if (Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v))) return d * v;
        }
    }
}
