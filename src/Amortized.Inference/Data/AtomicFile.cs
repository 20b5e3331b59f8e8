namespace Amortized.Inference.Data;

/// <summary>
/// Replaces a file in one step: the content goes to a temporary file beside it, which is then renamed over the
/// target (File.Move with overwrite, a rename on one volume), so readers see the old file or the new one,
/// never half of one.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<string> writeTo)
    {
        string temp = path + ".tmp";
        try
        {
            writeTo(temp);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, temp => File.WriteAllBytes(temp, bytes));

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
