using System.Text;

namespace Amortized.Inference.FileFormats;

/// <summary>
/// Splits RFC 4180 text into records of fields: comma separated; a field in double quotes may hold commas,
/// line breaks and doubled quotes (<c>""</c>); records end at \n, \r\n or \r. Tracks the physical line on
/// which each record starts, for error messages. A record longer than <see cref="ReadLimits.MaxCsvLineChars"/>, a
/// field longer than <see cref="ReadLimits.MaxCsvFieldChars"/> and a record of more than
/// <see cref="ReadLimits.MaxCsvColumns"/> fields are errors as soon as the limit is passed, so memory stays bounded
/// by the limits whatever the input (a 1 GB line is refused after the first few MB, not read whole).
/// </summary>
internal sealed class CsvRecordReader(TextReader reader, string source, ReadLimits limits)
{
    private readonly StringBuilder _field = new();
    private long _line = 1;
    private bool _atStart = true;
    private long _recordChars;
    private int _column; // 1-based, of the field being read

    /// <summary>The 1-based line on which the record last returned by <see cref="TryRead"/> starts.</summary>
    public long Line { get; private set; }

    /// <summary>
    /// Reads the next record into <paramref name="fields"/>; false at the end of the input. A blank line
    /// (no characters, or only whitespace, and no quotes) comes back as zero fields.
    /// </summary>
    public bool TryRead(List<string> fields)
    {
        fields.Clear();
        _recordChars = 0;
        int ch = reader.Read();
        if (ch < 0) return false;
        if (_atStart && ch == '\uFEFF') ch = reader.Read(); // a byte-order mark a plain TextReader left in
        _atStart = false;
        Line = _line;
        bool anyQuoted = false;
        while (true)
        {
            _field.Clear();
            _column = fields.Count + 1;
            if (ch == '"')
            {
                anyQuoted = true;
                ch = ReadQuoted();
            }
            else
            {
                while (ch >= 0 && ch != ',' && ch != '\n' && ch != '\r')
                {
                    Append(ch);
                    ch = reader.Read();
                }
            }
            if (fields.Count == limits.MaxCsvColumns)
                throw new InvalidDataException($"{source}, line {Line}: more than {limits.MaxCsvColumns} fields; " +
                    "the limit is ReadLimits.MaxCsvColumns.");
            fields.Add(_field.ToString());
            if (ch == ',')
            {
                Count();
                ch = reader.Read();
                continue;
            }
            EndLine(ch);
            break;
        }
        if (!anyQuoted && fields.Count == 1 && string.IsNullOrWhiteSpace(fields[0])) fields.Clear();
        return true;
    }

    /// <summary>Reads a quoted field (the opening quote is consumed); returns the character after it.</summary>
    private int ReadQuoted()
    {
        long startLine = _line;
        while (true)
        {
            int ch = reader.Read();
            if (ch < 0)
                throw new InvalidDataException(
                    $"{source}, line {startLine}: a quoted field is never closed (the input ends inside it).");
            if (ch == '"')
            {
                if (reader.Peek() != '"')
                    break;
                reader.Read();
                Count();
                Append('"');
                continue;
            }
            if (ch == '\n' || (ch == '\r' && reader.Peek() != '\n')) _line++;
            Append(ch);
        }
        int next = reader.Read();
        if (next >= 0 && next != ',' && next != '\n' && next != '\r')
            throw new InvalidDataException(
                $"{source}, line {_line}: unexpected character '{InputText.Sanitize([(char)next])}' after the " +
                "closing quote of a field; "
                + "expected a comma or the end of the line.");
        return next;
    }

    /// <summary>Adds a character to the field, within the field and record limits.</summary>
    private void Append(int ch)
    {
        if (_field.Length == limits.MaxCsvFieldChars)
            throw new InvalidDataException($"{source}, line {Line}, column {_column}: a field longer than " +
                $"{limits.MaxCsvFieldChars} characters; the limit is ReadLimits.MaxCsvFieldChars.");
        Count();
        _field.Append((char)ch);
    }

    /// <summary>Counts one character of the record (of a field, a separator, a quote) against the line limit.
    /// </summary>
    private void Count()
    {
        if (++_recordChars > limits.MaxCsvLineChars)
            throw new InvalidDataException($"{source}, line {Line}: a line longer than {limits.MaxCsvLineChars} " +
                "characters; the limit is ReadLimits.MaxCsvLineChars.");
    }

    private void EndLine(int ch)
    {
        if (ch == '\r' && reader.Peek() == '\n') reader.Read();
        if (ch >= 0) _line++;
    }
}
