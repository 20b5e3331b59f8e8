using System.CommandLine;
using System.Globalization;

namespace Amortized.Cli;

/// <summary>
/// Option factories. Numbers are parsed and range-checked in a CustomParser, not in Validators: a validator that
/// reads the value crashes the parser on non-numeric input (dotnet/command-line-api#2645).
/// </summary>
internal static class Options
{
    public static Option<int> Int(string name, string description, int defaultValue, int min,
        int max, params string[] aliases) =>
        new(name, aliases)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
            CustomParser = r =>
            {
                string token = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
                if (int.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
                    && v >= min && v <= max) return v;
                r.AddError($"{name} must be an integer in {min}..{max} (got '{token}').");
                return defaultValue;
            },
        };

    public static Option<int?> OptionalInt(string name, string description, int min, int max) =>
        new(name)
        {
            Description = description,
            CustomParser = r =>
            {
                string token = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
                if (int.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
                    && v >= min && v <= max) return v;
                r.AddError($"{name} must be an integer in {min}..{max} (got '{token}').");
                return null;
            },
        };

    public static Option<ulong> Seed() =>
        new("--seed")
        {
            Description = "Seed of everything random (the same seed gives the same result on the CPU)",
            DefaultValueFactory = _ => 1UL,
            CustomParser = r =>
            {
                string token = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
                if (ulong.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong v)) return v;
                r.AddError($"--seed must be a non-negative integer (got '{token}').");
                return 0;
            },
        };

    public static Option<TimeSpan?> Duration(string name, string description) =>
        new(name)
        {
            Description = description,
            CustomParser = r =>
            {
                string token = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
                if (Durations.TryParse(token, out var span)) return span;
                r.AddError($"{name} must be a duration such as 90s, 10m or 1h30m (got '{token}').");
                return null;
            },
        };

    /// <summary>
    /// One of a fixed set of words. Checked in a CustomParser rather than with AcceptOnlyFromAmong, whose error
    /// lists the choices over several lines; the command promises one line on stderr.
    /// </summary>
    public static Option<T> Choice<T>(string name, string description, T defaultValue, Choices<T> choices)
        where T : struct, Enum =>
        new(name)
        {
            Description = $"{description}: {string.Join(" | ", choices.Words)}",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = r => ParseChoice(r, name, choices) ?? defaultValue,
        };

    public static Option<T?> OptionalChoice<T>(string name, string description,
        Choices<T> choices) where T : struct, Enum =>
        new(name)
        {
            Description = $"{description}: {string.Join(" | ", choices.Words)}",
            CustomParser = r => ParseChoice(r, name, choices),
        };

    private static T? ParseChoice<T>(System.CommandLine.Parsing.ArgumentResult r, string name, Choices<T> choices)
        where T : struct, Enum
    {
        string token = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
        string normalized = token.Trim().ToLowerInvariant().Replace('_', '-');
        if (choices.TryParse(normalized, out var value)) return value;
        r.AddError($"{name} must be one of {string.Join(", ", choices.Words)} (got '{token}').");
        return null;
    }

    /// <summary><c>--contraction-variance</c>: contraction as BayesFlow defines it.</summary>
    public static Option<bool> VarianceContraction() => new("--contraction-variance")
    {
        Description = "Report posterior contraction as 1 - var/prior var (BayesFlow's definition) instead of " +
            "1 - sd/prior sd",
    };

    public static Option<string> RequiredPath(string name, string description) =>
        new(name) { Description = description, Required = true };

    /// <summary>Comma- or space-separated key lists (<c>--inference-variables theta,sigma</c>).</summary>
    public static Option<string[]> Keys(string name, string description, bool required = false) =>
        new(name)
        {
            Description = description,
            Required = required,
            AllowMultipleArgumentsPerToken = true,
            CustomParser = r => r.Tokens.SelectMany(t =>
                t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray(),
        };
}
