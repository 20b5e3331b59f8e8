using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Amortized.Inference.Serialization;

/// <summary>
/// The observation layout of a model (used by the C library and written by the command line): which raw keys a data set
/// consists of, in which order, and the per-data-set shape of each (no batch axis), written as a JSON object such as
/// <c>{"x": [100], "observed": [100], "n": []}</c>. Store it in a model file's metadata under
/// <see cref="MetadataKey"/> when the adapter does not fix every shape (a summary network over sets or time
/// series leaves the number of elements open), or pass it to <c>amortized_load_with_shapes</c>.
/// </summary>
/// <example>
/// <code>
/// workflow.Save(path, new Dictionary&lt;string, string&gt;
/// {
///     [ObservationShapes.MetadataKey] =
///         ObservationShapes.Format([new("x", [100]), new("observed", [100]), new("n", [])]),
/// });
/// </code>
/// </example>
public static class ObservationShapes
{
    /// <summary>The model-file metadata entry the C library reads the layout from: <c>observation_shapes</c>.</summary>
    public const string MetadataKey = "observation_shapes";

    /// <summary>
    /// The most floats one data set may hold, over all keys, unless a caller sets another bound: 2^20 (4 MiB of
    /// float32). Layouts come from callers and files, so a declared shape is checked against it before anything
    /// is allocated for it.
    /// </summary>
    public const long DefaultMaxElements = 1 << 20;

    /// <summary>Writes keys and per-data-set shapes, in order, as the JSON object the C library reads.</summary>
    /// <exception cref="ArgumentException">A key is empty or repeated, or a dimension is not positive.</exception>
    public static string Format(IEnumerable<KeyValuePair<string, int[]>> shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var (key, shape) in shapes)
            {
                Check(key, shape, seen);
                w.WriteStartArray(key);
                foreach (int d in shape) w.WriteNumberValue(d);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads the JSON object written by <see cref="Format"/>, keeping its order.</summary>
    /// <param name="json">The layout.</param>
    /// <param name="maxElements">The most floats a data set may hold over all keys (see
    /// <see cref="CheckSize"/>).</param>
    /// <exception cref="FormatException">The text is not such an object, or its shapes hold more than
    /// <paramref name="maxElements"/> floats.</exception>
    public static List<KeyValuePair<string, int[]>> Parse(string json, long maxElements = DefaultMaxElements)
    {
        var result = new List<KeyValuePair<string, int[]>>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new FormatException($"observation shapes: expected a JSON object from key to shape, e.g. " +
                    $"{{\"x\": [10], \"n\": []}}; got a {doc.RootElement.ValueKind}.");
            foreach (JsonProperty p in doc.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.Array)
                    throw new FormatException($"observation shapes: key '{p.Name}' maps to a {p.Value.ValueKind}; " +
                        "expected an array of dimensions such as [10] (or [] for a scalar).");
                var dims = new List<int>();
                foreach (JsonElement d in p.Value.EnumerateArray())
                {
                    if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int v))
                        throw new FormatException($"observation shapes: key '{p.Name}' has the dimension " +
                            $"{d.GetRawText()}; expected a positive integer.");
                    dims.Add(v);
                }
                int[] shape = [.. dims];
                try { Check(p.Name, shape, seen); }
                catch (ArgumentException e) { throw new FormatException(e.Message, e); }
                result.Add(new(p.Name, shape));
            }
            CheckSize(result, maxElements);
        }
        catch (JsonException e)
        {
            throw new FormatException($"observation shapes: not valid JSON ({e.Message}).", e);
        }
        return result;
    }

    /// <summary>
    /// The floats per data set of <paramref name="shapes"/> (the sum of the shapes' products), checked without
    /// overflow against <paramref name="maxElements"/>. Dimensions that are not positive (unknown) count as 1.
    /// </summary>
    /// <exception cref="FormatException">The total exceeds <paramref name="maxElements"/>; the message names the
    /// key that crosses it, its shape and the bound.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxElements"/> is not 1 to Array.MaxLength.
    /// </exception>
    public static long CheckSize(IEnumerable<KeyValuePair<string, int[]>> shapes, long maxElements)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        // At most Array.MaxLength (no data set could be allocated beyond it), so the products below stay in range.
        ArgumentOutOfRangeException.ThrowIfLessThan(maxElements, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxElements, Array.MaxLength);
        long total = 0;
        foreach (var (key, shape) in shapes)
        {
            // Saturating: once past the bound the exact product no longer matters, and it cannot overflow.
            long size = 1;
            foreach (int d in shape) size = Math.Min(size * Math.Max(d, 1), maxElements + 1);
            total = Math.Min(total + size, maxElements + 1);
            if (total > maxElements)
                throw new FormatException($"observation shapes: key '{key}' has the shape " +
                    $"({string.Join(", ", shape)}), which brings a data set to more than {maxElements} floats; " +
                    $"allowed: at most {maxElements} floats per data set.");
        }
        return total;
    }

    private static void Check(string key, int[] shape, HashSet<string> seen)
    {
        if (string.IsNullOrEmpty(key)) throw new ArgumentException("observation shapes: a key is empty.", nameof(key));
        ArgumentNullException.ThrowIfNull(shape);
        if (!seen.Add(key)) throw new ArgumentException($"observation shapes: key '{key}' appears twice.", nameof(key));
        foreach (int d in shape)
            if (d <= 0) throw new ArgumentException(
                $"observation shapes: key '{key}' has the dimension {d}; dimensions must be positive.", nameof(shape));
    }
}
