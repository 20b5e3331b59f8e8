namespace Amortized.Native;

/// <summary>
/// One raw key's place in a flat row: its per-data-set (or per-draw) shape, the offset of its first float in the
/// row and its size (the product of the shape). <see cref="Names"/> names each float (parameters only).
/// </summary>
internal sealed record KeyLayout(string Key, int[] Shape, int Offset, int Size, string[]? Names)
{
    /// <summary>Lays keys out one after another in the given order.</summary>
    public static KeyLayout[] Sequence(IEnumerable<KeyValuePair<string, int[]>> keys, bool withNames)
    {
        var result = new List<KeyLayout>();
        int offset = 0;
        foreach (var (key, shape) in keys)
        {
            int size = checked((int)shape.Aggregate(1L, (p, d) => checked(p * d)));
            result.Add(new KeyLayout(key, shape, offset, size, withNames ? ElementNames(key, shape) : null));
            offset = checked(offset + size);
        }
        return [.. result];
    }

    /// <summary>"mu" for a scalar, "theta[0]" ... for a vector, "w[0,1]" ... for a matrix (C order).</summary>
    public static string[] ElementNames(string key, int[] shape)
    {
        if (shape.Length == 0) return [key];
        int size = shape.Aggregate(1, (p, d) => p * d);
        var names = new string[size];
        var index = new int[shape.Length];
        for (int i = 0; i < size; i++)
        {
            names[i] = $"{key}[{string.Join(",", index)}]";
            for (int a = shape.Length - 1; a >= 0 && ++index[a] == shape[a]; a--) index[a] = 0;
        }
        return names;
    }

    /// <summary>"x (10,), n ()" for messages.</summary>
    public static string Describe(IEnumerable<KeyLayout> keys) =>
        string.Join(", ", keys.Select(k => $"{k.Key} {FormatShape(k.Shape)}"));

    public static string FormatShape(int[]? shape) => shape switch
    {
        null => "(unknown rank)",
        { Length: 1 } => $"({Dim(shape[0])},)",
        _ => "(" + string.Join(", ", shape.Select(Dim)) + ")",
    };

    private static string Dim(int d) => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
