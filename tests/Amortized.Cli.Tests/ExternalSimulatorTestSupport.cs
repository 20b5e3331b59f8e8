using System.Diagnostics;
using Xunit;

namespace Amortized.Cli.Tests;

/// <summary>
/// Python with NumPy and the sample simulators for the --simulator tests: the interpreter in AMORTIZED_PYTHON (CI sets
/// it; then a missing NumPy fails the tests instead of skipping them), else /usr/bin/python3 if it has NumPy. The same
/// rule as Amortized.Inference.Tests' ExternalTestSupport (test projects do not share sources).
/// </summary>
internal static class ExternalSimulatorTestSupport
{
    private static readonly Lazy<string?> s_python = new(() =>
    {
        string? configured = Environment.GetEnvironmentVariable("AMORTIZED_PYTHON");
        if (!string.IsNullOrEmpty(configured)) return configured;
        if (!File.Exists("/usr/bin/python3")) return null;
        using var p = Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", "import numpy"])
        {
            RedirectStandardError = true,
        })!;
        p.WaitForExit(30_000);
        return p.HasExited && p.ExitCode == 0 ? "/usr/bin/python3" : null;
    });

    public static string? Python => s_python.Value;

    /// <summary>samples/ExternalSimulator of this checkout.</summary>
    public static string SampleDirectory { get; } = FindSamples();

    /// <summary>The shell command that runs <paramref name="script"/> with <see cref="Python"/>.</summary>
    public static string PythonCommand(string script) => $"'{Python}' -u '{script}'";

    private static string FindSamples()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln")))
                return Path.Combine(dir.FullName, "samples", "ExternalSimulator");
        throw new InvalidOperationException($"no Engine.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>A test that needs Python with NumPy: skipped, with the reason, only when there is none and AMORTIZED_PYTHON
/// is unset.</summary>
public sealed class ExternalSimulatorPythonFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when no interpreter is available.</summary>
    public ExternalSimulatorPythonFactAttribute()
    {
        if (ExternalSimulatorTestSupport.Python is null)
            Skip = "no Python with NumPy: set AMORTIZED_PYTHON, or install python3-numpy for /usr/bin/python3";
    }
}
