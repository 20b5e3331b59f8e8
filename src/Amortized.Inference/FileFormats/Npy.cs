using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.FileFormats;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files (format versions 1-3; little-endian float32, float64, int32, int64 and
/// bool in C order) and <c>.npz</c> archives (a zip of .npy files, stored or deflated). Anything else, and any
/// truncated or corrupted file, gives an error that says what was expected and what was found.
/// </summary>
public static class Npy
{
    private static readonly byte[] s_magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>
    /// Reads one array from a .npy file. Declared sizes are checked against the file's length and
    /// <paramref name="limits"/> (default <see cref="ReadLimits.Default"/>) before anything is allocated; errors are
    /// <see cref="InvalidDataException"/>s that start with the path.
    /// </summary>
    public static NpyArray Read(string path, ReadLimits? limits = null)
    {
        using FileStream f = File.OpenRead(path);
        try { return Read(f, limits); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }

    /// <summary>
    /// Reads one array from a stream positioned at the magic string. A seekable stream's remaining length bounds
    /// the declared sizes; from a non-seekable stream the data is read in chunks, so memory follows the bytes that
    /// really arrive, never a declared size alone.
    /// </summary>
    public static NpyArray Read(Stream stream, ReadLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Read(stream, stream.CanSeek ? stream.Length - stream.Position : null, exact: false,
            limits ?? ReadLimits.Default);
    }

    /// <param name="stream">Positioned at the magic string.</param>
    /// <param name="available">Bytes the stream holds from here, when known (a file's remaining length, an npz
    /// entry's declared size): the header length and the data size are checked against it before allocating.</param>
    /// <param name="exact">Whether the array must fill <paramref name="available"/> exactly (an npz entry).</param>
    /// <param name="limits">Resource limits.</param>
    private static NpyArray Read(Stream stream, long? available, bool exact, ReadLimits limits)
    {
        var (dtype, shape, count) = ReadHeader(stream, available, exact, limits);
        Array data = ReadData(stream, dtype, count, lengthKnown: available is not null);
        if (data is bool[] flags)
        {
            ReadOnlySpan<byte> raw = MemoryMarshal.AsBytes(flags.AsSpan());
            int bad = raw.IndexOfAnyExcept((byte)0, (byte)1);
            if (bad >= 0)
                throw new InvalidDataException($"npy: bool element {bad} is byte {raw[bad]}; expected 0 or 1.");
        }
        return new NpyArray(dtype, shape, data);
    }

    /// <summary>
    /// Reads the magic, version and header of an array and checks its shape against <paramref name="limits"/> and
    /// <paramref name="available"/> (as <see cref="Read(Stream, long?, bool, ReadLimits)"/> describes), leaving the
    /// stream at the data; returns the dtype, shape and element count.
    /// </summary>
    private static (NpyDType DType, int[] Shape, int Count) ReadHeader(Stream stream, long? available, bool exact,
        ReadLimits limits)
    {
        Span<byte> prefix = stackalloc byte[12];
        ReadExactly(stream, prefix[..8], "the 8-byte magic and version");
        if (!prefix[..6].SequenceEqual(s_magic))
            throw new InvalidDataException(
                $"npy: expected the magic string \\x93NUMPY; found bytes {Convert.ToHexString(prefix[..6])}.");
        int major = prefix[6];
        int lengthField = major switch
        {
            1 => 2,
            2 or 3 => 4,
            _ => throw new InvalidDataException(
                $"npy: format version {major}.{prefix[7]} is not supported; expected 1.0, 2.0 or 3.0."),
        };
        ReadExactly(stream, prefix.Slice(8, lengthField), "the header length");
        long headerLength = lengthField == 2
            ? BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..])
            : BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
        long afterHeader = available is long total ? total - 8 - lengthField - headerLength : long.MaxValue;
        if (headerLength > limits.MaxNpyHeaderBytes)
            throw new InvalidDataException($"npy: the header length field says {headerLength} bytes; the limit is " +
                $"{limits.MaxNpyHeaderBytes} (ReadLimits.MaxNpyHeaderBytes).");
        if (afterHeader < 0)
            throw new InvalidDataException($"npy: truncated file; the header length field says {headerLength} " +
                $"bytes, but only {available - 8 - lengthField} bytes follow it.");

        var header = new byte[headerLength];
        ReadExactly(stream, header, $"the {headerLength}-byte header");
        string text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(header);
        (NpyDType dtype, long[] dims) = ParseHeader(text);
        string described = $"shape {FormatShape(dims)} of {NpyArray.Descr(dtype)}";
        long bytes = limits.CheckArrayBytes(dims, NpyArray.ItemSize(dtype), $"npy: {described}");
        if (bytes > afterHeader)
            throw new InvalidDataException($"npy: truncated data; {described} needs {bytes} bytes, " +
                $"found {afterHeader} after the header.");
        if (exact && bytes != afterHeader)
            throw new InvalidDataException($"npy: {described} needs {bytes} bytes, but {afterHeader} bytes " +
                "follow the header; the sizes must agree.");

        int[] shape = Array.ConvertAll(dims, d => (int)d); // each at most the element count, checked above
        int count = (int)(bytes / NpyArray.ItemSize(dtype)); // at most Array.MaxLength, checked above
        return (dtype, shape, count);
    }

    /// <summary>Elements per read or write call: a span of bytes is int-indexed, an array may hold more.</summary>
    private static int ChunkElements(NpyDType dtype) => (1 << 30) / NpyArray.ItemSize(dtype);

    /// <summary>
    /// Reads <paramref name="count"/> elements of data, in chunks of at most 1 GiB. When the stream's length is
    /// known (and the declared size already checked against it) the array is allocated at once; when it is not,
    /// the array starts at 1 MiB and doubles only as data really arrives, so a truncated stream costs at most about
    /// three times what it held, never its declared size.
    /// </summary>
    private static Array ReadData(Stream stream, NpyDType dtype, int count, bool lengthKnown)
    {
        int itemSize = NpyArray.ItemSize(dtype);
        Array data = NewArray(dtype, lengthKnown ? count : Math.Min(count, (1 << 20) / itemSize));
        int filled = 0;
        while (filled < count)
        {
            if (filled == data.Length)
            {
                Array grown = NewArray(dtype, (int)Math.Min(count, 2L * data.Length));
                Array.Copy(data, grown, filled);
                data = grown;
            }
            Span<byte> target = Bytes(data, filled, Math.Min(data.Length - filled, ChunkElements(dtype)));
            int read = stream.ReadAtLeast(target, target.Length, throwOnEndOfStream: false);
            if (read < target.Length)
                throw new InvalidDataException($"npy: truncated data; needs {(long)count * itemSize} bytes, " +
                    $"found {(long)filled * itemSize + read}.");
            filled += target.Length / itemSize;
        }
        return data;
    }

    private static Array NewArray(NpyDType dtype, int count) => dtype switch
    {
        NpyDType.Float32 => new float[count],
        NpyDType.Float64 => new double[count],
        NpyDType.Int32 => new int[count],
        NpyDType.Int64 => new long[count],
        _ => new bool[count],
    };

    /// <summary>
    /// The bytes of elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>) of a
    /// float[], double[], int[], long[] or bool[], in the file's little-endian layout.
    /// </summary>
    private static Span<byte> Bytes(Array data, int start, int length) => data switch
    {
        float[] f => MemoryMarshal.AsBytes(f.AsSpan(start, length)),
        double[] d => MemoryMarshal.AsBytes(d.AsSpan(start, length)),
        int[] n => MemoryMarshal.AsBytes(n.AsSpan(start, length)),
        long[] l => MemoryMarshal.AsBytes(l.AsSpan(start, length)),
        bool[] b => MemoryMarshal.AsBytes(b.AsSpan(start, length)),
        _ => throw new ArgumentException($"npy: cannot store {data.GetType().Name}."),
    };

    /// <summary>Writes a .npy file (format 1.0).</summary>
    public static void Write(string path, NpyArray array) => AtomicFile.Write(path, stream => Write(stream, array));

    /// <summary>Writes .npy bytes (format 1.0, header padded to a multiple of 64 bytes as NumPy does).</summary>
    public static void Write(Stream stream, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        string shape = array.Shape.Length == 1 ? $"({array.Shape[0]},)" : "(" + string.Join(", ", array.Shape) + ")";
        string dict = $"{{'descr': '{NpyArray.Descr(array.DType)}', 'fortran_order': False, 'shape': {shape}, }}";
        int total = 10 + dict.Length + 1;
        int padded = (total + 63) / 64 * 64;
        string header = dict + new string(' ', padded - total) + "\n";
        stream.Write(s_magic);
        stream.WriteByte(1);
        stream.WriteByte(0);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, checked((ushort)header.Length));
        stream.Write(len);
        stream.Write(Encoding.Latin1.GetBytes(header));
        if (array.Data is bool[] b)
        {
            // 0/1 explicitly: a bool[] filled by unsafe code may hold other non-zero bytes.
            stream.Write(Array.ConvertAll(b, v => v ? (byte)1 : (byte)0));
            return;
        }
        int chunk = ChunkElements(array.DType);
        for (int start = 0; start < array.Data.Length; start += chunk)
            stream.Write(Bytes(array.Data, start, Math.Min(chunk, array.Data.Length - start)));
    }

    /// <summary>
    /// Reads every array of a .npz archive, keyed by name (without the .npy suffix). Before anything is inflated,
    /// each entry's declared uncompressed size is checked against <paramref name="limits"/> (default
    /// <see cref="ReadLimits.Default"/>), their sum against <see cref="ReadLimits.MaxTotalBytes"/> and, above
    /// <see cref="ReadLimits.CompressionRatioExemptBytes"/>, against the archive's length times
    /// <see cref="ReadLimits.MaxCompressionRatio"/> (zip bombs); while inflating, an entry that yields more than
    /// its declared size is an error, so a lying zip header does not help either. Errors are
    /// <see cref="InvalidDataException"/>s naming the path and the entry.
    /// </summary>
    public static Dictionary<string, NpyArray> ReadNpz(string path, ReadLimits? limits = null)
    {
        limits ??= ReadLimits.Default;
        return ReadNpz(path, limits, (limits.MaxTotalBytes, "ReadLimits.MaxTotalBytes"));
    }

    /// <summary>
    /// <see cref="ReadNpz(string, ReadLimits)"/> with the entries' declared total bounded by
    /// <paramref name="maxTotal"/> instead of <see cref="ReadLimits.MaxTotalBytes"/>, for a reader that knows what
    /// the archive should hold (a dataset shard described by its manifest); Source names that bound in the error.
    /// </summary>
    internal static Dictionary<string, NpyArray> ReadNpz(string path, ReadLimits limits,
        (long Bytes, string Source) maxTotal)
    {
        using FileStream file = File.OpenRead(path);
        return ReadNpz(file, path, limits, maxTotal);
    }

    /// <summary>
    /// <see cref="ReadNpz(string, ReadLimits)"/> of an archive held in a seekable <paramref name="archive"/> (bytes
    /// received from a process, say), named <paramref name="source"/> in errors.
    /// </summary>
    internal static Dictionary<string, NpyArray> ReadNpz(Stream archive, string source, ReadLimits limits,
        (long Bytes, string Source) maxTotal)
    {
        var result = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        ForEachEntry(archive, source, limits, maxTotal, (name, s, length) =>
        {
            result[name] = Read(s, length, exact: true, limits);
            s.CheckAtEnd();
        }, result.ContainsKey);
        return result;
    }

    /// <summary>
    /// The name, shape and dtype of every array of a .npz archive, in stored order, from the npy headers alone: the
    /// archive passes the checks of <see cref="ReadNpz(string, ReadLimits)"/> on its declared sizes, each header is
    /// checked as when reading and against its entry's declared size, and only the first bytes of each entry are
    /// inflated (the data never are).
    /// </summary>
    internal static List<(string Name, int[] Shape, NpyDType DType)> ReadNpzHeaders(string path, ReadLimits limits)
    {
        var result = new List<(string Name, int[] Shape, NpyDType DType)>();
        using FileStream file = File.OpenRead(path);
        ForEachEntry(file, path, limits, (limits.MaxTotalBytes, "ReadLimits.MaxTotalBytes"), (name, s, length) =>
        {
            var (dtype, shape, _) = ReadHeader(s, length, exact: true, limits);
            result.Add((name, shape, dtype));
        }, name => result.Exists(r => r.Name == name));
        return result;
    }

    /// <summary>
    /// Opens the .npz archive in <paramref name="file"/> (seekable; left open), checks its declared sizes
    /// (<see cref="CheckDeclaredSizes"/>) and calls <paramref name="read"/> with each entry's array name, its stream
    /// (no longer than its declared size) and that size; errors name <paramref name="path"/> and the entry.
    /// </summary>
    private static void ForEachEntry(Stream file, string path, ReadLimits limits, (long Bytes, string Source) maxTotal,
        Action<string, DeclaredLengthStream, long> read, Func<string, bool> seen)
    {
        ZipArchive zip;
        IReadOnlyCollection<ZipArchiveEntry> entries;
        try
        {
            zip = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
            entries = zip.Entries; // the central directory is read here, and may be corrupt too
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException(
                $"{path}: not a valid .npz (zip) archive: {InputText.Sanitize(e.Message, 160)}", e);
        }
        using (zip)
        {
            CheckDeclaredSizes(path, file.Length, entries, limits, maxTotal);
            foreach (ZipArchiveEntry entry in entries)
            {
                string name = entry.FullName.EndsWith(".npy", StringComparison.Ordinal)
                    ? entry.FullName[..^4] : entry.FullName;
                string where = $"{path}, entry '{InputText.Sanitize(entry.FullName)}'";
                if (seen(name))
                    throw new InvalidDataException($"{where}: a second array named '{InputText.Sanitize(name)}'.");
                try
                {
                    using var s = new DeclaredLengthStream(entry.Open(), entry.Length);
                    read(name, s, entry.Length);
                }
                catch (InvalidDataException e) { throw new InvalidDataException($"{where}: {e.Message}", e); }
            }
        }
    }

    /// <summary>
    /// The zip-bomb checks of <see cref="ReadNpz(string, ReadLimits)"/>: declared sizes only, nothing inflated yet.
    /// </summary>
    private static void CheckDeclaredSizes(string path, long fileLength,
        IReadOnlyCollection<ZipArchiveEntry> entries, ReadLimits limits, (long Bytes, string Source) maxTotal)
    {
        // An array of MaxArrayBytes plus the largest header and its preamble (magic, version, length field).
        Int128 maxEntry = (Int128)limits.MaxArrayBytes + limits.MaxNpyHeaderBytes + 12;
        Int128 total = 0; // a sum of entry sizes cannot overflow it (at most 2^16 .. 2^64 entries of < 2^63)
        foreach (ZipArchiveEntry entry in entries)
        {
            string where = $"{path}, entry '{InputText.Sanitize(entry.FullName)}'";
            if (entry.Length > maxEntry)
                throw new InvalidDataException($"{where}: declares {entry.Length} bytes uncompressed; the limit is " +
                    $"{maxEntry} (ReadLimits.MaxArrayBytes = {limits.MaxArrayBytes} plus the largest header).");
            if (entry.CompressedLength > fileLength)
                throw new InvalidDataException($"{where}: declares {entry.CompressedLength} compressed bytes, but " +
                    $"the archive holds {fileLength}.");
            total += entry.Length;
        }
        if (total > maxTotal.Bytes)
            throw new InvalidDataException($"{path}: the entries declare {total} bytes uncompressed in all; the " +
                $"limit is {maxTotal.Bytes} ({maxTotal.Source}).");
        // The ratio is taken over the archive, not per entry: entries may share compressed data (overlapping-entry
        // bombs), which the archive's length still bounds.
        if (total > limits.CompressionRatioExemptBytes && (double)total > fileLength * limits.MaxCompressionRatio)
            throw new InvalidDataException($"{path}: the entries declare {total} bytes uncompressed from a " +
                $"{fileLength}-byte archive, a ratio of {(double)total / Math.Max(fileLength, 1):0.#}; the limit is " +
                $"{limits.MaxCompressionRatio} (ReadLimits.MaxCompressionRatio) above " +
                $"{limits.CompressionRatioExemptBytes} bytes (ReadLimits.CompressionRatioExemptBytes).");
    }

    /// <summary>Writes arrays into a .npz archive (deflated, like <c>np.savez_compressed</c>).</summary>
    public static void WriteNpz(string path,
        IEnumerable<KeyValuePair<string, NpyArray>> arrays, bool compress = true) =>
        AtomicFile.Write(path, stream => WriteNpz(stream, arrays, compress));

    /// <summary>Writes arrays as a .npz archive into <paramref name="stream"/>, which is left open.</summary>
    public static void WriteNpz(Stream stream, IEnumerable<KeyValuePair<string, NpyArray>> arrays, bool compress = true)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (name, array) in arrays)
        {
            ZipArchiveEntry entry =
                zip.CreateEntry(name + ".npy", compress ? CompressionLevel.Fastest : CompressionLevel.NoCompression);
            using Stream s = entry.Open();
            Write(s, array);
        }
    }

    /// <summary>Writes every key of a batch (float32) into a .npz archive.</summary>
    public static void WriteNpz(string path, SimulationBatch batch, bool compress = true)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var arrays = new List<KeyValuePair<string, NpyArray>>();
        foreach (string key in batch.Keys)
            arrays.Add(new(key, NpyArray.FromFloats(batch.Get(key), batch.Shape(key).ToArray())));
        WriteNpz(path, arrays, compress);
    }

    /// <summary>
    /// Reads a .npz archive into a batch (every array converted to float32; all must share the first axis), within
    /// <paramref name="limits"/> as <see cref="ReadNpz(string, ReadLimits)"/> does.
    /// </summary>
    public static SimulationBatch ReadBatch(string path, ReadLimits? limits = null)
    {
        limits ??= ReadLimits.Default;
        using FileStream file = File.OpenRead(path);
        return ReadBatch(file, path, limits);
    }

    /// <summary>
    /// <see cref="ReadBatch(string, ReadLimits)"/> of an npz archive held in a seekable <paramref name="archive"/>
    /// (left open), named <paramref name="source"/> in errors.
    /// </summary>
    public static SimulationBatch ReadBatch(Stream archive, string source, ReadLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(archive);
        limits ??= ReadLimits.Default;
        string path = source;
        Dictionary<string, NpyArray> arrays =
            ReadNpz(archive, source, limits, (limits.MaxTotalBytes, "ReadLimits.MaxTotalBytes"));
        int rows = -1;
        foreach (var (name, a) in arrays)
        {
            if (a.Shape.Length == 0)
                throw new InvalidDataException($"{path}: array '{name}' is a scalar; expected a batch axis first.");
            if (rows < 0) rows = a.Shape[0];
            else if (a.Shape[0] != rows)
                throw new InvalidDataException($"{path}: array '{name}' has shape {ShapeText.Format(a.Shape)}; " +
                    $"expected {rows} rows like the others.");
        }
        var batch = new SimulationBatch(Math.Max(rows, 0));
        foreach (var (name, a) in arrays)
            batch.SetCore(name, a.TakeFloat32(), a.Shape, a.DType is NpyDType.Int32 or NpyDType.Int64 or NpyDType.Bool);
        return batch;
    }

    /// <summary>The dtype and shape of a header dict; the caller checks the dimensions against the limits.</summary>
    private static (NpyDType, long[]) ParseHeader(string text)
    {
        string descr = Field(text, "descr");
        string fortran = Field(text, "fortran_order");
        string shapeText = Field(text, "shape");
        if (fortran != "False")
            throw new InvalidDataException(
                $"npy: fortran_order is {InputText.Sanitize(fortran)}; only C order (False) is supported.");
        NpyDType dtype = descr.Trim('\'', '"') switch
        {
            "<f4" => NpyDType.Float32,
            "<f8" => NpyDType.Float64,
            "<i4" => NpyDType.Int32,
            "<i8" => NpyDType.Int64,
            "|b1" => NpyDType.Bool,
            var other => throw new InvalidDataException($"npy: dtype {InputText.Sanitize(other)} is not " +
                "supported; expected <f4, <f8, <i4, <i8 or |b1 (little-endian)."),
        };
        string inner = shapeText.Trim().TrimStart('(').TrimEnd(')');
        var dims = new List<long>();
        foreach (string part in inner.Split(',',
            StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Dimensions beyond int32 are parsed so the limit check can name the declared size; beyond int64 the
            // shape is malformed.
            if (!long.TryParse(part.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out long d))
                throw new InvalidDataException($"npy: shape {InputText.Sanitize(shapeText)} is malformed; expected " +
                    "a tuple of non-negative integers below 2^63.");
            dims.Add(d);
        }
        return (dtype, [.. dims]);
    }

    private static string FormatShape(long[] dims) =>
        dims.Length == 1 ? $"({dims[0]},)" : "(" + string.Join(", ", dims) + ")";

    /// <summary>The value text of <c>'name': value</c> in the header dict (up to the next top-level comma).</summary>
    private static string Field(string header, string name)
    {
        int at = header.IndexOf($"'{name}'", StringComparison.Ordinal);
        if (at < 0) at = header.IndexOf($"\"{name}\"", StringComparison.Ordinal);
        if (at < 0) throw new InvalidDataException(
                $"npy: header lacks '{name}'; header is {InputText.Sanitize(header.Trim())}.");
        int colon = header.IndexOf(':', at);
        if (colon < 0)
            throw new InvalidDataException(
                $"npy: header field '{name}' has no value; header is {InputText.Sanitize(header.Trim())}.");
        int i = colon + 1, depth = 0;
        var sb = new StringBuilder();
        for (; i < header.Length; i++)
        {
            char ch = header[i];
            if (ch == '(') depth++;
            else if (ch == ')') depth--;
            else if ((ch == ',' || ch == '}') && depth == 0) break;
            sb.Append(ch);
        }
        if (depth != 0)
            throw new InvalidDataException(
                $"npy: header field '{name}' is unterminated; header is {InputText.Sanitize(header.Trim())}.");
        return sb.ToString().Trim();
    }

    private static Array Decode(NpyDType dtype, byte[] raw, int count)
    {
        // The file is little-endian; so is every platform .NET runs on that we target.
        switch (dtype)
        {
            case NpyDType.Float32: return MemoryMarshal.Cast<byte, float>(raw).ToArray();
            case NpyDType.Float64: return MemoryMarshal.Cast<byte, double>(raw).ToArray();
            case NpyDType.Int32: return MemoryMarshal.Cast<byte, int>(raw).ToArray();
            case NpyDType.Int64: return MemoryMarshal.Cast<byte, long>(raw).ToArray();
            default:
                var b = new bool[count];
                for (int i = 0; i < count; i++)
                {
                    if (raw[i] > 1)
                        throw new InvalidDataException($"npy: bool element {i} is byte {raw[i]}; expected 0 or 1.");
                    b[i] = raw[i] == 1;
                }
                return b;
        }
    }

    private static void ReadExactly(Stream s, Span<byte> buffer, string what)
    {
        int read = s.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read < buffer.Length)
            throw new InvalidDataException(
                $"npy: truncated file; expected {buffer.Length} bytes for {what}, found {read}.");
    }
}
