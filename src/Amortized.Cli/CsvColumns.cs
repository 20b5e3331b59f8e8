using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;

namespace Amortized.Cli;

/// <summary>
/// Finds the columns a model reads in a CSV file by their header names, in any order: every key element has its
/// flat name (<c>x[0]</c>, <c>x[1]</c>, a plain <c>n</c> for a scalar key, as <c>simulate</c> writes them) and, for
/// a built-in task, the task's own names (<c>x_1</c>, <c>x_2</c>, <c>theta_1</c>). Columns of the other role (the
/// parameters in an observation file written by <c>simulate</c>, the data in a parameter file) are skipped; any
/// other name, a missing name, or a name given twice is an error that names it and lists what the model reads.
/// </summary>
internal static class CsvColumns
{
    /// <summary>One expected column: its flat name and an optional second name that means the same.</summary>
    internal readonly record struct Expected(string Name, string? Alias);

    /// <summary>
    /// The columns of <paramref name="keys"/> (each (rowShape) per row) in the keys' flat order, with
    /// <paramref name="aliases"/> (one per column, or null) as second names.
    /// </summary>
    public static Expected[] Of(IReadOnlyList<InputKey> keys, IReadOnlyList<string>? aliases)
    {
        // The names come from the CSV writer itself, so reading matches what simulate and the library write.
        var probe = new SimulationBatch(1);
        foreach (var key in keys) probe.Set(key.Name, new float[key.RowLength], [1, .. key.RowShape]);
        var names = CsvTable.FromBatch(probe).ColumnNames;
        if (aliases is not null && aliases.Count != names.Count) aliases = null;
        var expected = new Expected[names.Count];
        for (int i = 0; i < expected.Length; i++)
            expected[i] = new Expected(names[i], aliases?[i] is { } alias && alias != names[i] ? alias : null);
        return expected;
    }

    /// <summary>
    /// The task's column names for <paramref name="keys"/> when the run is a built-in task whose one key is the
    /// task's data (or parameter) key: <c>x_1</c>, ..., else null.
    /// </summary>
    public static IReadOnlyList<string>? TaskNames(string? task, IReadOnlyList<InputKey> keys, bool parameters)
    {
        if (task is null || keys.Count != 1) return null;
        BenchmarkTask benchmark;
        try { benchmark = BenchmarkTasks.Create(task); }
        catch (ArgumentException) { return null; }
        var (key, names) = parameters
            ? (benchmark.ParameterKey, benchmark.ParameterNames)
            : (benchmark.DataKey, benchmark.DataNames);
        return keys[0].Name == key && keys[0].RowLength == names.Count ? names : null;
    }

    /// <summary>
    /// The values (one array of R per expected column, in <paramref name="expected"/>'s order) of
    /// <paramref name="table"/>, matched by header name; columns named in <paramref name="skipped"/> are ignored.
    /// </summary>
    /// <exception cref="UsageException">A column the model does not read, a missing column, or a column twice.
    /// </exception>
    public static float[][] Match(CsvTable table, string path, string what, IReadOnlyList<Expected> expected,
        IReadOnlyList<Expected> skipped)
    {
        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < expected.Count; i++)
        {
            position[expected[i].Name] = i;
            if (expected[i].Alias is { } alias) position[alias] = i;
        }
        var skip = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in skipped)
        {
            skip.Add(s.Name);
            if (s.Alias is { } alias) skip.Add(alias);
        }
        var found = new int[expected.Count];
        Array.Fill(found, -1);
        var names = table.ColumnNames;
        for (int c = 0; c < names.Count; c++)
        {
            if (position.TryGetValue(names[c], out int i))
            {
                if (found[i] >= 0)
                    throw new UsageException($"{what} '{path}': columns '{names[found[i]]}' and '{names[c]}' both " +
                        $"give {Describe(expected[i])}.");
                found[i] = c;
            }
            else if (!skip.Contains(names[c]))
                throw new UsageException($"{what} '{path}': column '{Shown(names[c])}' is not read by the " +
                    $"model; it reads {List(expected)} (columns are matched by name, in any order).");
        }
        int missing = Array.IndexOf(found, -1);
        if (missing >= 0)
            throw new UsageException($"{what} '{path}' lacks the column {Describe(expected[missing])}; the model " +
                $"reads {List(expected)}.");
        var values = new float[expected.Count][];
        for (int i = 0; i < values.Length; i++) values[i] = table.Values(found[i]);
        return values;
    }

    /// <summary>A header as it may be echoed: control characters escaped, cut to 40 characters.</summary>
    private static string Shown(string name)
    {
        string cut = name.Length > 40 ? name[..40] + "..." : name;
        return string.Concat(cut.Select(ch => char.IsControl(ch) ? $"\\u{(int)ch:x4}" : ch.ToString()));
    }

    private static string Describe(Expected e) => e.Alias is { } a ? $"'{a}' (or '{e.Name}')" : $"'{e.Name}'";

    private static string List(IReadOnlyList<Expected> expected)
    {
        const int shown = 8;
        string Names(Func<Expected, string?> pick) => string.Join(", ", expected.Take(shown).Select(pick)) +
            (expected.Count > shown ? $", ... ({expected.Count} columns)" : "");
        return expected.All(e => e.Alias is not null)
            ? $"{Names(e => e.Alias)} (or {Names(e => e.Name)})"
            : Names(e => e.Name);
    }
}
