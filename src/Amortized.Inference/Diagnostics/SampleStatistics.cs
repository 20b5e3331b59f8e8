using System.Diagnostics;

namespace Amortized.Inference.Diagnostics;

/// <summary>
/// Small order statistics and moments shared by the metrics (numpy's conventions, so values match BayesFlow).
/// </summary>
internal static class SampleStatistics
{
    /// <summary>
    /// numpy's default ("linear") quantile of ascending <paramref name="sorted"/>: h = (n - 1) q, then linear
    /// interpolation between x[floor h] and x[floor h + 1].
    /// </summary>
    public static double QuantileSorted(ReadOnlySpan<float> sorted, double q)
    {
        Debug.Assert(sorted.Length > 0 && q >= 0 && q <= 1);
        double h = (sorted.Length - 1) * q;
        int lo = (int)Math.Floor(h);
        if (lo >= sorted.Length - 1) return sorted[^1];
        return sorted[lo] + (h - lo) * ((double)sorted[lo + 1] - sorted[lo]);
    }

    /// <summary>The same quantile for doubles.</summary>
    public static double QuantileSorted(ReadOnlySpan<double> sorted, double q)
    {
        Debug.Assert(sorted.Length > 0 && q >= 0 && q <= 1);
        double h = (sorted.Length - 1) * q;
        int lo = (int)Math.Floor(h);
        if (lo >= sorted.Length - 1) return sorted[^1];
        return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
    }

    /// <summary>
    /// Median (the mean of the two middle values for an even count); sorts <paramref name="values"/> in place.
    /// </summary>
    public static double MedianInPlace(Span<double> values)
    {
        values.Sort();
        return QuantileSorted(values, 0.5);
    }

    /// <summary>Pearson correlation; NaN when either input is constant.</summary>
    public static double Pearson(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        Debug.Assert(x.Length == y.Length);
        double mx = 0, my = 0;
        for (int i = 0; i < x.Length; i++) { mx += x[i]; my += y[i]; }
        mx /= x.Length;
        my /= y.Length;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double a = x[i] - mx, b = y[i] - my;
            sxy += a * b;
            sxx += a * a;
            syy += b * b;
        }
        return sxx > 0 && syy > 0 ? sxy / Math.Sqrt(sxx * syy) : double.NaN;
    }

    /// <summary>n evenly spaced values from start to stop inclusive (numpy.linspace; n = 1 gives start).</summary>
    public static double[] Linspace(double start, double stop, int n)
    {
        var result = new double[n];
        if (n == 1) { result[0] = start; return result; }
        double step = (stop - start) / (n - 1);
        for (int i = 0; i < n; i++) result[i] = start + i * step;
        result[^1] = stop;
        return result;
    }
}
