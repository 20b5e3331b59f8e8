using Amortized.Inference.FileFormats;
using Parquet;
using Parquet.Schema;

namespace Amortized.Parquet;

/// <summary>
/// How the columns of a Parquet schema map onto keys: plain numeric columns are keys with per-row shape ();
/// numeric columns named <c>x[0]</c>, <c>x[1]</c>, ... (<c>x[0,1]</c> for 2-D) are regrouped into one key
/// <c>x</c> as the CSV reader does; a list column (LIST of numbers, or lists of lists) is a key whose rows are
/// arrays of one shape.
/// </summary>
internal sealed class ParquetLayout
{
    /// <summary>
    /// One key: its leaf columns (one for a plain or list column; one per flat C-order element for regrouped
    /// <c>x[i]</c> columns, whose per-row shape is <paramref name="GroupShape"/>), the list nesting depth (0 for
    /// plain and regrouped columns) and the stored element type.
    /// </summary>
    internal sealed record KeyColumns(string Name, DataField[] Leaves, int ListDepth, NpyDType DType,
        int[]? GroupShape = null);

    private ParquetLayout(List<KeyColumns> keys) => Keys = keys;

    /// <summary>The keys in the order of their first column.</summary>
    public IReadOnlyList<KeyColumns> Keys { get; }

    /// <summary>
    /// Maps <paramref name="schema"/> onto keys; throws <see cref="InvalidDataException"/> naming
    /// <paramref name="path"/> and the column for a column that is not numeric or not a (nested) list of numbers.
    /// </summary>
    public static ParquetLayout Of(string path, ParquetSchema schema)
    {
        var scalars = new List<DataField>();
        var entries = new List<(int Order, KeyColumns? List, string? ScalarName)>();
        int order = 0;
        foreach (Field field in schema.Fields)
        {
            switch (field)
            {
                case DataField data when !data.IsArray:
                    Dtype(path, data, data.Name);
                    scalars.Add(data);
                    entries.Add((order++, null, data.Name));
                    break;
                case DataField legacy: // a bare repeated field: the legacy two-level list
                    entries.Add((order++, new KeyColumns(legacy.Name, [legacy], 1, Dtype(path, legacy, legacy.Name)), null));
                    break;
                case ListField list:
                {
                    Field item = list.Item;
                    int depth = 1;
                    while (item is ListField inner)
                    {
                        item = inner.Item;
                        depth++;
                    }
                    if (item is not DataField leaf || leaf.IsArray)
                        throw ParquetShardFormat.Fail($"Parquet file '{path}': column '{list.Name}' is a list of " +
                            $"{item.SchemaType}; expected a list of numbers (or of lists of numbers).");
                    entries.Add((order++, new KeyColumns(list.Name, [leaf], depth, Dtype(path, leaf, list.Name)), null));
                    break;
                }
                default:
                    throw ParquetShardFormat.Fail($"Parquet file '{path}': column '{field.Name}' is a " +
                        $"{field.SchemaType}; expected numeric columns or lists of numbers.");
            }
        }

        // Regroup x[i] scalar columns exactly as CSV headers are regrouped.
        var groups = CsvColumnName.GroupColumns([.. scalars.Select(s => s.Name)]);
        var byFirstColumn = new Dictionary<string, KeyColumns>(StringComparer.Ordinal);
        foreach (var g in groups)
        {
            DataField[] leaves = [.. g.Columns.Select(c => scalars[c])];
            NpyDType dtype = Widest(path, g.Key, leaves);
            // A plain column keeps row shape (); a group's shape comes from its indices (the CSV reader's rule).
            byFirstColumn[scalars[g.Columns.Min()].Name] =
                new KeyColumns(g.Key, leaves, 0, dtype, g.RowShape);
        }
        var keys = new List<KeyColumns>();
        foreach (var (_, list, scalarName) in entries)
        {
            if (list is not null) keys.Add(list);
            else if (byFirstColumn.TryGetValue(scalarName!, out KeyColumns? key)) keys.Add(key);
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var k in keys)
            if (!seen.Add(k.Name))
                throw ParquetShardFormat.Fail($"Parquet file '{path}': key '{k.Name}' is given twice (a list column " +
                    $"and {k.Name}[i] columns, or two columns of that name).");
        return new ParquetLayout(keys);
    }

    /// <summary>The element type of a leaf column; anything but float32/64 and int32/64 is an error.</summary>
    public static NpyDType Dtype(string path, DataField field, string column)
    {
        Type t = field.ClrType;
        if (t == typeof(float)) return NpyDType.Float32;
        if (t == typeof(double)) return NpyDType.Float64;
        if (t == typeof(int)) return NpyDType.Int32;
        if (t == typeof(long)) return NpyDType.Int64;
        string held = t == typeof(string) || t == typeof(ReadOnlyMemory<char>) ? "text" : t.Name;
        throw ParquetShardFormat.Fail($"Parquet file '{path}': column '{column}' holds {held}; expected float, " +
            "double, int32 or int64.");
    }

    private static NpyDType Widest(string path, string key, DataField[] leaves)
    {
        var types = leaves.Select(l => Dtype(path, l, l.Name)).Distinct().ToList();
        if (types.Count == 1) return types[0];
        bool integer = types.All(t => t is NpyDType.Int32 or NpyDType.Int64);
        if (integer) return NpyDType.Int64;
        return types.Contains(NpyDType.Float64) || types.Contains(NpyDType.Int64) ? NpyDType.Float64 : NpyDType.Float32;
    }
}
