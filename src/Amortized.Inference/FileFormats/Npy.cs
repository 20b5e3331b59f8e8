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

    /// <summary>Reads one array from a .npy file.</summary>
    public static NpyArray Read(string path)
    {
        using FileStream f = File.OpenRead(path);
        try { return Read(f); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
    }

    /// <summary>Reads one array from a stream positioned at the magic string.</summary>
    public static NpyArray Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(stream, prefix, "the 8-byte magic and version");
        if (!prefix[..6].SequenceEqual(s_magic))
            throw new InvalidDataException(
                $"npy: expected the magic string \\x93NUMPY; found bytes {Convert.ToHexString(prefix[..6])}.");
        int major = prefix[6];
        int headerLength;
        if (major == 1)
        {
            Span<byte> len = stackalloc byte[2];
            ReadExactly(stream, len, "the header length");
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(len);
        }
        else if (major is 2 or 3)
        {
            Span<byte> len = stackalloc byte[4];
            ReadExactly(stream, len, "the header length");
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(len));
        }
        else throw new InvalidDataException(
            $"npy: format version {major}.{prefix[7]} is not supported; expected 1.0, 2.0 or 3.0.");

        var header = new byte[headerLength];
        ReadExactly(stream, header, $"the {headerLength}-byte header");
        string text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(header);
        (NpyDType dtype, int[] shape) = ParseHeader(text);

        long count = 1;
        foreach (int d in shape) count *= d;
        long bytes = count * NpyArray.ItemSize(dtype);
        var raw = new byte[checked((int)bytes)];
        int read = stream.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
        if (read < raw.Length)
            throw new InvalidDataException($"npy: truncated data; shape {ShapeText.Format(shape)} of " +
                $"{NpyArray.Descr(dtype)} needs {raw.Length} bytes, found {read}.");
        return new NpyArray(dtype, shape, Decode(dtype, raw, (int)count));
    }

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
        stream.Write(Encode(array));
    }

    /// <summary>Reads every array of a .npz archive, keyed by name (without the .npy suffix).</summary>
    public static Dictionary<string, NpyArray> ReadNpz(string path)
    {
        var result = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a valid .npz (zip) archive: {e.Message}", e);
        }
        using (zip)
        {
            foreach (ZipArchiveEntry entry in zip.Entries)
            {
                string name = entry.FullName.EndsWith(".npy", StringComparison.Ordinal)
                    ? entry.FullName[..^4] : entry.FullName;
                using Stream s = entry.Open();
                try { result[name] = Read(s); }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"{path}, entry '{entry.FullName}': {e.Message}", e);
                }
            }
        }
        return result;
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
    /// Reads a .npz archive into a batch (every array converted to float32; all must share the first axis).
    /// </summary>
    public static SimulationBatch ReadBatch(string path)
    {
        Dictionary<string, NpyArray> arrays = ReadNpz(path);
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
            batch.SetCore(name, a.ToFloat32(), a.Shape, a.DType is NpyDType.Int32 or NpyDType.Int64 or NpyDType.Bool);
        return batch;
    }

    private static (NpyDType, int[]) ParseHeader(string text)
    {
        string descr = Field(text, "descr");
        string fortran = Field(text, "fortran_order");
        string shapeText = Field(text, "shape");
        if (fortran != "False")
            throw new InvalidDataException($"npy: fortran_order is {fortran}; only C order (False) is supported.");
        NpyDType dtype = descr.Trim('\'', '"') switch
        {
            "<f4" => NpyDType.Float32,
            "<f8" => NpyDType.Float64,
            "<i4" => NpyDType.Int32,
            "<i8" => NpyDType.Int64,
            "|b1" => NpyDType.Bool,
            var other => throw new InvalidDataException(
                $"npy: dtype {other} is not supported; expected <f4, <f8, <i4, <i8 or |b1 (little-endian)."),
        };
        string inner = shapeText.Trim().TrimStart('(').TrimEnd(')');
        var dims = new List<int>();
        foreach (string part in inner.Split(',',
            StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part.TrimEnd('L'), NumberStyles.None, CultureInfo.InvariantCulture, out int d))
                throw new InvalidDataException(
                    $"npy: shape {shapeText} is malformed; expected a tuple of non-negative integers.");
            dims.Add(d);
        }
        return (dtype, [.. dims]);
    }

    /// <summary>The value text of <c>'name': value</c> in the header dict (up to the next top-level comma).</summary>
    private static string Field(string header, string name)
    {
        int at = header.IndexOf($"'{name}'", StringComparison.Ordinal);
        if (at < 0) at = header.IndexOf($"\"{name}\"", StringComparison.Ordinal);
        if (at < 0) throw new InvalidDataException($"npy: header lacks '{name}'; header is {header.Trim()}.");
        int colon = header.IndexOf(':', at);
        if (colon < 0)
            throw new InvalidDataException($"npy: header field '{name}' has no value; header is {header.Trim()}.");
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
            throw new InvalidDataException($"npy: header field '{name}' is unterminated; header is {header.Trim()}.");
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

    private static byte[] Encode(NpyArray a) => a.Data switch
    {
        float[] f => MemoryMarshal.AsBytes(f.AsSpan()).ToArray(),
        double[] d => MemoryMarshal.AsBytes(d.AsSpan()).ToArray(),
        int[] n => MemoryMarshal.AsBytes(n.AsSpan()).ToArray(),
        long[] l => MemoryMarshal.AsBytes(l.AsSpan()).ToArray(),
        bool[] b => Array.ConvertAll(b, v => v ? (byte)1 : (byte)0),
        _ => throw new ArgumentException($"npy: cannot write {a.Data.GetType().Name}."),
    };

    private static void ReadExactly(Stream s, Span<byte> buffer, string what)
    {
        int read = s.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read < buffer.Length)
            throw new InvalidDataException(
                $"npy: truncated file; expected {buffer.Length} bytes for {what}, found {read}.");
    }
}
