using Amortized.Inference.Tasks;

namespace Amortized.Cli;

/// <summary>Task names as users type them: <c>two-moons</c> and <c>two_moons</c> are the same task.</summary>
internal static class TaskNames
{
    public static string Normalize(string name) => name.Trim().ToLowerInvariant().Replace('-', '_');

    public static BenchmarkTask Create(string name)
    {
        string normalized = Normalize(name);
        if (!BenchmarkTasks.Names.Contains(normalized))
            throw new UsageException($"unknown task '{name}'; expected one of " +
                $"{string.Join(", ", BenchmarkTasks.Names)} (see 'amortized tasks').");
        return BenchmarkTasks.Create(normalized);
    }
}
