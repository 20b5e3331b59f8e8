namespace Amortized.Cli;

/// <summary>Checks of output paths, made before any work so a bad one costs nothing and exits 2.</summary>
internal static class OutputPaths
{
    /// <summary>Refuses an output file path that names an existing folder (writing would fail only at the end).</summary>
    public static void EnsureFile(string path, string option = "--out")
    {
        if (Directory.Exists(path))
            throw new UsageException($"{option} '{path}' is a folder; expected a file path such as " +
                $"'{Path.Combine(path, "out.csv")}'.");
    }
}
