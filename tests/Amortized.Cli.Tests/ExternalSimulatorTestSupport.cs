using Amortized.Testing;

namespace Amortized.Cli.Tests;

/// <summary>
/// Python with NumPy (<see cref="ExternalTools.Python"/>) and the sample simulators for the --simulator tests.
/// </summary>
internal static class ExternalSimulatorTestSupport
{
    public static string? Python => ExternalTools.Python;

    /// <summary>samples/ExternalSimulator of this checkout.</summary>
    public static string SampleDirectory { get; } =
        Path.Combine(ExternalTools.RepositoryRoot, "samples", "ExternalSimulator");

    /// <summary>The shell command that runs <paramref name="script"/> with <see cref="Python"/>.</summary>
    public static string PythonCommand(string script) => $"'{Python}' -u '{script}'";
}
