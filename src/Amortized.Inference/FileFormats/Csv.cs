using System.Globalization;
using System.Text;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.FileFormats;

/// <summary>
/// Reads and writes CSV with a header row (RFC 4180: comma separated, names quoted where needed, \n line ends
/// written, \n, \r\n or \r read). Values are float32 in the invariant culture, written in the shortest form that
/// reads back to the same bits ("R"); NaN and infinities are written <c>NaN</c>, <c>Infinity</c>,
/// <c>-Infinity</c> and also read as <c>nan</c>, <c>inf</c>, <c>-inf</c>. Integer-valued columns are written
/// as plain integers and every other column with a decimal point or exponent, so the integer flag survives a
/// round trip. Blank lines are skipped. Errors name the source, the line and the column.
/// </summary>
public static class Csv
{
    /// <summary>
    /// Writes a batch to a CSV file, flattening multi-dimensional keys (see <see cref="CsvTable.FromBatch"/>).
    /// </summary>
    public static void Write(string path, SimulationBatch batch) => WriteTable(path, CsvTable.FromBatch(batch));

    /// <summary>
    /// Writes a batch as CSV text, flattening multi-dimensional keys (see <see cref="CsvTable.FromBatch"/>).
    /// </summary>
    public static void Write(TextWriter writer, SimulationBatch batch) => WriteTable(writer, CsvTable.FromBatch(batch));

    /// <summary>
    /// Reads a CSV file into a batch, restoring shapes from <c>key[i,j]</c> column names (see
    /// <see cref="CsvTable.ToBatch"/>), within <paramref name="limits"/> (see <see cref="ReadTable(TextReader,
    /// string, ReadLimits)"/>).
    /// </summary>
    public static SimulationBatch Read(string path, ReadLimits? limits = null) => ReadTable(path, limits).ToBatch();

    /// <summary>Reads CSV text into a batch; <paramref name="source"/> names the input in error messages.</summary>
    public static SimulationBatch Read(TextReader reader, string source = "CSV", ReadLimits? limits = null) =>
        ReadTable(reader, source, limits).ToBatch();

    /// <summary>
    /// Writes named columns to a CSV file (UTF-8, no byte-order mark), atomically (see <see cref="AtomicFile"/>).
    /// </summary>
    public static void WriteTable(string path, CsvTable table) => AtomicFile.Write(path, stream =>
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true);
        WriteTable(writer, table);
    });

    /// <summary>Writes named columns as CSV text: a header row, then one line per row.</summary>
    public static void WriteTable(TextWriter writer, CsvTable table)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(table);
        IReadOnlyList<string> names = table.ColumnNames;
        for (int c = 0; c < names.Count; c++)
        {
            if (c > 0) writer.Write(',');
            writer.Write(Quote(names[c]));
        }
        writer.Write('\n');
        var columns = new float[names.Count][];
        var isInteger = new bool[names.Count];
        for (int c = 0; c < columns.Length; c++)
        {
            columns[c] = table.Values(c);
            isInteger[c] = table.IsInteger(c);
        }
        for (int r = 0; r < table.RowCount; r++)
        {
            for (int c = 0; c < columns.Length; c++)
            {
                if (c > 0) writer.Write(',');
                writer.Write(FormatValue(columns[c][r], isInteger[c]));
            }
            writer.Write('\n');
        }
    }

    /// <summary>Reads a CSV file into named columns, within <paramref name="limits"/>.</summary>
    public static CsvTable ReadTable(string path, ReadLimits? limits = null)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return ReadTable(reader, path, limits);
    }

    /// <summary>
    /// Reads CSV text into named columns. A column is integer-valued when it has rows and every value is written
    /// as a plain integer. Throws <see cref="InvalidDataException"/> for an empty input, an empty or duplicate
    /// name, a row with the wrong number of fields, a value that is not a float32 number, and a line, field or
    /// column count beyond <paramref name="limits"/> (default <see cref="ReadLimits.Default"/>; the input is read a
    /// character at a time, so such a line is refused once the limit is passed, never read whole). Memory is
    /// bounded by the limits and a small multiple of the input's length. Quoted file content in messages is
    /// sanitized (see <see cref="InputText"/>).
    /// </summary>
    public static CsvTable ReadTable(TextReader reader, string source = "CSV", ReadLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var records = new CsvRecordReader(reader, source, limits ?? ReadLimits.Default);
        var fields = new List<string>();
        do
        {
            if (!records.TryRead(fields))
                throw new InvalidDataException($"{source}: the input is empty; expected a header row of column names.");
        } while (fields.Count == 0);
        string[] names = CheckHeader(fields, source, records.Line);

        var values = new List<float>[names.Length];
        var integral = new bool[names.Length];
        for (int c = 0; c < names.Length; c++)
        {
            values[c] = [];
            integral[c] = true;
        }
        while (records.TryRead(fields))
        {
            if (fields.Count == 0) continue;
            if (values[0].Count == Array.MaxLength)
                throw new InvalidDataException(
                    $"{source}, line {records.Line}: more than {Array.MaxLength} rows; a column holds at most that.");
            if (fields.Count != names.Length)
                throw new InvalidDataException(
                    $"{source}, line {records.Line}: {fields.Count} fields; expected {names.Length} like the header.");
            for (int c = 0; c < names.Length; c++)
            {
                if (!TryParseValue(fields[c], out float v, out bool isIntegerText, out string? problem))
                    throw new InvalidDataException(
                        $"{source}, line {records.Line}, column {c + 1} ('{InputText.Sanitize(names[c])}'): " +
                        problem);
                values[c].Add(v);
                integral[c] &= isIntegerText;
            }
        }

        int rows = values.Length == 0 ? 0 : values[0].Count;
        var table = new CsvTable(rows);
        for (int c = 0; c < names.Length; c++) table.Add(names[c], [.. values[c]], integral[c] && rows > 0);
        return table;
    }

    private static string[] CheckHeader(List<string> fields, string source, long line)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < fields.Count; c++)
        {
            if (fields[c].Length == 0)
                throw new InvalidDataException(
                    $"{source}, line {line}, column {c + 1}: the header name is empty; every column needs a name.");
            if (seen.TryGetValue(fields[c], out int first))
                throw new InvalidDataException(
                    $"{source}, line {line}, column {c + 1}: duplicate header " +
                    $"'{InputText.Sanitize(fields[c])}' (also column {first + 1}); names must be unique.");
            seen[fields[c]] = c;
        }
        return [.. fields];
    }

    /// <summary>
    /// Shortest round-trip text; non-integer columns always show a '.' or exponent (1 is written 1.0).
    /// </summary>
    internal static string FormatValue(float v, bool isInteger)
    {
        if (isInteger)
            return ((double)v).ToString("F0", CultureInfo.InvariantCulture); // exact, even beyond 2^24; -0 stays "-0"
        string text = v.ToString("R", CultureInfo.InvariantCulture);
        return IsIntegerText(text) ? text + ".0" : text;
    }

    internal static bool TryParseValue(string field, out float value, out bool isIntegerText, out string? problem)
    {
        ReadOnlySpan<char> s = field.AsSpan().Trim();
        isIntegerText = IsIntegerText(s);
        problem = null;
        if (s.Length == 0)
        {
            value = 0;
            problem = "the value is empty; write NaN for a missing value.";
            return false;
        }
        if (TryParseSpecial(s, out value)) return true;
        if (!float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            problem = $"'{InputText.Sanitize(field)}' is not a number.";
            return false;
        }
        if (float.IsInfinity(value))
        {
            problem = $"'{InputText.Sanitize(field)}' is outside the float32 range " +
                $"(largest magnitude {float.MaxValue:R}).";
            return false;
        }
        return true;
    }

    private static bool TryParseSpecial(ReadOnlySpan<char> s, out float value)
    {
        bool negative = s[0] == '-';
        ReadOnlySpan<char> body = s[0] is '-' or '+' ? s[1..] : s;
        value = 0;
        if (body.Equals("nan", StringComparison.OrdinalIgnoreCase)) value = float.NaN;
        else if (body.Equals("inf", StringComparison.OrdinalIgnoreCase)
            || body.Equals("infinity", StringComparison.OrdinalIgnoreCase))
            value = negative ? float.NegativeInfinity : float.PositiveInfinity;
        else return false;
        return true;
    }

    private static bool IsIntegerText(ReadOnlySpan<char> s)
    {
        if (s.Length > 0 && s[0] is '-' or '+') s = s[1..];
        if (s.Length == 0) return false;
        foreach (char ch in s)
            if (ch is < '0' or > '9') return false;
        return true;
    }

    private static string Quote(string name)
    {
        bool needs =
            name.Length > 0 && (char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]) || name[0] == '\uFEFF');
        needs |= name.AsSpan().IndexOfAny(",\"\r\n") >= 0;
        return needs ? "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : name;
    }
}
