using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Xunit;

namespace Amortized.Inference.Tests.FileFormats;

/// <summary>
/// Builders of hostile data files for the reader tests: .npy bytes with any header, .npz archives whose entries
/// stream zeros without holding them, and in-place edits of a zip's declared sizes.
/// </summary>
internal static class HostileFiles
{
    /// <summary>
    /// Bytes of a .npy file with the dict text given verbatim (Latin-1, or UTF-8 for version 3), then
    /// <paramref name="data"/>.
    /// </summary>
    public static byte[] NpyBytes(string dict, byte[]? data = null, int major = 1)
    {
        byte[] header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetBytes(dict + "\n");
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0]);
        Span<byte> len = stackalloc byte[4];
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(len, checked((ushort)header.Length));
            ms.Write(len[..2]);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)header.Length);
            ms.Write(len);
        }
        ms.Write(header);
        if (data is not null) ms.Write(data);
        return ms.ToArray();
    }

    /// <summary>The header dict of a C-order array.</summary>
    public static string Dict(string descr, string shape) =>
        $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";

    /// <summary>
    /// An .npz archive of one deflated entry <c>x.npy</c>: a float32 array of <paramref name="elements"/> zeros
    /// (about 1000:1 compressed), streamed in 1 MiB chunks so the test never holds it; then
    /// <paramref name="trailingZeros"/> more zero bytes after the array.
    /// </summary>
    public static byte[] ZeroNpz(long elements, long trailingZeros = 0)
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            using Stream s = zip.CreateEntry("x.npy", CompressionLevel.Fastest).Open();
            s.Write(NpyBytes(Dict("<f4", $"({elements},)")));
            var chunk = new byte[1 << 20];
            for (long left = elements * 4 + trailingZeros; left > 0; left -= chunk.Length)
                s.Write(chunk, 0, (int)Math.Min(left, chunk.Length));
        }
        return ms.ToArray();
    }

    /// <summary>An .npz archive of the given entries, each holding the given bytes verbatim.</summary>
    public static byte[] NpzBytes(params (string Name, byte[] Content)[] entries)
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, content) in entries)
            {
                using Stream s = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
                s.Write(content);
            }
        return ms.ToArray();
    }

    /// <summary>
    /// Rewrites the uncompressed size of every entry (in its local header and in the central directory), as a
    /// hostile archive would: the data stays as it is.
    /// </summary>
    public static byte[] WithDeclaredSize(byte[] zip, uint uncompressedSize)
    {
        byte[] result = (byte[])zip.Clone();
        for (int i = 0; i + 30 <= result.Length; i++)
        {
            uint signature = BinaryPrimitives.ReadUInt32LittleEndian(result.AsSpan(i));
            if (signature == 0x04034b50) // local file header: uncompressed size at +22
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(i + 22), uncompressedSize);
            else if (signature == 0x02014b50) // central directory header: uncompressed size at +24
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(i + 24), uncompressedSize);
        }
        return result;
    }

    /// <summary>A fresh temporary path with the given extension; the caller deletes it.</summary>
    public static string TempPath(string extension) =>
        Path.Combine(Path.GetTempPath(), $"amortized-hostile-{Environment.ProcessId}-{Guid.NewGuid():N}{extension}");

    /// <summary>Bytes allocated on this thread while <paramref name="action"/> runs (and throws).</summary>
    public static (long Allocated, TException Error) Measure<TException>(Action action) where TException : Exception
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        Exception? error = Record.Exception(action);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        return (allocated, Assert.IsType<TException>(error));
    }
}

/// <summary>A read-only stream over bytes that cannot seek, so its length is unknown to the reader.</summary>
internal sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
{
    public override bool CanSeek => false;
}
