using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;

namespace Amortized.Cli;

/// <summary>Reads simulations and observations from the file formats the command accepts.</summary>
internal static class DataFiles
{
    /// <summary>
    /// Reads a batch from <c>.npz</c> (one key per array), <c>.npy</c> (one key named after the file), or CSV
    /// (columns <c>key[i]</c> regroup into arrays). Several files are merged key by key; their row counts must agree.
    /// </summary>
    public static SimulationBatch ReadBatch(IReadOnlyList<string> paths)
    {
        SimulationBatch? merged = null;
        foreach (string path in paths)
        {
            var batch = ReadOne(path);
            if (merged is null) { merged = batch; continue; }
            if (batch.BatchSize != merged.BatchSize)
                throw new UsageException(
                    $"data file '{path}' has {batch.BatchSize} rows; the files before it have {merged.BatchSize}.");
            foreach (string key in batch.Keys)
            {
                if (merged.Contains(key))
                    throw new UsageException($"key '{key}' appears in more than one data file (again in '{path}').");
                merged.Set(key, batch.Get(key), batch.Shape(key).ToArray());
            }
        }
        return merged ?? throw new UsageException("no data file given.");
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
                default:
                    throw new UsageException($"data file '{path}' has extension '{ext}'; expected .npz, .npy or .csv.");
            }
        }
        catch (Exception e) when (e is not UsageException && (e is InvalidDataException or FormatException
            or EndOfStreamException or IOException and not FileNotFoundException))
        {
            throw new UsageException($"cannot read '{path}': {e.Message}");
        }
    }
}
