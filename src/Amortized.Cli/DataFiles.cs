using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Amortized.Parquet;

namespace Amortized.Cli;

/// <summary>Reads simulations and observations from the file formats the command accepts.</summary>
internal static class DataFiles
{
    /// <summary>
    /// Reads a batch from <c>.npz</c> (one key per array), <c>.npy</c> (one key named after the file), or CSV
    /// (columns <c>key[i]</c> regroup into arrays), or Parquet (plain, <c>key[i]</c> or list columns, every row group). Several files with the same keys are stacked by rows (shards of
    /// one data set; each key's per-row shape must agree); files with disjoint keys are merged key by key (their row
    /// counts must agree); anything between is an error naming the keys.
    /// </summary>
    public static SimulationBatch ReadBatch(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0) throw new UsageException("no data file given.");
        var batches = paths.Select(ReadOne).ToList();
        var first = batches[0];
        var keys = new HashSet<string>(first.Keys, StringComparer.Ordinal);
        if (batches.All(b => keys.SetEquals(b.Keys)))
        {
            if (batches.Count == 1) return first;
            for (int i = 1; i < batches.Count; i++)
                foreach (string key in first.Keys)
                {
                    ReadOnlySpan<int> expected = first.Shape(key)[1..], actual = batches[i].Shape(key)[1..];
                    if (!expected.SequenceEqual(actual))
                        throw new UsageException($"data file '{paths[i]}': key '{key}' has shape " +
                            $"{Observations.Format(actual)} per row; '{paths[0]}' has {Observations.Format(expected)} " +
                            "(files with the same keys are stacked by rows).");
                }
            return SimulationBatch.Concatenate(batches);
        }
        var merged = first;
        for (int i = 1; i < batches.Count; i++)
        {
            var batch = batches[i];
            if (batch.Keys.FirstOrDefault(merged.Contains) is { } shared)
                throw new UsageException($"data file '{paths[i]}' shares key '{shared}' with the files before it but " +
                    $"not all keys ([{string.Join(", ", batch.Keys)}] against [{string.Join(", ", first.Keys)}]); " +
                    "files are stacked by rows when their keys are the same, merged when they are disjoint.");
            if (batch.BatchSize != merged.BatchSize)
                throw new UsageException(
                    $"data file '{paths[i]}' has {batch.BatchSize} rows; the files before it have {merged.BatchSize} " +
                    "(files with different keys are merged row by row).");
            foreach (string key in batch.Keys) merged.Set(key, batch.Get(key), batch.Shape(key).ToArray());
        }
        return merged;
    }

    private static SimulationBatch ReadOne(string path)
    {
        if (Directory.Exists(path))
            throw new UsageException($"'{path}' is a folder; a sharded dataset is read with --data FOLDER alone.");
        if (!File.Exists(path)) throw new UsageException($"data file '{path}' does not exist.");
        PosixFiles.EnsureRegularFile(path, "data file");
        string ext = Path.GetExtension(path).ToLowerInvariant();
        try
        {
            switch (ext)
            {
                case ".npz":
                    return Npy.ReadBatch(path);
                case ".npy":
                {
                    var array = Npy.Read(path);
                    string key = Path.GetFileNameWithoutExtension(path);
                    if (array.Shape.Length == 0)
                        throw new UsageException(
                            $"'{path}' holds a scalar; expected an array with the data sets on its first axis.");
                    return new SimulationBatch(array.Shape[0]).Set(key, array.ToFloat32(), array.Shape);
                }
                case ".csv":
                    return Csv.Read(path);
                case ".parquet":
                    return ParquetFiles.Read(path);
                default:
                    throw new UsageException(
                        $"data file '{path}' has extension '{ext}'; expected .npz, .npy, .csv or .parquet.");
            }
        }
        catch (Exception e) when (e is not UsageException && (e is InvalidDataException or FormatException
            or EndOfStreamException or IOException and not FileNotFoundException))
        {
            throw new UsageException($"cannot read '{path}': {e.Message}");
        }
    }
}
