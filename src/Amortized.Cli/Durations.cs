using System.Globalization;

namespace Amortized.Cli;

/// <summary>Parses durations such as <c>90s</c>, <c>10m</c>, <c>1h30m</c> or a plain number of seconds.</summary>
internal static class Durations
{
    /// <summary>Longer than any training run, and far inside what TimeSpan holds (it throws on overflow).</summary>
    private const double MaxSeconds = 10 * 365.25 * 86400;

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim().ToLowerInvariant();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double plain))
        {
            if (!(plain > 0) || !(plain < MaxSeconds)) return false;
            value = TimeSpan.FromSeconds(plain);
            return true;
        }
        double seconds = 0;
        int i = 0;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '.')) i++;
            if (start == i || i == text.Length) return false;
            if (!double.TryParse(text.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture,
                out double number)) return false;
            double unit = text[i] switch { 'h' => 3600, 'm' => 60, 's' => 1, _ => double.NaN };
            if (double.IsNaN(unit)) return false;
            seconds += number * unit;
            i++;
        }
        if (!(seconds > 0) || !(seconds < MaxSeconds)) return false;
        value = TimeSpan.FromSeconds(seconds);
        return true;
    }
}
