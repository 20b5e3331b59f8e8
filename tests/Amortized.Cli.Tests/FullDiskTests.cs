using System.Diagnostics;
using System.Security.Cryptography;
using Xunit;

namespace Amortized.Cli.Tests;

/// <summary>
/// A full disk, for real: a small tmpfs is mounted (Linux, as root; the test is skipped where the machine does not
/// allow it), a run is written on it, the disk is filled, and <c>diagnose</c> fails half way through its figures.
/// The run folder must be exactly what it was, and a later <c>diagnose</c>, with room again, must work.
/// </summary>
public sealed class FullDiskTests
{
    [TmpfsFact]
    public void Diagnose_OnAFullDisk_FailsAndLeavesTheRunAsItWas()
    {
        string mount = Tmpfs.Mount(megabytes: 8);
        try
        {
            string run = Path.Combine(mount, "run");
            var fit = CliRunner.Run("fit", "two-moons", "--out", run, "--epochs", "2", "--batches-per-epoch", "20",
                "--batch-size", "64", "--seed", "3", "--threads", "1", "--diagnostic-datasets", "30",
                "--diagnostic-samples", "100");
            Assert.True(fit.ExitCode == 0, fit.ToString());
            var before = Snapshot(run);

            // Leave 300 KB: less than the report and its figures need, more than the first few figures.
            long free = new DriveInfo(mount).AvailableFreeSpace;
            WriteZeros(Path.Combine(mount, "filler"), free - 300 * 1024);
            var full = CliRunner.Run("diagnose", run, "--datasets", "30", "--samples", "100");
            Assert.NotEqual(0, full.ExitCode);
            Assert.Contains("No space left", full.Error);
            Assert.DoesNotContain(".pending", full.Error);   // the user's path, not the staging one
            Assert.Equal(before, Snapshot(run));

            File.Delete(Path.Combine(mount, "filler"));
            var again = CliRunner.Run("diagnose", run, "--datasets", "30", "--samples", "100");
            Assert.True(again.ExitCode == 0, again.ToString());
            Assert.False(Directory.Exists(Path.Combine(run, ".pending")));
        }
        finally
        {
            Tmpfs.Unmount(mount);
        }
    }

    /// <summary>tmpfs allocates on write, so the filler is written, not just sized.</summary>
    private static void WriteZeros(string path, long bytes)
    {
        var block = new byte[1 << 16];
        using var stream = File.OpenWrite(path);
        for (long left = bytes; left > 0; left -= block.Length)
            stream.Write(block, 0, (int)Math.Min(block.Length, left));
    }

    /// <summary>Every committed file of the run (not the lock files or the staging folder) with its SHA-256.</summary>
    private static SortedDictionary<string, string> Snapshot(string run)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(run, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(run, file);
            if (relative.StartsWith(".pending", StringComparison.Ordinal) || Path.GetFileName(file) is ".lock"
                or ".commit-lock")
                continue;
            files[relative] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
        }
        return files;
    }
}

/// <summary>Runs only where a tmpfs can be mounted (Linux, root, mount permitted).</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (!Tmpfs.Available) Skip = "cannot mount a tmpfs on this machine (needs Linux and root)";
    }
}

internal static class Tmpfs
{
    private static readonly Lazy<bool> s_available = new(() =>
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") return false;
        try
        {
            Unmount(Mount(1));
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    });

    public static bool Available => s_available.Value;

    /// <summary>Mounts a tmpfs of the given size on a new temporary folder and returns the folder.</summary>
    public static string Mount(int megabytes)
    {
        string path = CliRunner.TempDir();
        Exec("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
        return path;
    }

    public static void Unmount(string path) => Exec("umount", path);

    private static void Exec(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start)!;
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {process.ExitCode}: {error}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{file}: {e.Message}", e);
        }
    }
}
