namespace Amortized.Parquet;

/// <summary>
/// Checks that the rows of a list column (nested one or more deep) all have the same lengths, from the
/// leaf's repetition and definition levels (Dremel encoding): repetition level 0 starts a row, level r &gt; 0 adds an
/// element to the list at depth r and starts new lists below it; a definition level below the maximum is a null or
/// an empty list.
/// </summary>
internal static class ListRows
{
    /// <summary>
    /// Walks <paramref name="n"/> level pairs. <paramref name="shape"/>[k] is the expected length of lists at depth k,
    /// or -1 to take it from the first row (it is filled in). Throws naming the file, row group, column, row, the
    /// expected and the actual length.
    /// </summary>
    public static void Check(string path, int part, string column, int[] def, int[] rep, int n, int maxDef, int depth,
        int[] shape, int rows)
    {
        var count = new int[depth];
        int row = -1;
        for (int i = 0; i < n; i++)
        {
            int r = rep[i];
            if (r < 0 || r > depth)
                throw ParquetShardFormat.Fail($"Parquet file '{path}': row group {part} column '{column}' has " +
                    $"repetition level {r} at value {i}; a list nested {depth} deep has levels 0 to {depth}.");
            if (r == 0)
            {
                if (row >= 0) Close(path, part, column, count, 0, shape, row);
                row++;
                count.AsSpan().Fill(1);
            }
            else
            {
                if (row < 0)
                    throw ParquetShardFormat.Fail($"Parquet file '{path}': row group {part} column '{column}' " +
                        "does not start a row at its first value.");
                Close(path, part, column, count, r, shape, row);
                for (int k = r; k < depth; k++) count[k] = 1;
                count[r - 1]++;
            }
            if (def[i] < maxDef)
                throw ParquetShardFormat.Fail($"Parquet file '{path}': row group {part} column '{column}' has a null " +
                    $"or an empty list in row {row} (rows must hold lists of {Describe(shape)} numbers, without nulls).");
        }
        if (row >= 0) Close(path, part, column, count, 0, shape, row);
        if (row + 1 != rows)
            throw ParquetShardFormat.Fail($"Parquet file '{path}': row group {part} column '{column}' holds {row + 1} " +
                $"rows; the row group has {rows}.");
    }

    /// <summary>Ends the lists at depths <paramref name="from"/> and below, checking their lengths.</summary>
    private static void Close(string path, int part, string column, int[] count, int from, int[] shape, int row)
    {
        for (int k = count.Length - 1; k >= from; k--)
        {
            if (shape[k] < 0) shape[k] = count[k];
            else if (count[k] != shape[k])
                throw ParquetShardFormat.Fail($"Parquet file '{path}': row group {part} column '{column}' row {row} " +
                    $"has a list of length {count[k]}" + (count.Length > 1 ? $" at depth {k}" : "") +
                    $"; expected {shape[k]} (every row of a key must have the same shape).");
        }
    }

    private static string Describe(int[] shape) =>
        shape.Any(d => d < 0) ? "equal" : string.Join(" x ", shape);
}
