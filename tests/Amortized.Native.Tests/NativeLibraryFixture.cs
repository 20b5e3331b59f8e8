using System.Diagnostics;
using Xunit;

namespace Amortized.Native.Tests;

/// <summary>
/// libamortized.so, published with Native AOT once for all the tests that load it from outside .NET (C and
/// Python), plus the compiled C round-trip program. Publishing takes about a minute, so it happens lazily on the
/// first test that needs it, and never when those tests are skipped. Set AMORTIZED_NATIVE_LIB_DIR to a folder
/// holding a published libamortized.so to test that build instead of publishing.
/// </summary>
public sealed class NativeLibraryFixture : IDisposable
{
    private readonly Lazy<Published> _published;

    public NativeLibraryFixture()
    {
        Root = Directory.CreateTempSubdirectory("amortized-native-lib-").FullName;
        _published = new Lazy<Published>(Publish);
    }

    public string Root { get; }

    /// <summary>The folder holding libamortized.so (published on first use).</summary>
    public Published Library => _published.Value;

    public sealed record Published(string Directory, string LibraryPath, TimeSpan PublishTime, string Log);

    /// <summary>The repository root (the folder holding src/Amortized.Native).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string ProjectDirectory => Path.Combine(RepositoryRoot, "src", "Amortized.Native");

    private Published Publish()
    {
        string? prebuilt = Environment.GetEnvironmentVariable("AMORTIZED_NATIVE_LIB_DIR");
        if (!string.IsNullOrEmpty(prebuilt))
            return new Published(prebuilt, Path.Combine(prebuilt, "libamortized.so"), TimeSpan.Zero, "(prebuilt)");
        string output = Path.Combine(Root, "lib");
        var watch = Stopwatch.StartNew();
        var result = Tools.Run("dotnet", ["publish", ProjectDirectory, "-c", "Release", "-r", "linux-x64", "-o", output, "-nologo", "-nodeReuse:false"],
            RepositoryRoot, TimeSpan.FromMinutes(10));
        watch.Stop();
        Assert.True(result.ExitCode == 0, $"dotnet publish failed:\n{result}");
        string library = Path.Combine(output, "libamortized.so");
        Assert.True(File.Exists(library), $"dotnet publish succeeded but wrote no libamortized.so:\n{result}");
        return new Published(output, library, watch.Elapsed, result.Output + result.Error);
    }

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "src", "Amortized.Native", "Amortized.Native.csproj"))) return dir.FullName;
        throw new InvalidOperationException($"no src/Amortized.Native above {AppContext.BaseDirectory}");
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class NativeLibraryCollection : ICollectionFixture<NativeLibraryFixture>
{
    public const string Name = "libamortized.so";
}
