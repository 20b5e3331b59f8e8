using Amortized.Inference;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Parquet;
using Parquet.Meta;
using Parquet.Schema;

namespace Amortized.Parquet;

/// <summary>
/// Parquet files as shards of a dataset (<see cref="IShardFormat"/>): one part per row group, so a file larger than
/// memory streams row group by row group. Reads the layouts Spark, Dask, pandas/pyarrow and DuckDB write:
/// <list type="bullet">
/// <item>a plain numeric column <c>mu</c> is a key of per-row shape () (batch shape (R,));</item>
/// <item>numeric columns <c>x[0]</c>, <c>x[1]</c>, ... (<c>x[0,0]</c>, <c>x[0,1]</c>, ... for 2-D) are regrouped
/// into a key <c>x</c> of per-row shape (D) or (D1, D2), by the CSV reader's rule (the full index grid, once);</item>
/// <item>a list column (<c>LIST&lt;float&gt;</c>, Spark's <c>array&lt;double&gt;</c>, DuckDB's <c>FLOAT[]</c>) is a key of
/// per-row shape (L); a list of lists is (L1, L2); every row must have the same lengths.</item>
/// </list>
/// Element types float, double, int32 and int64 are read into float32 batches (integer keys flagged as such, exact up
/// to 2^24 as everywhere in <see cref="SimulationBatch"/>). A null (or an empty or null list) is an error naming the
/// column and row, for float columns too: a missing simulation output silently turned into NaN would train a
/// posterior on a hole, so it is refused rather than guessed.
/// </summary>
/// <remarks>
/// Every size the file declares is checked before anything is allocated for it: the footer's length and its Thrift
/// element counts against the file (<see cref="ParquetFooter"/>), each row group's rows and each column chunk's
/// value count against <see cref="ReadLimits.MaxArrayBytes"/>, <see cref="ReadLimits.MaxTotalBytes"/> (one row group)
/// and <see cref="ReadLimits.MaxCompressionRatio"/> (decoded bytes against the file's length, above
/// <see cref="ReadLimits.CompressionRatioExemptBytes"/>), and, before a row group is read, every page header of its
/// column chunks (Parquet.Net allocates a page's declared sizes): in the chunk, at most the chunk's values, at most
/// what they can take uncompressed. Errors from Parquet.Net are rethrown as <see cref="InvalidDataException"/> naming
/// the file. <see cref="Inspect"/> reads the footer only, except for a list of lists, whose inner length the footer
/// does not give: it is taken from the levels of the first row group's column.
/// </remarks>
public sealed class ParquetShardFormat : IShardFormat
{
    /// <summary>The one instance (the format holds no state).</summary>
    public static ParquetShardFormat Instance { get; } = new();

    private const string OwnError = "Amortized.Parquet";

    /// <inheritdoc />
    public string Name => "parquet";

    /// <summary>True for a file whose name ends in <c>.parquet</c> (Spark's <c>part-0-x.snappy.parquet</c> too).</summary>
    public bool Claims(string path) =>
        path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) && File.Exists(path);

    /// <inheritdoc />
    public ShardSchema Inspect(string path, ReadLimits limits)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(limits);
        return WithReader(path, limits, (reader, fileLength) => InspectCore(path, reader, fileLength, limits));
    }

    /// <inheritdoc />
    public SimulationBatch ReadPart(string path, int part, ShardSchema schema, ReadLimits limits)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(part, schema.PartRows.Count);
        return WithReader(path, limits, (reader, fileLength) => ReadPartCore(path, part, schema, reader, fileLength, limits));
    }

    private static T WithReader<T>(string path, ReadLimits limits, Func<ParquetReader, long, ValueTask<T>> body)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            long length = ParquetFooter.Check(path, stream, limits);
            return Run(async () =>
            {
                await using ParquetReader reader = await ParquetReader.CreateAsync(stream, null, true).ConfigureAwait(false);
                return await body(reader, length).ConfigureAwait(false);
            });
        }
        catch (Exception e) when (e is not (OutOfMemoryException or FileNotFoundException
            or DirectoryNotFoundException or UnauthorizedAccessException) && !e.Data.Contains(OwnError)
            && !(e is InvalidDataException && e.Message.Contains(path, StringComparison.Ordinal)))
        {
            throw new InvalidDataException($"Parquet file '{path}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>Runs async Parquet.Net code to completion on the calling thread's behalf.</summary>
    private static T Run<T>(Func<Task<T>> body) => Task.Run(body).GetAwaiter().GetResult();

    private static async ValueTask<ShardSchema> InspectCore(string path, ParquetReader reader, long fileLength,
        ReadLimits limits)
    {
        ParquetLayout layout = ParquetLayout.Of(path, reader.Schema);
        int groups = reader.RowGroupCount;
        var partRows = new int[groups];
        for (int g = 0; g < groups; g++) partRows[g] = CheckRowGroup(path, reader, g, layout, fileLength, limits);

        var keys = new List<ShardKey>(layout.Keys.Count);
        foreach (var key in layout.Keys)
        {
            int[] shape = key.ListDepth switch
            {
                0 => key.GroupShape ?? [],
                1 => [ListLength(path, reader, key, partRows)],
                _ => await LearnNestedShape(path, reader, key, partRows).ConfigureAwait(false),
            };
            keys.Add(new ShardKey(key.Name, shape, key.DType));
        }
        for (int g = 0; g < groups; g++) CheckPartBytes(path, g, partRows[g], keys, reader, layout, fileLength, limits);
        return new ShardSchema(keys, partRows);
    }

    /// <summary>Checks row group <paramref name="g"/>'s row count and column chunks; returns its rows.</summary>
    private static int CheckRowGroup(string path, ParquetReader reader, int g, ParquetLayout layout,
        long fileLength, ReadLimits limits)
    {
        RowGroup meta = reader.Metadata!.RowGroups[g];
        if (meta.NumRows < 0 || meta.NumRows > Array.MaxLength)
            throw Fail($"Parquet file '{path}': row group {g} declares {meta.NumRows} rows; a part holds at most " +
                $"{Array.MaxLength}.");
        foreach (var key in layout.Keys)
            foreach (DataField leaf in key.Leaves)
            {
                ColumnChunk chunk = reader.RowGroups[g].GetMetadata(leaf)
                    ?? throw Fail($"Parquet file '{path}': row group {g} has no data for column '{Column(leaf)}'.");
                ColumnMetaData m = chunk.MetaData
                    ?? throw Fail($"Parquet file '{path}': row group {g} column '{Column(leaf)}' has no metadata.");
                long start = m.DictionaryPageOffset is > 0 and var d ? Math.Min(d, m.DataPageOffset) : m.DataPageOffset;
                if (m.NumValues < 0 || m.TotalCompressedSize < 0 || start < 4 || start > fileLength - 8
                    || m.TotalCompressedSize > fileLength - 8 - start)
                    throw Fail($"Parquet file '{path}': row group {g} column '{Column(leaf)}' declares " +
                        $"{m.NumValues} values in {m.TotalCompressedSize} bytes at offset {start}, outside the " +
                        $"file's {fileLength} bytes.");
                limits.CheckArrayBytes([m.NumValues], ItemSize(key.DType),
                    $"Parquet file '{path}': row group {g} column '{Column(leaf)}'");
            }
        return (int)meta.NumRows;
    }

    /// <summary>
    /// Checks the page headers of every column chunk of row group <paramref name="g"/> that <paramref name="keys"/>
    /// reads (see <see cref="ParquetFooter.CheckPages"/>).
    /// </summary>
    private static void CheckPages(string path, ParquetReader reader, int g, IEnumerable<ParquetLayout.KeyColumns> keys)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096);
        foreach (var key in keys)
            foreach (DataField leaf in key.Leaves)
            {
                ColumnMetaData m = reader.RowGroups[g].GetMetadata(leaf)!.MetaData!;
                long start = m.DictionaryPageOffset is > 0 and var d ? Math.Min(d, m.DataPageOffset) : m.DataPageOffset;
                // Plain values, or dictionary indices of at most 4 bytes, plus two levels of at most 4 bytes each.
                long maxUncompressed = m.NumValues * (ItemSize(key.DType) + 8) + 4096;
                ParquetFooter.CheckPages(path, stream, g, Column(leaf), start, m.TotalCompressedSize, m.NumValues,
                    maxUncompressed);
            }
    }

    /// <summary>
    /// Bytes a part needs (stored values, levels, float32 output) against MaxTotalBytes and the compression ratio.
    /// </summary>
    private static void CheckPartBytes(string path, int g, int rows, IReadOnlyList<ShardKey> keys,
        ParquetReader reader, ParquetLayout layout, long fileLength, ReadLimits limits)
    {
        long total = 0;
        for (int k = 0; k < keys.Count; k++)
        {
            string subject = $"Parquet file '{path}': row group {g} key '{keys[k].Name}'";
            long output = limits.CheckArrayBytes([rows, .. keys[k].RowShape.Select(d => (long)d)], sizeof(float), subject);
            total += output;
            foreach (DataField leaf in layout.Keys[k].Leaves)
            {
                long values = reader.RowGroups[g].GetMetadata(leaf)!.MetaData!.NumValues;
                total += values * (ItemSize(keys[k].DType) + 8); // values, definition and repetition levels
            }
        }
        if (total > limits.MaxTotalBytes)
            throw Fail($"Parquet file '{path}': row group {g} needs {total} bytes to read ({rows} rows); the limit is " +
                $"{limits.MaxTotalBytes} bytes (ReadLimits.MaxTotalBytes).");
        if (total > limits.CompressionRatioExemptBytes && total > limits.MaxCompressionRatio * fileLength)
            throw Fail($"Parquet file '{path}': row group {g} declares {total} decoded bytes from a file of " +
                $"{fileLength} bytes, a ratio above {limits.MaxCompressionRatio} (ReadLimits.MaxCompressionRatio).");
    }

    /// <summary>
    /// A 1-D list column's row length from the footer alone: each row group's value count over its rows, equal in
    /// every row group (rows are checked one by one when read).
    /// </summary>
    private static int ListLength(string path, ParquetReader reader, ParquetLayout.KeyColumns key, int[] partRows)
    {
        int length = -1;
        for (int g = 0; g < partRows.Length; g++)
        {
            if (partRows[g] == 0) continue;
            long values = reader.RowGroups[g].GetMetadata(key.Leaves[0])!.MetaData!.NumValues;
            if (values % partRows[g] != 0 || (length >= 0 && values / partRows[g] != length))
                throw Fail($"Parquet file '{path}': row group {g} list column '{key.Name}' holds {values} values in " +
                    $"{partRows[g]} rows" + (length >= 0 ? $"; earlier row groups have {length} per row" : "") +
                    " (every row of a key must have the same length).");
            length = (int)(values / partRows[g]);
        }
        return Math.Max(length, 0);
    }

    /// <summary>The row shape of a list of lists, from the levels of the first row group that has rows.</summary>
    private static async ValueTask<int[]> LearnNestedShape(string path, ParquetReader reader,
        ParquetLayout.KeyColumns key, int[] partRows)
    {
        var shape = new int[key.ListDepth];
        shape.AsSpan().Fill(-1);
        int g = Array.FindIndex(partRows, r => r > 0);
        if (g < 0) return new int[key.ListDepth];
        DataField leaf = key.Leaves[0];
        CheckPages(path, reader, g, [key]);
        long n = reader.RowGroups[g].GetMetadata(leaf)!.MetaData!.NumValues;
        var def = new int[n];
        var rep = new int[n];
        await ReadLeafValues(reader.RowGroups[g], leaf, key.DType, (int)n, def, rep).ConfigureAwait(false);
        ListRows.Check(path, g, key.Name, def, rep, (int)n, leaf.MaxDefinitionLevel, key.ListDepth, shape, partRows[g]);
        return shape;
    }

    private static async ValueTask<SimulationBatch> ReadPartCore(string path, int part, ShardSchema schema,
        ParquetReader reader, long fileLength, ReadLimits limits)
    {
        ParquetLayout layout = ParquetLayout.Of(path, reader.Schema);
        if (part >= reader.RowGroupCount)
            throw Fail($"Parquet file '{path}' has {reader.RowGroupCount} row groups; part {part} was asked for (the " +
                "file changed since it was inspected).");
        CheckSameKeys(path, layout, schema);
        int rows = CheckRowGroup(path, reader, part, layout, fileLength, limits);
        if (rows != schema.PartRows[part])
            throw Fail($"Parquet file '{path}': row group {part} has {rows} rows; {schema.PartRows[part]} were expected " +
                "(the file changed since it was inspected).");
        CheckPartBytes(path, part, rows, schema.Keys, reader, layout, fileLength, limits);
        CheckPages(path, reader, part, layout.Keys);

        ParquetRowGroupReader group = reader.RowGroups[part];
        var batch = new SimulationBatch(rows);
        for (int k = 0; k < layout.Keys.Count; k++)
        {
            ParquetLayout.KeyColumns key = layout.Keys[k];
            int[] rowShape = schema.Keys[k].RowShape;
            int rowLength = ShapeText.Product(rowShape);
            var data = new float[(long)rows * rowLength];
            if (key.ListDepth == 0)
                for (int j = 0; j < key.Leaves.Length; j++)
                    await ReadScalarColumn(path, part, group, key.Leaves[j],
                            ParquetLayout.Dtype(path, key.Leaves[j], key.Leaves[j].Name), rows, data, j, rowLength)
                        .ConfigureAwait(false);
            else
                await ReadListColumn(path, part, group, key, rowShape, rows, data).ConfigureAwait(false);
            batch.SetCore(key.Name, data, [rows, .. rowShape], key.DType is NpyDType.Int32 or NpyDType.Int64);
        }
        return batch;
    }

    private static void CheckSameKeys(string path, ParquetLayout layout, ShardSchema schema)
    {
        bool same = layout.Keys.Count == schema.Keys.Count;
        for (int k = 0; same && k < layout.Keys.Count; k++)
        {
            var (mine, theirs) = (layout.Keys[k], schema.Keys[k]);
            same = mine.Name == theirs.Name && mine.DType == theirs.DType && theirs.RowShape.Length ==
                (mine.ListDepth > 0 ? mine.ListDepth : mine.GroupShape?.Length ?? 0)
                && (mine.GroupShape is null || mine.GroupShape.AsSpan().SequenceEqual(theirs.RowShape));
        }
        if (!same)
            throw Fail($"Parquet file '{path}' has keys [{string.Join(", ", layout.Keys.Select(k => k.Name))}]; the " +
                $"schema it is read with has [{string.Join(", ", schema.Keys.Select(k => k.Name))}] (with other " +
                "shapes or types, or in another order).");
    }

    /// <summary>Reads one plain column into element <paramref name="j"/> of each row of <paramref name="data"/>.</summary>
    private static async ValueTask ReadScalarColumn(string path, int part, ParquetRowGroupReader group,
        DataField leaf, NpyDType dtype, int rows, float[] data, int j, int stride)
    {
        long n = group.GetMetadata(leaf)!.MetaData!.NumValues;
        if (n != rows)
            throw Fail($"Parquet file '{path}': row group {part} column '{Column(leaf)}' holds {n} values; the row " +
                $"group has {rows} rows.");
        int[]? def = leaf.MaxDefinitionLevel > 0 ? new int[rows] : null;
        if (dtype == NpyDType.Float32 && stride == 1)
        {
            await ReadInto<float>(group, leaf, data, def, null, rows).ConfigureAwait(false);
            CheckNoNulls(path, part, Column(leaf), def, rows, leaf.MaxDefinitionLevel);
            return;
        }
        Array values = await ReadLeafValues(group, leaf, dtype, rows, def, null).ConfigureAwait(false);
        CheckNoNulls(path, part, Column(leaf), def, rows, leaf.MaxDefinitionLevel);
        Convert(values, dtype, rows, data, j, stride);
    }

    private static async ValueTask ReadListColumn(string path, int part, ParquetRowGroupReader group,
        ParquetLayout.KeyColumns key, int[] rowShape, int rows, float[] data)
    {
        DataField leaf = key.Leaves[0];
        long n = group.GetMetadata(leaf)!.MetaData!.NumValues;
        var def = new int[n];
        var rep = new int[n];
        Array? values = null;
        if (key.DType == NpyDType.Float32 && n == data.Length)
            await ReadInto<float>(group, leaf, data, def, rep, (int)n).ConfigureAwait(false);
        else values = await ReadLeafValues(group, leaf, key.DType, (int)n, def, rep).ConfigureAwait(false);
        // Checks every row's lengths against the shape (and finds nulls) before any value is used.
        ListRows.Check(path, part, key.Name, def, rep, (int)n, leaf.MaxDefinitionLevel, key.ListDepth,
            (int[])rowShape.Clone(), rows);
        if (values is not null) Convert(values, key.DType, data.Length, data, 0, 1);
    }

    /// <summary>Reads a leaf column's non-null values (compacted) and its levels into the given buffers.</summary>
    private static async ValueTask<Array> ReadLeafValues(ParquetRowGroupReader group, DataField leaf, NpyDType dtype,
        int n, int[]? def, int[]? rep)
    {
        switch (dtype)
        {
            case NpyDType.Float32:
            {
                var v = new float[n];
                await ReadInto<float>(group, leaf, v, def, rep, n).ConfigureAwait(false);
                return v;
            }
            case NpyDType.Float64:
            {
                var v = new double[n];
                await ReadInto<double>(group, leaf, v, def, rep, n).ConfigureAwait(false);
                return v;
            }
            case NpyDType.Int32:
            {
                var v = new int[n];
                await ReadInto<int>(group, leaf, v, def, rep, n).ConfigureAwait(false);
                return v;
            }
            default:
            {
                var v = new long[n];
                await ReadInto<long>(group, leaf, v, def, rep, n).ConfigureAwait(false);
                return v;
            }
        }
    }

    /// <summary>
    /// Reads a leaf's values; with levels (a nullable or repeated column) through Parquet.Net's raw read, which wants
    /// both level buffers (of the chunk's value count, already checked against the limits).
    /// </summary>
    private static ValueTask ReadInto<T>(ParquetRowGroupReader group, DataField leaf, Memory<T> values, int[]? def,
        int[]? rep, int n) where T : struct =>
        leaf.MaxDefinitionLevel == 0 && leaf.MaxRepetitionLevel == 0
            ? group.ReadAsync<T>(leaf, values, null)
            : group.ReadRawAsync<T>(leaf, values, def ?? new int[n], rep ?? new int[n]);

    /// <summary>Writes <paramref name="count"/> values to data[offset + i * stride] as float32.</summary>
    private static void Convert(Array values, NpyDType dtype, int count, float[] data, int offset, int stride)
    {
        switch (values)
        {
            case float[] f:
                for (int i = 0; i < count; i++) data[offset + i * stride] = f[i];
                break;
            case double[] d:
                for (int i = 0; i < count; i++) data[offset + i * stride] = (float)d[i];
                break;
            case int[] n:
                for (int i = 0; i < count; i++) data[offset + i * stride] = n[i];
                break;
            case long[] l:
                for (int i = 0; i < count; i++) data[offset + i * stride] = l[i];
                break;
            default:
                throw new InvalidOperationException($"unexpected buffer for {dtype}.");
        }
    }

    private static void CheckNoNulls(string path, int part, string column, int[]? def, int rows, int maxDef)
    {
        if (def is null) return;
        int bad = Array.FindIndex(def, 0, rows, d => d < maxDef);
        if (bad >= 0)
            throw Fail($"Parquet file '{path}': row group {part} column '{column}' is null in row {bad} (nulls are " +
                "not read as NaN: drop or fill the row first).");
    }

    internal static int ItemSize(NpyDType dtype) => dtype is NpyDType.Float64 or NpyDType.Int64 ? 8 : 4;

    /// <summary>The column's dotted path for messages: <c>x</c> for a plain column, the list's name for a list.</summary>
    private static string Column(DataField leaf) => leaf.Path.FirstPart ?? leaf.Name;

    /// <summary>An <see cref="InvalidDataException"/> that already names the file (not wrapped again).</summary>
    internal static InvalidDataException Fail(string message, Exception? inner = null)
    {
        var e = new InvalidDataException(message, inner);
        e.Data[OwnError] = true;
        return e;
    }
}
