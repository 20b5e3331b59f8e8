using System.Text;

namespace Amortized.Inference.External;

/// <summary>The last lines a worker wrote to stderr (at most 20 lines and about 4 KB), for fault reports.</summary>
internal sealed class StderrTail
{
    private const int MaxLines = 20, MaxChars = 4096, MaxLineChars = 400;
    private readonly Queue<string> _lines = new();
    private int _chars;

    public void Add(string line)
    {
        // A worker's stderr is free text: quote it safely (no terminal escapes) and keep each line short.
        line = FileFormats.InputText.Sanitize(line, MaxLineChars);
        lock (_lines)
        {
            _lines.Enqueue(line);
            _chars += line.Length;
            while (_lines.Count > MaxLines || (_chars > MaxChars && _lines.Count > 1))
                _chars -= _lines.Dequeue().Length;
        }
    }

    public override string ToString()
    {
        lock (_lines)
        {
            var sb = new StringBuilder();
            foreach (string line in _lines) sb.Append(sb.Length > 0 ? "\n" : "").Append(line);
            return sb.ToString();
        }
    }
}
