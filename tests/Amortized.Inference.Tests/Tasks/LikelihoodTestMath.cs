using Amortized.Inference.Tasks;
using Amortized.Tensors;

namespace Amortized.Inference.Tests.Tasks;

/// <summary>Shared statistics for the likelihood and exact-posterior tests.</summary>
internal static class LikelihoodTestMath
{
    /// <summary>Sample mean and its standard error.</summary>
    public static (double Mean, double StdError) MeanAndError(ReadOnlySpan<double> values)
    {
        double mean = 0;
        foreach (double v in values) mean += v;
        mean /= values.Length;
        double ss = 0;
        foreach (double v in values) ss += (v - mean) * (v - mean);
        return (mean, Math.Sqrt(ss / (values.Length - 1) / values.Length));
    }

    /// <summary>Simulates <paramref name="count"/> data vectors for one theta.</summary>
    public static float[][] SimulateMany(BenchmarkTask task, float[] theta, int count, Rng rng)
    {
        var xs = new float[count][];
        for (int i = 0; i < count; i++)
        {
            xs[i] = new float[task.DataDim];
            task.Simulate(theta, rng, xs[i]);
        }
        return xs;
    }

    /// <summary>log p(x_i | theta) for every x_i (theta outer, so the ODE tasks' one-entry cache is hit).</summary>
    public static double[] LogLikelihoods(BenchmarkTask task, float[] theta, float[][] xs)
    {
        var l = new double[xs.Length];
        for (int i = 0; i < xs.Length; i++) l[i] = task.LogLikelihood(theta, xs[i]);
        return l;
    }

    /// <summary>
    /// Pearson chi-square of observed counts against expected counts over the bins with expected &gt;= 5, the other
    /// bins pooled into one; returns the statistic and its degrees of freedom.
    /// </summary>
    public static (double ChiSquare, int Dof) ChiSquare(ReadOnlySpan<double> observed, ReadOnlySpan<double> expected)
    {
        double chi = 0, restObserved = 0, restExpected = 0;
        int bins = 0;
        for (int i = 0; i < observed.Length; i++)
        {
            if (expected[i] >= 5)
            {
                chi += (observed[i] - expected[i]) * (observed[i] - expected[i]) / expected[i];
                bins++;
            }
            else
            {
                restObserved += observed[i];
                restExpected += expected[i];
            }
        }
        if (restExpected >= 5)
        {
            chi += (restObserved - restExpected) * (restObserved - restExpected) / restExpected;
            bins++;
        }
        else if (restObserved > 15)
        {
            chi = double.PositiveInfinity;   // counts where the reference puts almost no mass
        }
        return (chi, bins - 1);
    }

    /// <summary>A generous chi-square bound: dof + 6 sqrt(2 dof) + 10 (past the 1e-5 quantile for any dof).</summary>
    public static double ChiSquareBound(int dof) => dof + 6 * Math.Sqrt(2.0 * dof) + 10;

    /// <summary>
    /// erfc(z) (Numerical Recipes' Chebyshev-like fit; relative error below 1.2e-7 everywhere), independent of the
    /// library, for the truncated-normal formulas.
    /// </summary>
    public static double Erfc(double z)
    {
        double a = Math.Abs(z), t = 1 / (1 + 0.5 * a);
        double r = t * Math.Exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
            + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
            + t * (-0.82215223 + t * 0.17087277)))))))));
        return z >= 0 ? r : 2 - r;
    }

    /// <summary>Standard normal density.</summary>
    public static double Phi(double z) => Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI);

    /// <summary>Standard normal CDF.</summary>
    public static double Cdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));
}
