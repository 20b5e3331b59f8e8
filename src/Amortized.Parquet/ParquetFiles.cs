using System.Globalization;
using Amortized.Inference;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Parquet;
using Parquet.Schema;

namespace Amortized.Parquet;

/// <summary>How <see cref="ParquetFiles"/> stores keys whose rows are arrays.</summary>
public enum ParquetArrayLayout
{
    /// <summary>
    /// A list column per key (a list of lists for 2-D rows): one column whatever the row length, read by pandas as
    /// arrays, by Spark as <c>array&lt;float&gt;</c>, by DuckDB as <c>FLOAT[]</c>.
    /// </summary>
    Lists,

    /// <summary>
    /// One plain column per element, named <c>x[0]</c>, <c>x[1]</c>, ... (<c>x[0,1]</c> for 2-D), as the CSV writer
    /// names them: flat tables for tools that handle lists poorly.
    /// </summary>
    Columns,
}

/// <summary>Options of <see cref="ParquetFiles.Write(string, SimulationBatch, ParquetWriteOptions?)"/>.</summary>
public sealed record ParquetWriteOptions
{
    /// <summary>The defaults.</summary>
    public static ParquetWriteOptions Default { get; } = new();

    /// <summary>
    /// Rows per row group (default 65,536); a reader holds one row group in memory, and a dataset's shuffle buffer
    /// is made of row groups.
    /// </summary>
    public int RowGroupSize
    {
        get;
        init => field = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(RowGroupSize), value,
            "must be positive.");
    } = 65_536;

    /// <summary>How keys with array rows are stored (default <see cref="ParquetArrayLayout.Lists"/>).</summary>
    public ParquetArrayLayout Arrays { get; init; } = ParquetArrayLayout.Lists;
}

/// <summary>
/// Writes simulations as Parquet and reads small Parquet files whole. Keys whose rows are scalars (batch shape (B,))
/// become plain columns; keys with array rows become list columns or <c>x[i]</c> columns
/// (<see cref="ParquetWriteOptions.Arrays"/>); float keys are stored as FLOAT, integer keys
/// (<see cref="SimulationBatch.IsInteger"/>) as INT32. Files are written atomically (<see cref="AtomicFile"/>).
/// </summary>
public static class ParquetFiles
{
    /// <summary>
    /// Writes <paramref name="batch"/> to <paramref name="path"/> in row groups of
    /// <see cref="ParquetWriteOptions.RowGroupSize"/> rows.
    /// </summary>
    public static void Write(string path, SimulationBatch batch, ParquetWriteOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(batch);
        options ??= ParquetWriteOptions.Default;
        var columns = Plan(batch, options.Arrays);
        var schema = new ParquetSchema(columns.Select(c => c.Field));
        AtomicFile.Write(path, stream => Task.Run(async () =>
        {
            await using ParquetWriter writer = await ParquetWriter.CreateAsync(schema, stream).ConfigureAwait(false);
            for (int start = 0; start < batch.BatchSize; start += options.RowGroupSize)
            {
                int rows = Math.Min(options.RowGroupSize, batch.BatchSize - start);
                using ParquetRowGroupWriter group = writer.CreateRowGroup();
                foreach (var c in columns) await c.WriteAsync(group, batch, start, rows).ConfigureAwait(false);
                group.CompleteValidate();
            }
        }).GetAwaiter().GetResult());
    }

    /// <summary>Writes <paramref name="batch"/> to <paramref name="path"/> in row groups of <paramref name="rowGroupSize"/> rows.</summary>
    public static void Write(string path, SimulationBatch batch, int rowGroupSize) =>
        Write(path, batch, ParquetWriteOptions.Default with { RowGroupSize = rowGroupSize });

    /// <summary>
    /// Splits <paramref name="batch"/> into <paramref name="shards"/> files <c>part-00000.parquet</c>,
    /// <c>part-00001.parquet</c>, ... in <paramref name="directory"/> (created if needed; it must hold no
    /// <c>.parquet</c> file yet), with row counts differing by at most one. A folder of Parquet files needs no
    /// manifest: the files' footers say what they hold. Returns the paths written.
    /// </summary>
    public static IReadOnlyList<string> WriteShards(string directory, SimulationBatch batch, int shards,
        ParquetWriteOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        if (shards > Math.Max(batch.BatchSize, 1))
            throw new ArgumentOutOfRangeException(nameof(shards), shards,
                $"ParquetFiles.WriteShards: {shards} shards of {batch.BatchSize} rows would leave shards empty.");
        if (Directory.Exists(directory) && Directory.EnumerateFiles(directory, "*.parquet").Any())
            throw new IOException($"ParquetFiles.WriteShards: {directory} already holds .parquet files; write into an " +
                "empty folder or delete them first.");
        Directory.CreateDirectory(directory);
        var paths = new List<string>(shards);
        for (int s = 0; s < shards; s++)
        {
            int start = (int)((long)s * batch.BatchSize / shards);
            int end = (int)((long)(s + 1) * batch.BatchSize / shards);
            string path = Path.Combine(directory, ShardName(s));
            Write(path, batch.Slice(start, end - start), options);
            paths.Add(path);
        }
        return paths;
    }

    /// <summary>The file name of shard <paramref name="index"/>: <c>part-00000.parquet</c>, as Spark and Dask name parts.</summary>
    public static string ShardName(int index) =>
        string.Create(CultureInfo.InvariantCulture, $"part-{index:D5}.parquet");

    /// <summary>
    /// Reads a whole Parquet file (every row group) into one batch; for files that fit in memory. Layouts and checks
    /// as <see cref="ParquetShardFormat"/>; throws <see cref="InvalidDataException"/> naming the file.
    /// </summary>
    public static SimulationBatch Read(string path, ReadLimits? limits = null)
    {
        limits ??= ReadLimits.Default;
        var format = ParquetShardFormat.Instance;
        ShardSchema schema = format.Inspect(path, limits);
        if (schema.PartRows.Count == 1) return format.ReadPart(path, 0, schema, limits);
        var parts = new List<SimulationBatch>(schema.PartRows.Count);
        for (int p = 0; p < schema.PartRows.Count; p++) parts.Add(format.ReadPart(path, p, schema, limits));
        if (parts.Count > 0) return SimulationBatch.Concatenate(parts);
        var empty = new SimulationBatch(0);
        foreach (ShardKey k in schema.Keys)
            empty.SetCore(k.Name, [], [0, .. k.RowShape], k.DType is NpyDType.Int32 or NpyDType.Int64);
        return empty;
    }

    /// <summary>One column to write: its schema field and how to fill it from a slice of the batch.</summary>
    private abstract record ColumnWriter(DataField Leaf, Field Field)
    {
        public abstract Task WriteAsync(ParquetRowGroupWriter group, SimulationBatch batch, int start, int rows);
    }

    /// <summary>Element <paramref name="Element"/> of each row of <paramref name="Key"/> as a plain column.</summary>
    private sealed record PlainColumn(string Key, int Element, bool Integer, DataField Leaf)
        : ColumnWriter(Leaf, Leaf)
    {
        public override Task WriteAsync(ParquetRowGroupWriter group, SimulationBatch batch, int start, int rows)
        {
            float[] data = batch.Get(Key);
            int stride = batch.RowLength(Key);
            if (Integer)
            {
                var values = new int[rows];
                for (int i = 0; i < rows; i++) values[i] = (int)data[(start + i) * stride + Element];
                return group.WriteAsync<int>(Leaf, values);
            }
            if (stride == 1) return group.WriteAsync<float>(Leaf, data.AsMemory(start, rows));
            var floats = new float[rows];
            for (int i = 0; i < rows; i++) floats[i] = data[(start + i) * stride + Element];
            return group.WriteAsync<float>(Leaf, floats);
        }
    }

    /// <summary>A key with array rows as a (nested) list column; every entry is defined.</summary>
    private sealed record ListColumn(string Key, bool Integer, int[] Repetition, DataField Leaf, Field Field)
        : ColumnWriter(Leaf, Field)
    {
        public override Task WriteAsync(ParquetRowGroupWriter group, SimulationBatch batch, int start, int rows)
        {
            int length = Repetition.Length;
            int n = rows * length;
            var rep = new int[n];
            for (int i = 0; i < rows; i++) Repetition.CopyTo(rep, i * length);
            var def = new int[n];
            def.AsSpan().Fill(Leaf.MaxDefinitionLevel);
            ReadOnlyMemory<float> data = batch.Get(Key).AsMemory(start * length, n);
            if (!Integer) return group.WriteAllPartsAsync<float>(Leaf, data, def, rep, default);
            var values = new int[n];
            for (int i = 0; i < n; i++) values[i] = (int)data.Span[i];
            return group.WriteAllPartsAsync<int>(Leaf, values, def, rep, default);
        }
    }

    private static List<ColumnWriter> Plan(SimulationBatch batch, ParquetArrayLayout arrays)
    {
        var columns = new List<ColumnWriter>();
        foreach (string key in batch.Keys)
        {
            int[] rowShape = batch.Shape(key)[1..].ToArray();
            bool integer = batch.IsInteger(key);
            if (integer) batch.GetIntegers(key); // throws naming the key unless every value is an exact integer
            if (rowShape.Length == 0)
            {
                columns.Add(new PlainColumn(key, 0, integer, Leaf(key, integer)));
                continue;
            }
            int length = ShapeText.Product(rowShape);
            if (length == 0)
                throw new ArgumentException($"ParquetFiles: key '{key}' has row shape {ShapeText.Format(rowShape)} " +
                    "with no elements; Parquet has no column for it.", nameof(batch));
            if (arrays == ParquetArrayLayout.Columns)
            {
                for (int j = 0; j < length; j++)
                    columns.Add(new PlainColumn(key, j, integer, Leaf(CsvColumnName.Format(key, rowShape, j), integer)));
                continue;
            }
            DataField leaf = Leaf("element", integer);
            Field field = leaf;
            for (int a = rowShape.Length - 1; a >= 0; a--) field = new ListField(a == 0 ? key : "element", field);
            columns.Add(new ListColumn(key, integer, RepetitionPattern(rowShape), leaf, field));
        }
        return columns;
    }

    private static DataField Leaf(string name, bool integer) =>
        integer ? new DataField<int>(name, false) : new DataField<float>(name, false);

    /// <summary>
    /// The repetition level of each flat element of one row of <paramref name="shape"/>: 0 for the first; otherwise
    /// one more than the outermost axis whose index changes there.
    /// </summary>
    private static int[] RepetitionPattern(int[] shape)
    {
        int length = ShapeText.Product(shape);
        var rep = new int[length];
        for (int e = 1; e < length; e++)
        {
            int m = e, axis = shape.Length - 1;
            while (m % shape[axis] == 0)
            {
                m /= shape[axis];
                axis--;
            }
            rep[e] = axis + 1;
        }
        return rep;
    }
}
