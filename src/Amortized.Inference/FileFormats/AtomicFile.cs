namespace Amortized.Inference.FileFormats;

/// <summary>
/// Replaces a file in one step: the content goes to a uniquely named temporary file beside it (so the rename
/// stays on one volume and concurrent writers never share a temp file), is flushed to disk, and is then renamed
/// over the target, so readers see the old file or the new one, never half of one. On any exception the
/// temporary file is deleted and the target is left as it was. The one atomic writer of the project: model
/// files, checkpoints, dataset shards and manifests all go through it.
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/> atomically (temp file, flush, rename).
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)
            ?? throw new ArgumentException($"'{path}' is not a file path.", nameof(path));
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, stream => stream.Write(bytes));

    /// <summary>
    /// Writes <paramref name="text"/> as UTF-8 (no byte-order mark) to <paramref name="path"/> atomically.
    /// </summary>
    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, new System.Text.UTF8Encoding(false).GetBytes(text));

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
