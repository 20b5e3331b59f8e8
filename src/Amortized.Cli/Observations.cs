using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Amortized.Parquet;

namespace Amortized.Cli;

/// <summary>
/// Reads observed data sets for <c>sample</c> and <c>log-prob</c>: a CSV with a header row and one data set per row,
/// a <c>.npy</c> array (data sets on the first axis), or a <c>.npz</c> archive or <c>.parquet</c> file with the model's
/// input keys.
/// </summary>
internal static class Observations
{
    /// <summary>
    /// Reads <paramref name="path"/> into a batch holding exactly the inputs of <paramref name="run"/>'s model. CSV
    /// columns are matched by name, in any order (<see cref="CsvColumns"/>): <c>x[0]</c>, <c>x[1]</c>, ... or a
    /// built-in task's <c>x_1</c>, <c>x_2</c>; parameter columns are skipped; any other name is an error.
    /// </summary>
    public static SimulationBatch Read(string path, RunInfo run)
    {
        IReadOnlyList<InputKey> inputs = run.Inputs;
        if (!File.Exists(path)) throw new UsageException($"observation file '{path}' does not exist.");
        PosixFiles.EnsureRegularFile(path, "observation file");
        string ext = Path.GetExtension(path).ToLowerInvariant();
        int total = inputs.Sum(k => k.RowLength);
        SimulationBatch batch;
        try
        {
            batch = ext switch
            {
                ".csv" => FromCsv(path, run, total),
                ".npy" => FromFlat(path, Npy.Read(path), inputs, total),
                ".npz" => Npy.ReadBatch(path),
                ".parquet" => ParquetFiles.Read(path),
                _ => throw new UsageException(
                    $"observation file '{path}' has extension '{ext}'; expected .csv, .npy, .npz or .parquet."),
            };
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new UsageException($"cannot read observation file '{path}': {e.Message}");
        }
        if (batch.BatchSize == 0) throw new UsageException($"observation file '{path}' holds no data sets.");
        var result = new SimulationBatch(batch.BatchSize);
        foreach (var input in inputs)
        {
            if (!batch.Contains(input.Name))
                throw new UsageException(
                    $"observation file '{path}' lacks '{input.Name}'; it has {string.Join(", ", batch.Keys)}.");
            var shape = batch.Shape(input.Name);
            if (!shape[1..].SequenceEqual(input.RowShape))
                throw new UsageException($"observation '{input.Name}' in '{path}' has shape {Format(shape[1..])} per " +
                    $"data set; the model expects {Format(input.RowShape)}.");
            float[] values = batch.Get(input.Name);
            int bad = Array.FindIndex(values, v => !float.IsFinite(v));
            if (bad >= 0)
                throw new UsageException($"observation '{input.Name}' in '{path}' has a non-finite value " +
                    $"({values[bad]}) in data set {bad / Math.Max(1, input.RowLength)}.");
            result.Set(input.Name, values, shape.ToArray());
        }
        return result;
    }

    private static SimulationBatch FromCsv(string path, RunInfo run, int total)
    {
        CsvTable table = Csv.ReadTable(path);
        // A model comparison of tasks with one data shape reads the data under the first task's names.
        string? task = run.Task ?? run.Models?.FirstOrDefault();
        var expected = CsvColumns.Of(run.Inputs, CsvColumns.TaskNames(task, run.Inputs, parameters: false));
        var parameters = CsvColumns.Of(run.Parameters, CsvColumns.TaskNames(task, run.Parameters, parameters: true));
        float[][] columns = CsvColumns.Match(table, path, "observation file", expected, parameters);
        var flat = new float[table.RowCount * total];
        for (int c = 0; c < total; c++)
            for (int r = 0; r < table.RowCount; r++) flat[r * total + c] = columns[c][r];
        return Split(flat, table.RowCount, run.Inputs, total);
    }

    private static SimulationBatch FromFlat(string path, NpyArray array, IReadOnlyList<InputKey> inputs, int total)
    {
        float[] values = array.ToFloat32();
        int[] shape = array.Shape;
        // One key: (B, row shape...) or just (row shape...) for a single data set.
        if (inputs.Count == 1)
        {
            var input = inputs[0];
            if (shape.AsSpan().SequenceEqual(input.RowShape) && !(shape.Length == 1 && input.RowShape.Length == 0))
                return new SimulationBatch(1).Set(input.Name, values, [1, .. input.RowShape]);
            if (shape.Length >= 1 && shape.AsSpan(1).SequenceEqual(input.RowShape))
                return new SimulationBatch(shape[0]).Set(input.Name, values, shape);
        }
        if (shape.Length == 2 && shape[1] == total) return Split(values, shape[0], inputs, total);
        if (shape.Length == 1 && shape[0] == total) return Split(values, 1, inputs, total);
        throw new UsageException(
            $"observation array in '{path}' has shape {Format(shape)}; the model expects (B, {total}) or one data " +
            $"set of {total} values ({string.Join(", ", inputs.Select(k => $"{k.Name} {Format(k.RowShape)}"))}).");
    }

    private static SimulationBatch Split(float[] flat, int rows, IReadOnlyList<InputKey> inputs, int total)
    {
        var batch = new SimulationBatch(rows);
        int offset = 0;
        foreach (var input in inputs)
        {
            int len = input.RowLength;
            var data = new float[rows * len];
            for (int r = 0; r < rows; r++) Array.Copy(flat, r * total + offset, data, r * len, len);
            batch.Set(input.Name, data, [rows, .. input.RowShape]);
            offset += len;
        }
        return batch;
    }

    public static string Format(ReadOnlySpan<int> shape) =>
        "(" + string.Join(", ", shape.ToArray()) + (shape.Length == 1 ? ",)" : ")");
}
