using System.Diagnostics;
using Xunit;

namespace Amortized.Native.Tests;

/// <summary>External programs: whether they exist, and running them with captured output.</summary>
internal static class Tools
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
    }

    /// <summary>The full path of <paramref name="name"/> on PATH, or null.</summary>
    public static string? Find(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public static Result Run(string program, IEnumerable<string> args, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args) start.ArgumentList.Add(a);
        // The test host inherits MSBuild's variables from `dotnet test`; a nested `dotnet publish` must not
        // pick them up (they point it at the outer build's MSBuild instance and SDK resolver state).
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        if (environment is not null)
            foreach (var (k, v) in environment) start.Environment[k] = v;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        Task<string> output = process.StandardOutput.ReadToEndAsync(), error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} ran longer than {timeout}.");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }
}

/// <summary>A fact that is skipped, with the reason, when a program it needs is not on PATH.</summary>
public sealed class RequiresToolFactAttribute : FactAttribute
{
    public RequiresToolFactAttribute(string tool, string purpose)
    {
        if (Tools.Find(tool) is null) Skip = $"'{tool}' is not on PATH, so {purpose} cannot run; install it to run this test.";
    }
}
