using Amortized.Inference.Simulators;

namespace Amortized.Inference.FileFormats;

/// <summary>
/// Checks shared by the shard readers: the schema of arrays read from a shard, arrays against the keys a shard
/// must hold (a manifest's, or the schema read when a folder was scanned), and one shard's keys against the
/// dataset's (fixed by its first shard). Every message starts with the shard's path and names the key, the
/// expected and the actual value.
/// </summary>
internal static class ShardArrays
{
    /// <summary>
    /// The keys (in stored order) and row count of the arrays of one part of a shard, from their names, shapes and
    /// dtypes (read from headers, or from arrays read whole): every array needs a row axis, all the same length.
    /// </summary>
    public static (List<ShardKey> Keys, int Rows) Schema(string path,
        IEnumerable<(string Name, int[] Shape, NpyDType DType)> arrays)
    {
        var keys = new List<ShardKey>();
        int rows = -1;
        string? first = null;
        foreach (var (name, shape, dtype) in arrays)
        {
            var a = (Shape: shape, DType: dtype);
            if (a.Shape.Length == 0)
                throw new InvalidDataException($"{path}: key '{InputText.Sanitize(name)}' is a scalar (shape ()); a " +
                    "shard's arrays have the row axis first.");
            if (rows < 0) (rows, first) = (a.Shape[0], name);
            else if (a.Shape[0] != rows)
                throw new InvalidDataException($"{path}: key '{InputText.Sanitize(name)}' has {a.Shape[0]} rows " +
                    $"(shape {ShapeText.Format(a.Shape)}); key '{InputText.Sanitize(first!)}' has {rows}: every key " +
                    "of a shard has the same rows.");
            keys.Add(new ShardKey(name, a.Shape[1..], a.DType));
        }
        if (keys.Count == 0) throw new InvalidDataException($"{path}: the shard holds no arrays.");
        return (keys, rows);
    }

    /// <summary>
    /// Checks that <paramref name="arrays"/> hold exactly <paramref name="keys"/> with <paramref name="rows"/> rows
    /// of their shapes and dtypes; <paramref name="source"/> says where the keys come from ("the manifest").
    /// </summary>
    public static void Check(string path, int rows, IReadOnlyList<ShardKey> keys,
        IReadOnlyDictionary<string, NpyArray> arrays, string source)
    {
        foreach (ShardKey k in keys)
        {
            if (!arrays.TryGetValue(k.Name, out NpyArray? a))
                throw new InvalidDataException(
                    $"{path}: key '{k.Name}' of {source} is missing; the shard holds {ShapeText.Keys(arrays.Keys)}.");
            int[] expected = [rows, .. k.RowShape];
            if (!ShapeText.Equal(a.Shape, expected))
                throw new InvalidDataException(
                    $"{path}: key '{k.Name}' has shape {ShapeText.Format(a.Shape)}; {source} says "
                    + $"{ShapeText.Format(expected)} ({rows} rows of {ShapeText.Format(k.RowShape)}).");
            if (a.DType != k.DType)
                throw new InvalidDataException($"{path}: key '{k.Name}' is {ShardManifest.DTypeName(a.DType)}; " +
                    $"{source} says {ShardManifest.DTypeName(k.DType)}.");
        }
        if (arrays.Count != keys.Count)
            foreach (string name in arrays.Keys)
                if (!keys.Any(k => k.Name == name))
                    throw new InvalidDataException($"{path}: key '{InputText.Sanitize(name)}' is not in {source}, " +
                        $"which lists {ShapeText.Keys(keys.Select(k => k.Name))}.");
    }

    /// <summary>
    /// Checks one shard's keys against the dataset's, which its first shard (<paramref name="firstShard"/>) fixed:
    /// the same names, per-row shapes and dtypes.
    /// </summary>
    public static void CheckSameKeys(string path, IReadOnlyList<ShardKey> keys, IReadOnlyList<ShardKey> dataset,
        string firstShard)
    {
        string where = $"the first shard '{InputText.Sanitize(firstShard)}'";
        foreach (ShardKey k in dataset)
        {
            ShardKey? mine = keys.FirstOrDefault(x => x.Name == k.Name);
            if (mine is null)
                throw new InvalidDataException($"{path}: lacks key '{k.Name}' of {where}; the shard holds " +
                    $"{ShapeText.Keys(keys.Select(x => x.Name))}.");
            if (!ShapeText.Equal(mine.RowShape, k.RowShape))
                throw new InvalidDataException($"{path}: key '{k.Name}' has rows of shape " +
                    $"{ShapeText.Format(mine.RowShape)}; expected {ShapeText.Format(k.RowShape)} as in {where}.");
            if (mine.DType != k.DType)
                throw new InvalidDataException($"{path}: key '{k.Name}' is {ShardManifest.DTypeName(mine.DType)}; " +
                    $"expected {ShardManifest.DTypeName(k.DType)} as in {where}.");
        }
        foreach (ShardKey k in keys)
            if (!dataset.Any(x => x.Name == k.Name))
                throw new InvalidDataException($"{path}: has key '{InputText.Sanitize(k.Name)}', which {where} " +
                    $"lacks; it holds {ShapeText.Keys(dataset.Select(x => x.Name))}.");
    }

    /// <summary>
    /// The most bytes a shard of <paramref name="rows"/> rows of <paramref name="keys"/> may hold in npy form: the data
    /// plus the largest npy header (and its preamble) per key. A shard whose files declare more was replaced since
    /// its headers were scanned, and is refused before it is read.
    /// </summary>
    public static long NpyBytes(int rows, IReadOnlyList<ShardKey> keys, ReadLimits limits) =>
        checked(rows * RowBytes(keys) + (long)keys.Count * (limits.MaxNpyHeaderBytes + 12));

    /// <summary>Bytes of one row of all <paramref name="keys"/> together.</summary>
    public static long RowBytes(IReadOnlyList<ShardKey> keys)
    {
        long total = 0;
        foreach (ShardKey k in keys)
            total = checked(total + ShapeText.Product(k.RowShape) * (long)NpyArray.ItemSize(k.DType));
        return total;
    }

    /// <summary>
    /// A batch of <paramref name="rows"/> rows holding <paramref name="keys"/> from <paramref name="arrays"/>
    /// (checked beforehand), float32, integer dtypes flagged integer; float arrays are taken without a copy.
    /// </summary>
    public static SimulationBatch ToBatch(int rows, IReadOnlyList<ShardKey> keys,
        IReadOnlyDictionary<string, NpyArray> arrays)
    {
        var batch = new SimulationBatch(rows);
        foreach (ShardKey k in keys)
        {
            NpyArray a = arrays[k.Name];
            batch.SetCore(k.Name, a.TakeFloat32(), a.Shape, k.DType is not (NpyDType.Float32 or NpyDType.Float64));
        }
        return batch;
    }
}
