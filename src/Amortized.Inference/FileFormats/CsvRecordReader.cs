using System.Text;

namespace Amortized.Inference.FileFormats;

/// <summary>
/// Splits RFC 4180 text into records of fields: comma separated; a field in double quotes may hold commas,
/// line breaks and doubled quotes (<c>""</c>); records end at \n, \r\n or \r. Tracks the physical line on
/// which each record starts, for error messages.
/// </summary>
internal sealed class CsvRecordReader(TextReader reader, string source)
{
    private readonly StringBuilder _field = new();
    private int _line = 1;
    private bool _atStart = true;

    /// <summary>The 1-based line on which the record last returned by <see cref="TryRead"/> starts.</summary>
    public int Line { get; private set; }

    /// <summary>
    /// Reads the next record into <paramref name="fields"/>; false at the end of the input. A blank line
    /// (no characters, or only whitespace, and no quotes) comes back as zero fields.
    /// </summary>
    public bool TryRead(List<string> fields)
    {
        fields.Clear();
        int ch = reader.Read();
        if (ch < 0) return false;
        if (_atStart && ch == '\uFEFF') ch = reader.Read(); // a byte-order mark a plain TextReader left in
        _atStart = false;
        Line = _line;
        bool anyQuoted = false;
        while (true)
        {
            _field.Clear();
            if (ch == '"')
            {
                anyQuoted = true;
                ch = ReadQuoted();
            }
            else
            {
                while (ch >= 0 && ch != ',' && ch != '\n' && ch != '\r')
                {
                    _field.Append((char)ch);
                    ch = reader.Read();
                }
            }
            fields.Add(_field.ToString());
            if (ch == ',')
            {
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
        int startLine = _line;
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
                _field.Append('"');
                continue;
            }
            if (ch == '\n' || (ch == '\r' && reader.Peek() != '\n')) _line++;
            _field.Append((char)ch);
        }
        int next = reader.Read();
        if (next >= 0 && next != ',' && next != '\n' && next != '\r')
            throw new InvalidDataException(
                $"{source}, line {_line}: unexpected character '{(char)next}' after the closing quote of a field; "
                + "expected a comma or the end of the line.");
        return next;
    }

    private void EndLine(int ch)
    {
        if (ch == '\r' && reader.Peek() == '\n') reader.Read();
        if (ch >= 0) _line++;
    }
}
