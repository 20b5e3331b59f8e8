namespace Amortized.Inference.Simulators;

/// <summary>Formats shapes for error messages: <c>(64, 100)</c>; a scalar is <c>()</c>.</summary>
internal static class ShapeText
{
    public static string Format(ReadOnlySpan<int> shape)
    {
        if (shape.Length == 1) return $"({shape[0]},)";
        return "(" + string.Join(", ", shape.ToArray()) + ")";
    }

    public static int Product(ReadOnlySpan<int> shape)
    {
        long p = 1;
        foreach (int d in shape) p *= d;
        return checked((int)p);
    }

    public static bool Equal(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    public static string Keys(IEnumerable<string> keys) => "[" + string.Join(", ", keys) + "]";
}
