using System.Diagnostics;
using Amortized.Testing;

namespace Amortized.Inference.Tests.External;

/// <summary>
/// Where the tests find Python with NumPy and the sample simulators: the interpreter in AMORTIZED_PYTHON (CI sets
/// it, and then a missing NumPy fails the tests instead of skipping them), else /usr/bin/python3 if it has NumPy.
/// </summary>
internal static class ExternalTestSupport
{
    /// <summary>The interpreter (<see cref="ExternalTools.Python"/>).</summary>
    public static string? Python => ExternalTools.Python;

    /// <summary>samples/ExternalSimulator of this checkout.</summary>
    public static string SampleDirectory { get; } =
        Path.Combine(ExternalTools.RepositoryRoot, "samples", "ExternalSimulator");

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
}
