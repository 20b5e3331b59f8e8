using System.Diagnostics;

namespace Amortized.Inference.Simulators;

/// <summary>
/// A set of named float32 arrays that share a leading batch axis B: each key holds an array of shape (B, ...)
/// stored flat in C order. Shapes are checked on insertion. Integer-valued outputs (counts, indices) are kept
/// exact as long as they fit in float32's 24-bit significand, and are flagged so readers can ask for ints.
/// </summary>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class SimulationBatch
{
    /// <summary>Largest integer magnitude float32 represents exactly (2^24).</summary>
    public const int MaxExactInteger = 16_777_216;

    private readonly OrderedDictionary<string, Entry> _arrays = new(StringComparer.Ordinal);

    private sealed record Entry(float[] Data, int[] Shape, bool IsInteger);

    /// <summary>Creates an empty batch of <paramref name="batchSize"/> rows.</summary>
    public SimulationBatch(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchSize);
        BatchSize = batchSize;
    }

    /// <summary>The number of rows B (the leading axis of every array).</summary>
    public int BatchSize { get; }

    /// <summary>Keys in insertion order.</summary>
    public IReadOnlyList<string> Keys => [.. _arrays.Keys];

    /// <summary>Number of keys.</summary>
    public int Count => _arrays.Count;

    /// <summary>What the simulator observed while producing this batch (null for hand-built batches).</summary>
    public SimulationReport? Report { get; internal set; }

    /// <summary>Whether <paramref name="key"/> is present.</summary>
    public bool Contains(string key) => _arrays.ContainsKey(key);

    /// <summary>
    /// Adds or replaces <paramref name="key"/>. <paramref name="shape"/> includes the batch axis, so
    /// shape[0] must equal <see cref="BatchSize"/> and the product of shape must equal data.Length.
    /// The array is stored without a copy.
    /// </summary>
    public SimulationBatch Set(string key, float[] data, params int[] shape) => SetCore(key, data, shape, false);

    /// <summary>
    /// Adds or replaces an integer-valued array (stored as exact float32); |values| must be at most 2^24.
    /// </summary>
    public SimulationBatch SetIntegers(string key, int[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        var f = new float[data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            if (Math.Abs((long)data[i]) > MaxExactInteger)
                throw new ArgumentException($"SimulationBatch: key '{key}' element {i} is {data[i]}; integers are " +
                    "kept exact only up to |2^24|.", nameof(data));
            f[i] = data[i];
        }
        return SetCore(key, f, shape, true);
    }

    internal SimulationBatch SetCore(string key, float[] data, int[] shape, bool isInteger)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 0 || shape[0] != BatchSize)
            throw new ArgumentException(
                $"SimulationBatch: key '{key}' has shape {ShapeText.Format(shape)}; expected the batch axis first " +
                $"with {BatchSize} rows.", nameof(shape));
        foreach (int d in shape)
            if (d < 0) throw new ArgumentException($"SimulationBatch: key '{key}' has negative dimension in shape " +
                $"{ShapeText.Format(shape)}.", nameof(shape));
        if (ShapeText.Product(shape) != data.Length)
            throw new ArgumentException(
                $"SimulationBatch: key '{key}' has shape {ShapeText.Format(shape)} ({ShapeText.Product(shape)} " +
                $"elements) but {data.Length} values.", nameof(data));
        _arrays[key] = new Entry(data, (int[])shape.Clone(), isInteger);
        return this;
    }

    /// <summary>
    /// One data set (B = 1) from plain arrays, each with its per-data-set shape (no batch axis: () is a scalar,
    /// (n) a vector); the batch axis is added here. The arrays are stored without a copy.
    /// </summary>
    /// <example><code>SimulationBatch.From(("x", xs, [40, 2]), ("n", [40f], []))</code></example>
    public static SimulationBatch From(params (string Key, float[] Values, int[] Shape)[] arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        var batch = new SimulationBatch(1);
        foreach (var (key, values, shape) in arrays)
        {
            ArgumentNullException.ThrowIfNull(shape);
            batch.Set(key, values, [1, .. shape]);
        }
        return batch;
    }

    /// <summary>The flat C-order data of <paramref name="key"/> (not a copy).</summary>
    public float[] Get(string key) => Find(key).Data;

    /// <summary>The shape of <paramref name="key"/>, batch axis first.</summary>
    public ReadOnlySpan<int> Shape(string key) => Find(key).Shape;

    /// <summary>Whether <paramref name="key"/> holds integer values (counts, indices).</summary>
    public bool IsInteger(string key) => Find(key).IsInteger;

    /// <summary>The values of <paramref name="key"/> as ints; throws if any value is not an exact integer.</summary>
    public int[] GetIntegers(string key)
    {
        float[] data = Get(key);
        var result = new int[data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            float v = data[i];
            if (!(MathF.Round(v) == v) || Math.Abs(v) > MaxExactInteger)
                throw new InvalidOperationException(
                    $"SimulationBatch: key '{key}' element {i} is {v}, not an exact integer.");
            result[i] = (int)v;
        }
        return result;
    }

    /// <summary>Number of values per row of <paramref name="key"/> (product of the non-batch axes).</summary>
    public int RowLength(string key) => ShapeText.Product(Find(key).Shape.AsSpan(1));

    /// <summary>The values of one row of <paramref name="key"/>.</summary>
    public ReadOnlySpan<float> Row(string key, int row)
    {
        Entry e = Find(key);
        if ((uint)row >= (uint)BatchSize)
            throw new ArgumentOutOfRangeException(nameof(row),
                $"SimulationBatch: row {row} of key '{key}' is outside [0, {BatchSize}).");
        int len = ShapeText.Product(e.Shape.AsSpan(1));
        return e.Data.AsSpan(row * len, len);
    }

    /// <summary>Removes <paramref name="key"/>; returns whether it was present.</summary>
    public bool Remove(string key) => _arrays.Remove(key);

    /// <summary>A new batch holding the given rows (in the given order) of every key.</summary>
    public SimulationBatch SelectRows(ReadOnlySpan<int> rows)
    {
        var result = new SimulationBatch(rows.Length);
        foreach (var (key, e) in _arrays)
        {
            int len = ShapeText.Product(e.Shape.AsSpan(1));
            var data = new float[rows.Length * len];
            for (int i = 0; i < rows.Length; i++)
            {
                if ((uint)rows[i] >= (uint)BatchSize)
                    throw new ArgumentOutOfRangeException(nameof(rows),
                        $"SimulationBatch.SelectRows: row {rows[i]} is outside [0, {BatchSize}).");
                Array.Copy(e.Data, rows[i] * len, data, i * len, len);
            }
            int[] shape = (int[])e.Shape.Clone();
            shape[0] = rows.Length;
            result.SetCore(key, data, shape, e.IsInteger);
        }
        return result;
    }

    /// <summary>Rows [start, start + count) as a new batch.</summary>
    public SimulationBatch Slice(int start, int count)
    {
        var rows = new int[count];
        for (int i = 0; i < count; i++) rows[i] = start + i;
        return SelectRows(rows);
    }

    /// <summary>A deep copy.</summary>
    public SimulationBatch Clone()
    {
        var result = new SimulationBatch(BatchSize) { Report = Report };
        foreach (var (key, e) in _arrays) result.SetCore(key, (float[])e.Data.Clone(), e.Shape, e.IsInteger);
        return result;
    }

    /// <summary>
    /// Stacks batches along the batch axis. Every batch must hold the same keys with the same per-row shapes;
    /// the error names the key, the batch index, the expected and the actual shape.
    /// </summary>
    public static SimulationBatch Concatenate(IReadOnlyList<SimulationBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        if (batches.Count == 0) return new SimulationBatch(0);
        SimulationBatch first = batches[0];
        int total = 0;
        foreach (var b in batches) total += b.BatchSize;
        var result = new SimulationBatch(total);
        foreach (var (key, e) in first._arrays)
        {
            int len = ShapeText.Product(e.Shape.AsSpan(1));
            var data = new float[total * len];
            int offset = 0;
            for (int i = 0; i < batches.Count; i++)
            {
                if (!batches[i]._arrays.TryGetValue(key, out Entry? other))
                    throw new ArgumentException($"SimulationBatch.Concatenate: key '{key}' is missing from batch " +
                        $"{i}; it has {ShapeText.Keys(batches[i]._arrays.Keys)}.", nameof(batches));
                if (!ShapeText.Equal(other.Shape.AsSpan(1), e.Shape.AsSpan(1)))
                    throw new ArgumentException(
                        $"SimulationBatch.Concatenate: key '{key}' in batch {i} has row shape " +
                        $"{ShapeText.Format(other.Shape.AsSpan(1))}; expected {ShapeText.Format(e.Shape.AsSpan(1))}.",
                        nameof(batches));
                Array.Copy(other.Data, 0, data, offset, other.Data.Length);
                offset += other.Data.Length;
            }
            int[] shape = (int[])e.Shape.Clone();
            shape[0] = total;
            result.SetCore(key, data, shape, e.IsInteger);
        }
        for (int i = 1; i < batches.Count; i++)
            foreach (string key in batches[i]._arrays.Keys)
                if (!first.Contains(key))
                    throw new ArgumentException($"SimulationBatch.Concatenate: key '{key}' of batch {i} is missing " +
                        $"from batch 0; it has {ShapeText.Keys(first.Keys)}.", nameof(batches));
        return result;
    }

    /// <summary>Key and shape list, e.g. <c>SimulationBatch(B=64: mu (64, 1), x (64, 100))</c>.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        foreach (var (key, e) in _arrays) parts.Add($"{key} {ShapeText.Format(e.Shape)}");
        return $"SimulationBatch(B={BatchSize}: {string.Join(", ", parts)})";
    }

    private Entry Find(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!_arrays.TryGetValue(key, out Entry? e))
            throw new KeyNotFoundException(
                $"SimulationBatch: no key '{key}'; the batch has {ShapeText.Keys(_arrays.Keys)}.");
        return e;
    }
}
