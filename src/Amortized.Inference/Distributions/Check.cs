namespace Amortized.Inference.Distributions;

/// <summary>
/// Parameter validation shared by the distributions: each failure names the distribution, the parameter, what
/// was expected and the value given, e.g. "Gamma: shape must be finite and &gt; 0; got -1.".
/// </summary>
internal static class Check
{
    public static double Finite(double value, string name, string owner) =>
        double.IsFinite(value) ? value : throw Fail(value, name, owner, "finite");

    public static double Positive(double value, string name, string owner) =>
        double.IsFinite(value) && value > 0 ? value : throw Fail(value, name, owner, "finite and > 0");

    public static double Probability(double value, string name, string owner) =>
        value is >= 0 and <= 1 ? value : throw Fail(value, name, owner, "in [0, 1]");

    /// <summary>A probability strictly inside (0, 1), for parameterizations that divide by p or 1 - p.</summary>
    public static double OpenProbability(double value, string name, string owner) =>
        value is > 0 and < 1 ? value : throw Fail(value, name, owner, "in (0, 1)");

    public static int NonNegative(int value, string name, string owner) =>
        value >= 0 ? value : throw new ArgumentOutOfRangeException(name, value,
            $"{owner}: {name} must be >= 0; got {value}.");

    public static double[] Vector(double[]? values, string name, string owner, int minLength)
    {
        if (values is null) throw new ArgumentNullException(name, $"{owner}: {name} is null.");
        if (values.Length < minLength)
            throw new ArgumentException($"{owner}: {name} must hold at least {minLength} values; got " +
                $"{values.Length}.", name);
        return values;
    }

    private static ArgumentOutOfRangeException Fail(double value, string name, string owner, string expected) =>
        new(name, value, $"{owner}: {name} must be {expected}; got {value}.");
}
