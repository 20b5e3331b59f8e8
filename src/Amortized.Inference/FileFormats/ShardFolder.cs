namespace Amortized.Inference.FileFormats;

/// <summary>
/// Lists the shards of a manifest-free dataset folder: the entries (files and subfolders) that are not hidden or
/// in flight, in natural order, each with the format that claims it.
/// </summary>
/// <remarks>
/// Writers publish a shard atomically by writing it under a temporary name and renaming it (Spark, Dask and
/// <see cref="AtomicFile"/> all do), so names starting with '.' or '_' (hidden files, <c>_SUCCESS</c>,
/// <c>_metadata</c>, temporary folders) and names ending in <c>.tmp</c> or <c>.part</c> are never shards;
/// <c>manifest.json</c> is skipped too, so a folder written by <see cref="ShardedDatasetWriter"/> also reads as a
/// manifest-free folder while it grows. Any other entry must be claimed by a format: a stray file is an error
/// rather than silently ignored data.
/// </remarks>
internal static class ShardFolder
{
    /// <summary>Written by a producer (Spark, Hadoop, the Dask recipe) when the folder is complete.</summary>
    public const string SuccessMarker = "_SUCCESS";

    /// <summary>The formats a folder is read with: the built-in ones, then the registered ones.</summary>
    public static IReadOnlyList<IShardFormat> Formats() =>
        [NpzShardFormat.Instance, NpyGroupShardFormat.Instance, .. ShardFormats.Registered];

    /// <summary>Whether an entry name is skipped: hidden, in flight, a marker or the manifest.</summary>
    public static bool IsSkipped(string name) =>
        name.Length == 0 || name[0] is '.' or '_'
        || name.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase)
        || name.EndsWith(".part", StringComparison.OrdinalIgnoreCase)
        || name == ShardManifest.FileName;

    /// <summary>
    /// The entry names of <paramref name="folder"/> that may be shards, in natural order (see
    /// <see cref="NaturalCompare"/>).
    /// </summary>
    public static List<string> Entries(string folder)
    {
        var names = new List<string>();
        foreach (string path in Directory.EnumerateFileSystemEntries(folder))
        {
            string name = Path.GetFileName(path);
            if (!IsSkipped(name)) names.Add(name);
        }
        names.Sort(NaturalCompare);
        return names;
    }

    /// <summary>
    /// The format that claims <paramref name="path"/>, the first of <paramref name="formats"/> to do so; throws
    /// <see cref="InvalidDataException"/> naming the entry and the formats when none does.
    /// </summary>
    public static IShardFormat FormatOf(string path, IReadOnlyList<IShardFormat> formats)
    {
        foreach (IShardFormat f in formats)
            if (f.Claims(path)) return f;
        string name = Path.GetFileName(path);
        throw new InvalidDataException(
            $"{path}: '{InputText.Sanitize(name)}' is not a shard of any known format " +
            $"({string.Join(", ", formats.Select(f => f.Name))}); a dataset folder holds only shards. Move it out, " +
            "or start its name with '_' or '.' to have readers skip it.");
    }

    /// <summary>
    /// Natural order: runs of digits compare by value, so <c>part-2</c> comes before <c>part-10</c>; other
    /// characters compare ordinally; names equal in that order (<c>a01</c>, <c>a1</c>) fall back to ordinal order,
    /// so the order is total and the same on every machine.
    /// </summary>
    public static int NaturalCompare(string? a, string? b)
    {
        if (ReferenceEquals(a, b)) return 0;
        if (a is null) return -1;
        if (b is null) return 1;
        int i = 0, j = 0;
        while (i < a.Length && j < b.Length)
        {
            if (char.IsAsciiDigit(a[i]) && char.IsAsciiDigit(b[j]))
            {
                int si = i, sj = j;
                while (i < a.Length && char.IsAsciiDigit(a[i])) i++;
                while (j < b.Length && char.IsAsciiDigit(b[j])) j++;
                ReadOnlySpan<char> x = a.AsSpan(si, i - si).TrimStart('0'), y = b.AsSpan(sj, j - sj).TrimStart('0');
                // Without leading zeros, a longer run is a larger number; equal lengths compare digit by digit.
                if (x.Length != y.Length) return x.Length.CompareTo(y.Length);
                int c = x.SequenceCompareTo(y);
                if (c != 0) return c;
            }
            else
            {
                int c = a[i].CompareTo(b[j]);
                if (c != 0) return c;
                i++;
                j++;
            }
        }
        int rest = (a.Length - i).CompareTo(b.Length - j);
        return rest != 0 ? rest : string.CompareOrdinal(a, b);
    }
}
