using System.Diagnostics;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.FileFormats;

/// <summary>
/// Named float32 columns of equal length R (the rows of a CSV file), in order. A column may be flagged
/// integer-valued (counts, indices); such columns are written without a decimal point and come back flagged.
/// </summary>
[DebuggerDisplay("CsvTable({RowCount} rows, {ColumnCount} columns)")]
public sealed class CsvTable
{
    private readonly List<Column> _columns = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    private sealed record Column(string Name, float[] Values, bool IsInteger);

    /// <summary>An empty table whose columns will each hold <paramref name="rowCount"/> values.</summary>
    public CsvTable(int rowCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        RowCount = rowCount;
    }

    /// <summary>Number of rows R.</summary>
    public int RowCount { get; }

    /// <summary>Number of columns.</summary>
    public int ColumnCount => _columns.Count;

    /// <summary>Column names in order.</summary>
    public IReadOnlyList<string> ColumnNames => _columns.ConvertAll(c => c.Name);

    /// <summary>
    /// Appends a column of <see cref="RowCount"/> values (stored without a copy). Names must be unique and
    /// non-empty; integer columns must hold integral values.
    /// </summary>
    public CsvTable Add(string name, float[] values, bool isInteger = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != RowCount)
            throw new ArgumentException(
                $"CsvTable: column '{name}' has {values.Length} values; expected {RowCount} rows.", nameof(values));
        if (_index.TryGetValue(name, out int existing))
            throw new ArgumentException($"CsvTable: column '{name}' already exists (column {existing + 1}); names " +
                "must be unique.", nameof(name));
        if (isInteger)
        {
            for (int i = 0; i < values.Length; i++)
                if (MathF.Round(values[i]) != values[i])
                    throw new ArgumentException(
                        $"CsvTable: integer column '{name}' row {i} is {values[i]}, not an integer.", nameof(values));
        }
        _index[name] = _columns.Count;
        _columns.Add(new Column(name, values, isInteger));
        return this;
    }

    /// <summary>Whether a column named <paramref name="name"/> exists.</summary>
    public bool Contains(string name) => _index.ContainsKey(name);

    /// <summary>The values of a column (not a copy).</summary>
    public float[] Values(string name) => Find(name).Values;

    /// <summary>The values of column <paramref name="index"/> (0-based, not a copy).</summary>
    public float[] Values(int index) => _columns[index].Values;

    /// <summary>Whether a column is integer-valued.</summary>
    public bool IsInteger(string name) => Find(name).IsInteger;

    /// <summary>Whether column <paramref name="index"/> (0-based) is integer-valued.</summary>
    public bool IsInteger(int index) => _columns[index].IsInteger;

    /// <summary>
    /// Flattens a batch into columns: a key of shape (B,) becomes one column named after the key; a key of shape
    /// (B, d1, ..., dk) becomes d1*...*dk columns named <c>key[i1,...,ik]</c> in C order.
    /// </summary>
    public static CsvTable FromBatch(SimulationBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var table = new CsvTable(batch.BatchSize);
        foreach (string key in batch.Keys)
        {
            ReadOnlySpan<int> shape = batch.Shape(key);
            float[] data = batch.Get(key);
            bool isInteger = batch.IsInteger(key);
            if (shape.Length == 1)
            {
                table.Add(key, data, isInteger);
                continue;
            }
            int[] rowShape = shape[1..].ToArray();
            int len = ShapeText.Product(rowShape);
            for (int j = 0; j < len; j++)
            {
                var column = new float[batch.BatchSize];
                for (int r = 0; r < column.Length; r++) column[r] = data[r * len + j];
                table.Add(CsvColumnName.Format(key, rowShape, j), column, isInteger);
            }
        }
        return table;
    }

    /// <summary>
    /// Regroups columns into a batch: columns named <c>key[i1,...,ik]</c> whose indices cover a full grid
    /// d1 x ... x dk (each combination exactly once, no plain column named <c>key</c>) become one key of shape
    /// (R, d1, ..., dk); every other column becomes a key of shape (R,) under its own name. A key is
    /// integer-valued when all its columns are.
    /// </summary>
    public SimulationBatch ToBatch()
    {
        var batch = new SimulationBatch(RowCount);
        foreach (CsvColumnName.Group group in CsvColumnName.GroupColumns(ColumnNames))
        {
            if (group.RowShape is null)
            {
                Column c = _columns[group.Columns[0]];
                batch.SetCore(c.Name, c.Values, [RowCount], c.IsInteger);
                continue;
            }
            int len = group.Columns.Length;
            var data = new float[RowCount * len];
            bool isInteger = true;
            for (int j = 0; j < len; j++)
            {
                Column c = _columns[group.Columns[j]];
                isInteger &= c.IsInteger;
                for (int r = 0; r < RowCount; r++) data[r * len + j] = c.Values[r];
            }
            batch.SetCore(group.Key, data, [RowCount, .. group.RowShape], isInteger);
        }
        return batch;
    }

    private Column Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_index.TryGetValue(name, out int i))
            throw new KeyNotFoundException(
                $"CsvTable: no column '{name}'; the table has {ShapeText.Keys(ColumnNames)}.");
        return _columns[i];
    }
}
