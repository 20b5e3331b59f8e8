using Amortized.Inference.Simulators;

namespace Amortized.Inference.FileFormats;

/// <summary>
/// Shards that are folders of <c>.npy</c> files, one per key (<c>part-3/theta.npy</c>, <c>part-3/x.npy</c>):
/// the file name without <c>.npy</c> is the key, every array has the same number of rows, and the folder is one
/// part. Keys are in ordinal order of their names.
/// </summary>
/// <remarks>
/// A folder appears before its files do, so a producer publishes a group atomically by writing it under a skipped
/// name (<c>_part-3.tmp</c>, <c>.part-3</c>) and renaming the folder once complete. Loose <c>.npy</c> files directly
/// in a dataset folder are read as a single group (the folder itself) when the folder holds nothing else; mixed
/// with other shards they are an error, since it would be unclear whether they are rows or keys.
/// </remarks>
public sealed class NpyGroupShardFormat : IShardFormat
{
    /// <summary>The one instance (the format holds no state).</summary>
    public static NpyGroupShardFormat Instance { get; } = new();

    private NpyGroupShardFormat() { }

    /// <inheritdoc/>
    public string Name => "npy group";

    /// <inheritdoc/>
    public bool Claims(string path) => Directory.Exists(path) && Files(path).Count > 0;

    /// <inheritdoc/>
    /// <remarks>
    /// The files' lengths (which bound what their headers may declare) are summed and checked against
    /// <see cref="ReadLimits.MaxTotalBytes"/> before any file is read; each file is then read within
    /// <paramref name="limits"/>. Any file in the folder other than a skipped one and a <c>.npy</c> is an error.
    /// </remarks>
    public ShardSchema Inspect(string path, ReadLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var arrays = Read(path, limits, maxTotal: limits.MaxTotalBytes, "ReadLimits.MaxTotalBytes");
        var (keys, rows) = ShardArrays.Schema(path, arrays.Select(a => (a.Key, a.Value.Shape, a.Value.DType)));
        return new ShardSchema(keys, [rows]);
    }

    /// <inheritdoc/>
    public SimulationBatch ReadPart(string path, int part, ShardSchema schema, ReadLimits limits)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentOutOfRangeException.ThrowIfNotEqual(part, 0);
        int rows = schema.PartRows[0];
        long expected = ShardArrays.NpyBytes(rows, schema.Keys, limits);
        var arrays = Read(path, limits, expected, "its headers when the folder was scanned");
        var byName = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        foreach (var (name, a) in arrays) byName[name] = a;
        ShardArrays.Check(path, rows, schema.Keys, byName, "the schema scanned from its headers");
        return ShardArrays.ToBatch(rows, schema.Keys, byName);
    }

    /// <summary>The key files of a group folder, by key, in ordinal order; throws for any other visible file.</summary>
    internal static List<(string Key, string File)> Files(string folder)
    {
        var files = new List<(string, string)>();
        foreach (string path in Directory.EnumerateFileSystemEntries(folder))
        {
            string name = Path.GetFileName(path);
            if (ShardFolder.IsSkipped(name)) continue;
            if (name.EndsWith(".npy", StringComparison.Ordinal) && name.Length > 4 && File.Exists(path))
                files.Add((name[..^4], path));
        }
        files.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return files;
    }

    private static List<KeyValuePair<string, NpyArray>> Read(string folder, ReadLimits limits, long maxTotal,
        string source)
    {
        foreach (string path in Directory.EnumerateFileSystemEntries(folder))
        {
            string name = Path.GetFileName(path);
            if (!ShardFolder.IsSkipped(name) && !(name.EndsWith(".npy", StringComparison.Ordinal) && File.Exists(path)))
                throw new InvalidDataException($"{path}: an npy group shard holds only KEY.npy files; " +
                    $"'{InputText.Sanitize(name)}' is not one (start its name with '_' or '.' to have readers skip " +
                    "it).");
        }
        List<(string Key, string File)> files = Files(folder);
        if (files.Count == 0) throw new InvalidDataException($"{folder}: the npy group holds no .npy files.");
        long total = 0;
        foreach (var (_, file) in files) total += new FileInfo(file).Length;
        if (total > maxTotal)
            throw new InvalidDataException($"{folder}: the npy group's files hold {total} bytes; the limit is " +
                $"{maxTotal} ({source}).");
        var arrays = new List<KeyValuePair<string, NpyArray>>(files.Count);
        foreach (var (key, file) in files) arrays.Add(new(key, Npy.Read(file, limits)));
        return arrays;
    }
}
