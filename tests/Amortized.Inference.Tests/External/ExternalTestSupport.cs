using System.Diagnostics;
using Xunit;

namespace Amortized.Inference.Tests.External;

/// <summary>
/// Where the tests find Python with NumPy and the sample simulators: the interpreter in AMORTIZED_PYTHON (CI sets
/// it, and then a missing NumPy fails the tests instead of skipping them), else /usr/bin/python3 if it has NumPy.
/// </summary>
internal static class ExternalTestSupport
{
    private static readonly Lazy<string?> s_python = new(FindPython);

    /// <summary>The interpreter, or null when none with NumPy exists and AMORTIZED_PYTHON is unset.</summary>
    public static string? Python => s_python.Value;

    /// <summary>samples/ExternalSimulator of this checkout.</summary>
    public static string SampleDirectory { get; } = Path.Combine(RepositoryRoot(), "samples", "ExternalSimulator");

    /// <summary>A shell-quoted command running <paramref name="script"/> with <see cref="Python"/>.</summary>
    public static string PythonCommand(string script) =>
        $"'{Python ?? throw new InvalidOperationException("no Python with NumPy")}' -u '{script}'";

    /// <summary>
    /// Writes a Python simulator into <paramref name="directory"/> that imports the sample helper; the body defines
    /// <c>simulate(batch_size, rng)</c> and may call <c>index()</c>, the batch index of the request being served.
    /// </summary>
    public static string WriteScript(string directory, string name, string body)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, $"""
            import os, sys, time
            sys.path.insert(0, {PyString(SampleDirectory)})
            import numpy as np
            import amortized_simulator
            from amortized_simulator import serve
            def index():
                return amortized_simulator.current["batch_index"]
            {body}
            if __name__ == "__main__":
                serve(simulate)
            """);
        return path;
    }

    /// <summary>A Python string literal.</summary>
    public static string PyString(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    /// <summary>Whether the process is gone (or a zombie that is not ours to reap).</summary>
    public static bool IsGone(int pid)
    {
        string stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat)) return true;
        try
        {
            string text = File.ReadAllText(stat);
            string[] fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return fields[0] == "Z" && int.Parse(fields[1]) != Environment.ProcessId;
        }
        catch (IOException) { return true; }
    }

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
        string errors = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{CCompiler} {source} failed: {errors}");
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
            p.WaitForExit(30_000);
            return p.HasExited && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    private static string RepositoryRoot()
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
        if (ExternalTestSupport.Python is null)
            Skip = "no Python with NumPy: set AMORTIZED_PYTHON, or install python3-numpy for /usr/bin/python3";
    }
}

/// <summary>A test that compiles a C sample: skipped, with the reason, when neither cc nor gcc is on PATH.</summary>
public sealed class CompilerFactAttribute : FactAttribute
{
    /// <summary>Sets Skip when no compiler is available.</summary>
    public CompilerFactAttribute()
    {
        if (ExternalTestSupport.CCompiler is null) Skip = "no C compiler (cc or gcc) on PATH; install gcc to run this test";
    }
}
