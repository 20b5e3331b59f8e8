using System.Globalization;
using System.Text;

namespace Amortized.Inference.FileFormats;

/// <summary>
/// Column names of flattened arrays: element (i1, ..., ik) of key <c>x</c> is the column <c>x[i1,...,ik]</c>.
/// </summary>
internal static class CsvColumnName
{
    /// <summary>
    /// A key rebuilt from columns: <see cref="RowShape"/> is null for a plain column (one column, shape (R,));
    /// otherwise <see cref="Columns"/>[j] is the column holding flat C-order element j of a row.
    /// </summary>
    internal sealed record Group(string Key, int[]? RowShape, int[] Columns);

    /// <summary>
    /// The name of flat element <paramref name="flatIndex"/> of a row of shape <paramref name="rowShape"/>.
    /// </summary>
    public static string Format(string key, ReadOnlySpan<int> rowShape, int flatIndex)
    {
        Span<int> index = stackalloc int[rowShape.Length];
        for (int a = rowShape.Length - 1; a >= 0; a--)
        {
            index[a] = flatIndex % rowShape[a];
            flatIndex /= rowShape[a];
        }
        var sb = new StringBuilder(key).Append('[');
        for (int a = 0; a < index.Length; a++)
        {
            if (a > 0) sb.Append(',');
            sb.Append(index[a].ToString(CultureInfo.InvariantCulture));
        }
        return sb.Append(']').ToString();
    }

    /// <summary>Splits <c>x[1, 2]</c> into ("x", [1, 2]); false for names without a well-formed index suffix.</summary>
    public static bool TryParse(string name, out string key, out int[] index)
    {
        key = name;
        index = [];
        int open = name.LastIndexOf('[');
        if (open <= 0 || name[^1] != ']') return false;
        string[] parts = name[(open + 1)..^1].Split(',');
        var result = new int[parts.Length];
        for (int a = 0; a < parts.Length; a++)
        {
            if (!int.TryParse(parts[a].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out result[a]))
                return false;
        }
        key = name[..open];
        index = result;
        return true;
    }

    /// <summary>
    /// Groups columns into keys in order of first appearance. Indexed columns of one key form an array only
    /// when they share a rank, cover the full grid of their maximum indices exactly once, and no plain column
    /// has the key's name; otherwise each stays a plain column under its literal name.
    /// </summary>
    public static List<Group> GroupColumns(IReadOnlyList<string> names)
    {
        var plain = new HashSet<string>(StringComparer.Ordinal);
        var indexed = new Dictionary<string, List<(int Column, int[] Index)>>(StringComparer.Ordinal);
        for (int c = 0; c < names.Count; c++)
        {
            if (TryParse(names[c], out string key, out int[] index))
            {
                if (!indexed.TryGetValue(key, out var list)) indexed[key] = list = [];
                list.Add((c, index));
            }
            else plain.Add(names[c]);
        }

        var groups = new List<Group>();
        var emitted = new HashSet<string>(StringComparer.Ordinal);
        for (int c = 0; c < names.Count; c++)
        {
            if (!TryParse(names[c], out string key, out _))
            {
                groups.Add(new Group(names[c], null, [c]));
                continue;
            }
            if (!emitted.Add(key)) continue;
            Group? array = plain.Contains(key) ? null : TryBuildArray(key, indexed[key]);
            if (array is not null)
            {
                groups.Add(array);
                continue;
            }
            foreach (var (column, _) in indexed[key]) groups.Add(new Group(names[column], null, [column]));
        }
        return groups;
    }

    private static Group? TryBuildArray(string key, List<(int Column, int[] Index)> members)
    {
        int rank = members[0].Index.Length;
        var shape = new int[rank];
        foreach (var (_, index) in members)
        {
            if (index.Length != rank) return null;
            for (int a = 0; a < rank; a++) shape[a] = Math.Max(shape[a], index[a] + 1);
        }
        long size = 1;
        foreach (int d in shape) size *= d;
        if (size != members.Count) return null;

        var columns = new int[members.Count];
        columns.AsSpan().Fill(-1);
        foreach (var (column, index) in members)
        {
            int flat = 0;
            for (int a = 0; a < rank; a++) flat = flat * shape[a] + index[a];
            if (columns[flat] >= 0) return null; // the same element twice, e.g. x[0,1] and x[0, 1]
            columns[flat] = column;
        }
        return new Group(key, shape, columns);
    }
}
