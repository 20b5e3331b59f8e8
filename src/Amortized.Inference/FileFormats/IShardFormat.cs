using Amortized.Inference.Simulators;

namespace Amortized.Inference.FileFormats;

/// <summary>One key of a shard: its name, per-row shape (no batch axis) and stored element type.</summary>
public sealed record ShardKey(string Name, int[] RowShape, NpyDType DType);

/// <summary>
/// What a shard holds, read from its headers (npy headers, a Parquet footer) without reading its data: the keys in
/// stored order and the rows of each part. A part is the unit read at once: a whole <c>.npz</c> file, or one row
/// group of a Parquet file, so a file larger than memory streams part by part.
/// </summary>
public sealed record ShardSchema(IReadOnlyList<ShardKey> Keys, IReadOnlyList<int> PartRows)
{
    /// <summary>Rows over all parts.</summary>
    public long Rows => PartRows.Sum(r => (long)r);
}

/// <summary>
/// A file format that a sharded folder may hold (npz files, groups of npy files, Parquet files). A folder without a
/// manifest is read as one data set by the formats registered in <see cref="ShardFormats"/>.
/// </summary>
public interface IShardFormat
{
    /// <summary>Short name for messages, e.g. "npz" or "parquet".</summary>
    string Name { get; }

    /// <summary>True when <paramref name="path"/> (a file or folder inside a dataset folder) is a shard of this format.</summary>
    bool Claims(string path);

    /// <summary>
    /// Reads the shard's keys and part row counts from its headers, within <paramref name="limits"/>. Throws
    /// <see cref="InvalidDataException"/> naming <paramref name="path"/> for a corrupt or oversized shard.
    /// </summary>
    ShardSchema Inspect(string path, ReadLimits limits);

    /// <summary>
    /// Reads part <paramref name="part"/> as a batch of <c>schema.PartRows[part]</c> rows with the keys of
    /// <paramref name="schema"/> (as returned by <see cref="Inspect"/> for this path). Throws
    /// <see cref="InvalidDataException"/> naming the path when the data disagree with the schema.
    /// </summary>
    SimulationBatch ReadPart(string path, int part, ShardSchema schema, ReadLimits limits);
}
