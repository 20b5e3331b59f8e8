using Amortized.Inference.Simulators;

namespace Amortized.Inference.FileFormats;

/// <summary>
/// Shards that are <c>.npz</c> archives (as <c>np.savez</c>, <c>np.savez_compressed</c> and
/// <see cref="ShardedDatasetWriter"/> write them): one array per key, all with the same number of rows; the whole
/// archive is one part.
/// </summary>
public sealed class NpzShardFormat : IShardFormat
{
    /// <summary>The one instance (the format holds no state).</summary>
    public static NpzShardFormat Instance { get; } = new();

    private NpzShardFormat() { }

    /// <inheritdoc/>
    public string Name => "npz";

    /// <inheritdoc/>
    public bool Claims(string path) =>
        path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase) && File.Exists(path);

    /// <inheritdoc/>
    /// <remarks>
    /// The archive's entries are checked against <paramref name="limits"/> before anything is inflated (as
    /// <see cref="Npy.ReadNpz(string, ReadLimits)"/> does); then only each entry's npy header is read (a deflated
    /// entry inflates its first bytes), so scanning a folder costs about one small read per shard.
    /// </remarks>
    public ShardSchema Inspect(string path, ReadLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var (keys, rows) = ShardArrays.Schema(path, Npy.ReadNpzHeaders(path, limits));
        return new ShardSchema(keys, [rows]);
    }

    /// <inheritdoc/>
    public SimulationBatch ReadPart(string path, int part, ShardSchema schema, ReadLimits limits)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentOutOfRangeException.ThrowIfNotEqual(part, 0);
        int rows = schema.PartRows[0];
        // The schema says what the archive holds, so an archive replaced by a larger one is refused before it is
        // inflated, even within the general limits.
        long expected = ShardArrays.NpyBytes(rows, schema.Keys, limits);
        Dictionary<string, NpyArray> arrays = Npy.ReadNpz(path, limits,
            (expected, $"{rows} rows as its headers declared when the folder was scanned, with their npy headers"));
        ShardArrays.Check(path, rows, schema.Keys, arrays, "the schema scanned from its headers");
        return ShardArrays.ToBatch(rows, schema.Keys, arrays);
    }
}
