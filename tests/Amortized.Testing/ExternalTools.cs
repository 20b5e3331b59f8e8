using System.Diagnostics;
using Xunit;

namespace Amortized.Testing;

/// <summary>
/// The programs outside .NET that some tests start: Python with NumPy (external simulators, NumPy-written shards) and
/// a C compiler. Python is the interpreter in AMORTIZED_PYTHON when set (CI sets it, and a broken one then fails the
/// tests instead of skipping them), else /usr/bin/python3 when it imports numpy (pyenv's python3, first on PATH on
/// these machines, has no NumPy).
/// </summary>
public static class ExternalTools
{
    private static readonly Lazy<string?> s_python = new(FindPython);

    /// <summary>The interpreter, or null when AMORTIZED_PYTHON is unset and no interpreter with NumPy exists.</summary>
    public static string? Python => s_python.Value;

    /// <summary>The checkout's root folder (the one holding Engine.sln).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>A C compiler on PATH (cc, else gcc), or null.</summary>
    public static string? CCompiler { get; } = new[] { "cc", "gcc" }.FirstOrDefault(c =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, c))));

    /// <summary>Compiles one C file into <paramref name="binary"/>, failing with the compiler's output.</summary>
    public static void CompileC(string source, string binary)
    {
        using var p = Process.Start(new ProcessStartInfo(CCompiler!, ["-O2", "-o", binary, source, "-lm"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        var output = p.StandardOutput.ReadToEndAsync();
        string errors = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{CCompiler} {source} failed: {errors}{output.GetAwaiter().GetResult()}");
    }

    private static string? FindPython()
    {
        string? configured = Environment.GetEnvironmentVariable("AMORTIZED_PYTHON");
        if (!string.IsNullOrEmpty(configured)) return configured;
        return File.Exists("/usr/bin/python3") && HasNumpy("/usr/bin/python3") ? "/usr/bin/python3" : null;
    }

    private static bool HasNumpy(string python)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(python, ["-c", "import numpy"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            if (!p.WaitForExit(30_000)) p.Kill();
            return p.HasExited && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Engine.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Engine.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>A test that needs Python with NumPy: skipped, with the reason, only when there is none and
/// AMORTIZED_PYTHON is unset.</summary>
public sealed class PythonFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when no interpreter is available.</summary>
    public PythonFactAttribute()
    {
        if (ExternalTools.Python is null)
            Skip = "no Python with NumPy: set AMORTIZED_PYTHON, or install python3-numpy for /usr/bin/python3";
    }
}

/// <summary>A test that compiles C: skipped, with the reason, when neither cc nor gcc is on PATH.</summary>
public sealed class CompilerFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when no compiler is available.</summary>
    public CompilerFactAttribute()
    {
        if (ExternalTools.CCompiler is null) Skip = "no C compiler (cc or gcc) on PATH; install gcc to run this test";
    }
}
