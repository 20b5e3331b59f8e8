using System.Globalization;

namespace Amortized.Plots;

/// <summary>
/// Argument checks for the figure functions. They run before anything reaches ScottPlot, so bad input fails
/// with an <see cref="ArgumentException"/> that names the argument and shows expected against actual, not with
/// an exception from deep inside the renderer (or, worse, an empty axis).
/// </summary>
internal static class Check
{
    public static void Positive(int value, string paramName)
    {
        if (value < 1)
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be at least 1; it is {value}.");
        }
    }

    /// <summary>Names must be present, non-empty as a list, and have no null entries.</summary>
    public static void Names(IReadOnlyList<string> names, string paramName)
    {
        ArgumentNullException.ThrowIfNull(names, paramName);
        if (names.Count == 0)
        {
            throw new ArgumentException($"{paramName} is empty; at least one name is needed.", paramName);
        }
        for (int i = 0; i < names.Count; i++)
        {
            if (names[i] is null)
            {
                throw new ArgumentException($"{paramName}[{i}] is null.", paramName);
            }
        }
    }

    /// <summary>
    /// Throws unless <paramref name="array"/> holds exactly <paramref name="expected"/> values;
    /// <paramref name="shape"/> says how the expected length is made up, e.g. "numDatasets x names.Count = 10 x 3".
    /// </summary>
    public static void Length<T>(T[] array, int expected, string paramName, string shape)
    {
        ArgumentNullException.ThrowIfNull(array, paramName);
        if (array.Length != expected)
        {
            throw new ArgumentException(
                $"{paramName} has {array.Length} values; expected {expected} ({shape}).", paramName);
        }
    }

    /// <summary>
    /// Throws at the first NaN or infinity. For row-major (rows x <paramref name="columns"/>) arrays the message
    /// also gives the row and column, so a caller can find the offending dataset and parameter.
    /// </summary>
    public static void Finite(ReadOnlySpan<double> values, string paramName, int columns = 0)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                throw NotFinite(values[i], i, paramName, columns);
            }
        }
    }

    public static void Finite(ReadOnlySpan<float> values, string paramName, int columns = 0)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                throw NotFinite(values[i], i, paramName, columns);
            }
        }
    }

    /// <summary>Throws unless every value lies in [<paramref name="low"/>, <paramref name="high"/>].</summary>
    public static void InRange(ReadOnlySpan<double> values, double low, double high, string paramName, int columns = 0)
    {
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            if (!double.IsFinite(v))
            {
                throw NotFinite(v, i, paramName, columns);
            }
            if (v < low || v > high)
            {
                throw new ArgumentException(
                    $"{paramName}{Where(i, columns)} is {v.ToString(CultureInfo.InvariantCulture)}; " +
                    $"every value must lie in [{low.ToString(CultureInfo.InvariantCulture)}, " +
                    $"{high.ToString(CultureInfo.InvariantCulture)}].",
                    paramName);
            }
        }
    }

    public static void Probability(double value, string paramName, bool open)
    {
        bool ok = open ? value > 0 && value < 1 : value >= 0 && value <= 1;
        if (!ok)
        {
            string interval = open ? "(0, 1)" : "[0, 1]";
            throw new ArgumentOutOfRangeException(paramName, value,
                $"{paramName} must lie in {interval}; it is {value.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    private static ArgumentException NotFinite(double value, int index, string paramName, int columns) =>
        new($"{paramName}{Where(index, columns)} is {value.ToString(CultureInfo.InvariantCulture)}; every value " +
            "must be finite.", paramName);

    private static string Where(int index, int columns) =>
        columns > 0 ? $"[{index}] (row {index / columns}, column {index % columns})" : $"[{index}]";
}
