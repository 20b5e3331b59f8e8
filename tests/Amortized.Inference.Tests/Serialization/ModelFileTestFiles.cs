using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Amortized.Inference.Serialization;
using Xunit;

namespace Amortized.Inference.Tests.Serialization;

/// <summary>
/// Shared pieces for the model-file tests: a small sample with every dtype, a scalar and an empty tensor; a way to
/// take a valid file apart and rewrite its header JSON (optionally re-sealing the checksum, so a test reaches the
/// check it aims at); a non-seekable stream; and a bit-exact comparison.
/// </summary>
internal static class ModelFileTestFiles
{
    public const string Manifest = """{"networks":{"inference":"coupling_flow","depth":6},"names":["mu","sigma"]}""";

    /// <summary>Tensors in ordinal name order: b, empty, ids, stats, step, w ("w" is last in the data).</summary>
    public static Dictionary<string, TensorEntry> Sample() => new()
    {
        ["w"] = TensorEntry.Float32([0.5f, -0f, float.Epsilon, -1e-40f, float.MaxValue, float.MinValue], 2, 3),
        ["b"] = TensorEntry.Float32([1f, 2f, 3f], 3),
        ["stats"] = TensorEntry.Float64([double.Epsilon, -0d], 2),
        ["ids"] = TensorEntry.Int32([int.MinValue, -1, 0, int.MaxValue], 4),
        ["step"] = TensorEntry.Int64([long.MinValue]),
        ["empty"] = TensorEntry.Float32([], 0, 2),
    };

    public static byte[] SampleBytes(IReadOnlyDictionary<string, TensorEntry>? tensors = null,
        string manifest = Manifest, bool rejectNonFinite = true)
    {
        var stream = new MemoryStream();
        ModelFile.Write(stream, manifest, tensors ?? Sample(), rejectNonFinite);
        return stream.ToArray();
    }

    public static (JsonObject Header, byte[] Data) Split(byte[] file)
    {
        int n = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file));
        var header = (JsonObject)JsonNode.Parse(file.AsSpan(8, n))!;
        return (header, file[(8 + n)..]);
    }

    /// <summary>The file with the header JSON text in place of the original (length field set to match).</summary>
    public static byte[] Assemble(string headerJson, byte[] data, ulong? lengthField = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        return Assemble(header, data, lengthField);
    }

    public static byte[] Assemble(byte[] header, byte[] data, ulong? lengthField = null)
    {
        var file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, lengthField ?? (ulong)header.Length);
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + header.Length);
        return file;
    }

    /// <summary>Edits a valid file's header; <paramref name="reseal"/> recomputes the checksum to match.</summary>
    public static byte[] Rewrite(byte[] file, Action<JsonObject> edit, bool reseal = false)
    {
        (JsonObject header, byte[] data) = Split(file);
        edit(header);
        if (reseal) Reseal(header, data);
        return Assemble(header.ToJsonString(), data);
    }

    /// <summary>
    /// Edits the manifest inside a valid file's metadata and recomputes the checksum, as anyone can: the edited
    /// file passes the integrity check, so a test reaches what the loader does with the edited content.
    /// </summary>
    public static byte[] ResealManifest(byte[] file, Action<JsonObject> editManifest) => Rewrite(file, header =>
    {
        var meta = (JsonObject)header[ModelFileHeader.MetadataKey]!;
        var manifest = (JsonObject)JsonNode.Parse((string)meta["manifest"]!)!;
        editManifest(manifest);
        meta["manifest"] = manifest.ToJsonString();
    }, reseal: true);

    private static void Reseal(JsonObject header, byte[] data)
    {
        var meta = (JsonObject)header[ModelFileHeader.MetadataKey]!;
        using var checksum = new ModelFileChecksum((string)meta["format_version"]!, (string)meta["library_version"]!,
            (string)meta["manifest"]!);
        foreach ((string name, JsonNode? node) in header.Where(p => p.Key != ModelFileHeader.MetadataKey)
            .OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Assert.True(TensorEntry.TryParseCode((string)node!["dtype"]!, out TensorDType dtype));
            int[] shape = [.. node["shape"]!.AsArray().Select(d => (int)d!)];
            JsonArray offsets = node["data_offsets"]!.AsArray();
            checksum.AddTensor(name, dtype, shape, (long)offsets[0]!, (long)offsets[1]!);
        }
        checksum.AddData(data);
        meta["checksum"] = checksum.Finish();
    }

    public static void AssertSameContents(IReadOnlyDictionary<string, TensorEntry> expected, string manifest,
        ModelFileContents actual)
    {
        Assert.Equal(ModelFile.CurrentFormatVersion, actual.FormatVersion);
        Assert.Equal(ModelFile.LibraryVersion, actual.LibraryVersion);
        Assert.Equal(manifest, actual.ManifestJson);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Tensors.Keys);
        foreach ((string name, TensorEntry e) in expected)
        {
            TensorEntry a = actual.Tensors[name];
            Assert.Equal(e.DType, a.DType);
            Assert.Equal(e.Shape, a.Shape);
            Assert.Equal(e.Values.GetType(), a.Values.GetType());
            Assert.True(Bytes(e.Values).SequenceEqual(Bytes(a.Values)), $"tensor '{name}' differs bit-wise");
        }
    }

    public static ReadOnlySpan<byte> Bytes(Array values) => values switch
    {
        float[] f => System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.AsSpan()),
        double[] d => System.Runtime.InteropServices.MemoryMarshal.AsBytes(d.AsSpan()),
        int[] n => System.Runtime.InteropServices.MemoryMarshal.AsBytes(n.AsSpan()),
        long[] l => System.Runtime.InteropServices.MemoryMarshal.AsBytes(l.AsSpan()),
        _ => throw new ArgumentException(values.GetType().Name),
    };
}

/// <summary>A read-only stream that cannot seek or report its length (a pipe, a network or a gzip stream).</summary>
internal sealed class NonSeekableStream(byte[] bytes) : Stream
{
    private readonly MemoryStream _inner = new(bytes);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    // At most 4 KiB per call, so readers must cope with short reads.
    public override int Read(byte[] buffer, int offset, int count) =>
        _inner.Read(buffer, offset, Math.Min(count, 4096));
    public override int Read(Span<byte> buffer) => _inner.Read(buffer[..Math.Min(buffer.Length, 4096)]);
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
