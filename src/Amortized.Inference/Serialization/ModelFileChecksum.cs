using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Amortized.Inference.Serialization;

/// <summary>
/// SHA-256 over everything a model file means, stored in the metadata as <c>"checksum": "sha256:&lt;hex&gt;"</c>,
/// so a flipped bit in a weight, a manifest number or a shape is an error on loading, not silently different
/// behaviour. It covers, in this order: the four metadata fields (format, format_version, library_version,
/// manifest), the tensor table in ordinal name order (name, dtype code, shape, data offsets) and the data section's
/// bytes. Strings are hashed as a 4-byte little-endian length plus UTF-8, integers as 8 bytes little-endian, so
/// the encoding is unambiguous and independent of the JSON's spelling (whitespace, escapes, key order).
/// </summary>
/// <remarks>safetensors ignores unknown metadata fields, so Python still reads the file. With a key, an HMAC-SHA-256
/// over exactly the same bytes is computed in the same pass (see <see cref="ModelFileKey"/>).</remarks>
internal sealed class ModelFileChecksum : IDisposable
{
    public const string Prefix = "sha256:";

    public const string HmacPrefix = "hmac-sha256:";

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash? _hmac;

    public ModelFileChecksum(string formatVersion, string libraryVersion, string manifestJson,
        ModelFileKey? key = null)
    {
        _hmac = key?.CreateHmac();
        AddString(ModelFile.FormatName);
        AddString(formatVersion);
        AddString(libraryVersion);
        AddString(manifestJson);
    }

    /// <summary>One row of the tensor table; call in ordinal name order, before any data.</summary>
    public void AddTensor(string name, TensorDType dtype, int[] shape, long begin, long end)
    {
        AddString(name);
        AddString(TensorEntry.Code(dtype));
        AddInt64(shape.Length);
        foreach (int d in shape) AddInt64(d);
        AddInt64(begin);
        AddInt64(end);
    }

    /// <summary>Data-section bytes, in file order.</summary>
    public void AddData(ReadOnlySpan<byte> bytes) => Append(bytes);

    /// <summary>The checksum text, e.g. <c>sha256:9f86d0...</c>.</summary>
    public string Finish() => Prefix + Convert.ToHexStringLower(_hash.GetHashAndReset());

    /// <summary>The HMAC's 32 bytes (only when constructed with a key).</summary>
    public byte[] FinishHmac() => (_hmac ?? throw new InvalidOperationException("No key was given.")).GetHashAndReset();

    public void Dispose()
    {
        _hash.Dispose();
        _hmac?.Dispose();
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        _hash.AppendData(bytes);
        _hmac?.AppendData(bytes);
    }

    private void AddString(string value)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        AddInt32(utf8.Length);
        Append(utf8);
    }

    private void AddInt32(int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        Append(bytes);
    }

    private void AddInt64(long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        Append(bytes);
    }
}
