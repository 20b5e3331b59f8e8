using System.Globalization;
using System.Text;
using Amortized.Tensors;
using Xunit.Sdk;

namespace Amortized.Testing;

/// <summary>
/// Elementwise comparison with an absolute and a relative tolerance. The failure message gives the number of
/// mismatches, the largest difference and the first few mismatches with their indices (llm.c's check_tensor).
/// </summary>
public static class NumericAssert
{
    private const int MismatchesShown = 5;

    /// <summary>Asserts |actual - expected| &lt;= atol + rtol * |expected| elementwise; NaN matches only NaN.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double atol, double rtol,
        string what, Shape? shape = null)
    {
        var a = new double[actual.Length];
        for (int i = 0; i < a.Length; i++) a[i] = actual[i];
        AssertClose(expected, a, atol, rtol, what, shape);
    }

    /// <inheritdoc cref="AssertClose(ReadOnlySpan{double}, ReadOnlySpan{float}, double, double, string, Shape?)"/>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol,
        string what, Shape? shape = null)
    {
        var e = new double[expected.Length];
        for (int i = 0; i < e.Length; i++) e[i] = expected[i];
        AssertClose(e, actual, atol, rtol, what, shape);
    }

    /// <inheritdoc cref="AssertClose(ReadOnlySpan{double}, ReadOnlySpan{float}, double, double, string, Shape?)"/>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double atol, double rtol,
        string what, Shape? shape = null)
    {
        string? failure = Compare(expected, actual, atol, rtol, what, shape);
        if (failure is not null) throw new XunitException(failure);
    }

    /// <summary>Asserts that a tensor has the expected shape and values.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, Tensor actual, double atol, double rtol, string what)
    {
        ArgumentNullException.ThrowIfNull(actual);
        AssertClose(expected, actual.Span, atol, rtol, what, actual.Shape);
    }

    /// <summary>The failure message, or null when every element is within tolerance.</summary>
    public static string? Compare(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double atol, double rtol,
        string what, Shape? shape = null)
    {
        if (expected.Length != actual.Length)
            return $"{what}: expected {expected.Length} elements, got {actual.Length}.";
        int mismatches = 0;
        double maxDiff = 0;
        int maxAt = -1;
        var first = new StringBuilder();
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool ok;
            double diff;
            if (double.IsNaN(e) || double.IsNaN(a))
            {
                ok = double.IsNaN(e) && double.IsNaN(a);
                diff = ok ? 0 : double.PositiveInfinity;
            }
            else if (double.IsInfinity(e) || double.IsInfinity(a))
            {
                ok = e == a;
                diff = ok ? 0 : double.PositiveInfinity;
            }
            else
            {
                diff = Math.Abs(a - e);
                ok = diff <= atol + rtol * Math.Abs(e);
            }
            if (diff > maxDiff || maxAt < 0)
            {
                maxDiff = diff;
                maxAt = i;
            }
            if (ok) continue;
            if (mismatches < MismatchesShown)
                first.Append(CultureInfo.InvariantCulture,
                    $"\n  {FormatIndex(i, shape)}: expected {e:G9}, actual {a:G9}, |diff| {diff:G3}");
            mismatches++;
        }
        if (mismatches == 0) return null;
        return string.Create(CultureInfo.InvariantCulture,
            $"{what}: {mismatches} of {expected.Length} elements{(shape is { } s ? $" (shape {s})" : "")} " +
            $"differ by more than atol {atol:G3} + rtol {rtol:G3} * |expected|; " +
            $"max |diff| {maxDiff:G3} at {FormatIndex(maxAt, shape)}. First mismatches:{first}");
    }

    /// <summary>A flat index as a multi-index of <paramref name="shape"/> when given, e.g. [1, 0, 2].</summary>
    public static string FormatIndex(int flat, Shape? shape)
    {
        if (shape is not { } s || s.Rank == 0 || flat < 0) return $"[{flat}]";
        var index = new int[s.Rank];
        for (int d = s.Rank - 1; d >= 0; d--)
        {
            int n = Math.Max(s[d], 1);
            index[d] = flat % n;
            flat /= n;
        }
        return "[" + string.Join(", ", index) + "]";
    }
}
