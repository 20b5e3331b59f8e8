namespace Amortized.Kernels.Gpu.Tests;

/// <summary>Deterministic inputs and tolerance checks.</summary>
internal static class Check
{
    /// <summary>Unit roundoff of float, 2^-24.</summary>
    public const double U = 5.9604644775390625e-8;

    public static float[] Random(int n, int seed, float lo = -2f, float hi = 2f)
    {
        var rng = new Random(seed);
        var values = new float[n];
        for (int i = 0; i < n; i++)
            values[i] = lo + (hi - lo) * (float)rng.NextDouble();
        return values;
    }

    /// <summary>|actual - expected| &lt;= rtol |expected| + atol elementwise; NaN must match NaN, infinities exactly.</summary>
    public static void Close(float[] expected, float[] actual, double rtol, double atol = 0, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Element(expected[i], actual[i], rtol * Math.Abs(expected[i]) + atol, what, i);
    }

    /// <summary>Elementwise with a per-element bound.</summary>
    public static void Within(float[] expected, float[] actual, double[] bound, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Element(expected[i], actual[i], bound[i], what, i);
    }

    private static void Element(float e, float a, double bound, string what, int i)
    {
        if (float.IsNaN(e) || float.IsInfinity(e))
        {
            Assert.True(e.Equals(a), $"{what}[{i}]: expected {e}, got {a}");
            return;
        }
        double diff = Math.Abs((double)a - e);
        Assert.True(diff <= bound, $"{what}[{i}]: expected {e:R}, got {a:R} (|diff| {diff:E3} > bound {bound:E3})");
    }

    public static void Bitwise(float[] first, float[] second, string what = "")
    {
        Assert.Equal(first.Length, second.Length);
        for (int i = 0; i < first.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(first[i]) == BitConverter.SingleToInt32Bits(second[i]), $"{what}[{i}]: {first[i]:R} vs {second[i]:R}");
    }
}
