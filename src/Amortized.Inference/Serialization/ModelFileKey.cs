using System.Security.Cryptography;

namespace Amortized.Inference.Serialization;

/// <summary>
/// A secret key that signs model files with HMAC-SHA-256. The checksum every file carries is plain SHA-256: it
/// catches accidents (a flipped bit, a truncated copy), but anyone who edits a file can recompute it. A file saved
/// with a key also carries <c>"hmac": "hmac-sha256:&lt;hex&gt;"</c> over the same contents as the checksum, which only
/// a holder of the key can produce; loading with the key refuses a file whose HMAC is missing or does not match.
/// This is the way to trust a model that comes from elsewhere. Loading without a key ignores the HMAC.
/// </summary>
/// <remarks>The key is the exact bytes given (no trimming or text decoding): create one with, for example,
/// <c>head -c 32 /dev/urandom &gt; model.key</c> and keep it out of the run folder.</remarks>
public sealed class ModelFileKey
{
    /// <summary>Keys shorter than this (128 bits) are refused as too weak.</summary>
    public const int MinBytes = 16;

    /// <summary>Keys longer than this are refused (a key file that large is most likely the wrong file).</summary>
    public const int MaxBytes = 4096;

    private readonly byte[] _key;

    /// <summary>A key from its bytes (copied).</summary>
    /// <exception cref="ArgumentException">Fewer than <see cref="MinBytes"/> or more than <see cref="MaxBytes"/>
    /// bytes.</exception>
    public ModelFileKey(ReadOnlySpan<byte> key)
    {
        if (key.Length < MinBytes || key.Length > MaxBytes)
            throw new ArgumentException($"ModelFileKey: the key is {key.Length} bytes; allowed: {MinBytes} to " +
                $"{MaxBytes} bytes.", nameof(key));
        _key = key.ToArray();
    }

    /// <summary>The key stored in a file: all its bytes.</summary>
    /// <exception cref="ArgumentException">The file is shorter than <see cref="MinBytes"/> or longer than
    /// <see cref="MaxBytes"/> bytes (checked before reading it).</exception>
    public static ModelFileKey FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = stream.Length;
        if (length < MinBytes || length > MaxBytes)
            throw new ArgumentException($"Key file '{path}': it is {length} bytes long; a key is {MinBytes} to " +
                $"{MaxBytes} bytes.", nameof(path));
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        return new ModelFileKey(bytes);
    }

    internal IncrementalHash CreateHmac() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
}
