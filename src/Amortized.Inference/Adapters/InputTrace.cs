namespace Amortized.Inference.Adapters;

/// <summary>
/// A key with its per-data-set shape: no batch axis; -1 marks a dimension left open (the size of a set), and a
/// null shape a key whose rank is unknown too. An optional key may be absent (a mask the encoder uses if present).
/// </summary>
public sealed record AdapterKeyShape(string Key, int[]? Shape, bool Optional = false);

/// <summary>
/// The backward shape flow of <see cref="Adapter.RawInputs"/>: starting from the keys a network reads, each
/// transform, last to first, replaces the keys it produced by the keys it read, with the shapes they had before it
/// as far as the transform knows them.
/// </summary>
internal sealed class InputTrace
{
    private sealed class Need(int[]? shape, bool optional)
    {
        public int[]? Shape = shape;
        public bool Optional = optional;
    }

    private readonly Dictionary<string, Need> _needed = new(StringComparer.Ordinal);

    public InputTrace(IEnumerable<AdapterKeyShape> outputs)
    {
        foreach (var o in outputs) _needed[o.Key] = new(o.Shape is null ? null : (int[])o.Shape.Clone(), o.Optional);
    }

    /// <summary>Takes <paramref name="key"/> out of the needed keys (its producer reads others instead).</summary>
    public bool Remove(string key, out int[]? shape)
    {
        bool found = _needed.Remove(key, out Need? n);
        shape = n?.Shape;
        return found;
    }

    /// <summary>
    /// Needs <paramref name="key"/> (no longer optional) with <paramref name="shape"/>; where it is needed already,
    /// the shapes merge: a known dimension fills an open one.
    /// </summary>
    public void Add(string key, int[]? shape)
    {
        if (!_needed.TryGetValue(key, out Need? n))
        {
            _needed[key] = new(shape, false);
            return;
        }
        n.Optional = false;
        if (n.Shape is null) n.Shape = shape;
        else if (shape is not null && shape.Length == n.Shape.Length)
            for (int i = 0; i < shape.Length; i++)
                if (n.Shape[i] < 0) n.Shape[i] = shape[i];
    }

    /// <summary>
    /// Replaces the known shape of a needed key by <paramref name="change"/>(shape), null when unknowable.
    /// </summary>
    public void Reshape(string key, Func<int[], int[]?> change)
    {
        if (_needed.TryGetValue(key, out Need? n) && n.Shape is not null) n.Shape = change(n.Shape);
    }

    /// <summary>
    /// The raw keys still needed, in the order of <paramref name="order"/> (first mention in the adapter), then any
    /// others; optional keys nobody produced are left out.
    /// </summary>
    public List<KeyValuePair<string, int[]?>> Result(IEnumerable<string> order)
    {
        var result = new List<KeyValuePair<string, int[]?>>();
        foreach (string k in order)
            if (_needed.Remove(k, out Need? n) && !n.Optional) result.Add(new(k, n.Shape));
        foreach (var (k, n) in _needed)
            if (!n.Optional) result.Add(new(k, n.Shape));
        return result;
    }

    // Axes count the batch axis as 0, as in ExpandDims/Squeeze; per-data-set shapes do not hold it.

    /// <summary>
    /// The shape before an axis was inserted at <paramref name="axis"/>; null if the axis was impossible.
    /// </summary>
    public static int[]? RemoveAxis(int[] after, int axis)
    {
        int rank = after.Length + 1, a = axis < 0 ? rank + axis : axis;
        return a < 1 || a >= rank ? null : [.. after[..(a - 1)], .. after[a..]];
    }

    /// <summary>The shape before an axis of length 1 was removed at <paramref name="axis"/>.</summary>
    public static int[]? InsertAxis(int[] after, int axis)
    {
        int rank = after.Length + 2, a = axis < 0 ? rank + axis : axis;
        return a < 1 || a >= rank ? null : [.. after[..(a - 1)], 1, .. after[(a - 1)..]];
    }
}
