using System.Globalization;
using System.Text;

namespace Amortized.Inference.FileFormats;

/// <summary>
/// Makes text taken from a file safe to quote in an error message: a corrupt or hostile field may hold raw binary
/// bytes, terminal escape sequences, bidirectional overrides or megabytes of text, and messages end up on a
/// terminal and in logs.
/// </summary>
internal static class InputText
{
    /// <summary>Characters of file content an error message quotes at most.</summary>
    public const int MaxQuoted = 40;

    /// <summary>
    /// <paramref name="text"/> with control, format, separator, surrogate, private-use and unassigned characters
    /// written as <c>\xNN</c> or <c>\uNNNN</c>, cut after <paramref name="max"/> characters of the original with
    /// "... (N characters)" appended.
    /// </summary>
    public static string Sanitize(ReadOnlySpan<char> text, int max = MaxQuoted)
    {
        var sb = new StringBuilder(Math.Min(text.Length, max) + 16);
        int shown = Math.Min(text.Length, max);
        for (int i = 0; i < shown; i++)
        {
            char ch = text[i];
            if (IsSafe(ch)) sb.Append(ch);
            else if (ch <= 0xFF) sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)ch:X2}");
            else sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)ch:X4}");
        }
        if (shown < text.Length) sb.Append(CultureInfo.InvariantCulture, $"... ({text.Length} characters)");
        return sb.ToString();
    }

    private static bool IsSafe(char ch)
    {
        if (ch == '\\') return false; // escaped too, so an escape in the output is never ambiguous
        return char.GetUnicodeCategory(ch) switch
        {
            UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
                or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
                or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => false,
            _ => true,
        };
    }
}
