using Amortized.Tensors;

namespace Amortized.Inference.Tests.Fuzzing;

/// <summary>The corruptions every file format's fuzzer shares: they know bytes, not formats.</summary>
public enum ByteEdit { Truncate, FlipBits, Overwrite, Insert, Delete }

/// <summary>Applies a <see cref="ByteEdit"/>; each format's fuzzer adds the corruptions that know its layout.</summary>
internal static class ByteEdits
{
    /// <summary>
    /// Whether <paramref name="kind"/> (a fuzzer's own corruption enum) names a <see cref="ByteEdit"/>, by name.
    /// </summary>
    public static bool TryParse<TKind>(TKind kind, out ByteEdit edit) where TKind : struct, Enum =>
        Enum.TryParse(kind.ToString(), out edit);

    /// <summary>
    /// The file after <paramref name="edit"/>: position and length are reduced modulo the file; inserted bytes come
    /// from <paramref name="alphabet"/> (bytes the format's parser reacts to), everything else from a seeded stream.
    /// </summary>
    public static byte[] Apply(byte[] file, ByteEdit edit, int position, int length, Rng rng,
        ReadOnlySpan<byte> alphabet)
    {
        int at = file.Length == 0 ? 0 : position % file.Length;
        byte[] result = (byte[])file.Clone();
        switch (edit)
        {
            case ByteEdit.Truncate:
                return file[..at];
            case ByteEdit.FlipBits:
                for (int i = 0; i < 1 + length % 4 && file.Length > 0; i++)
                    result[(int)(rng.NextUInt32() % file.Length)] ^= (byte)(1 << rng.Integer(0, 8));
                return result;
            case ByteEdit.Overwrite:
                for (int i = at; i < Math.Min(file.Length, at + length); i++) result[i] = (byte)rng.NextUInt32();
                return result;
            case ByteEdit.Insert:
                var inserted = new byte[length];
                for (int i = 0; i < inserted.Length; i++) inserted[i] = alphabet[rng.Integer(0, alphabet.Length)];
                return [.. file[..at], .. inserted, .. file[at..]];
            default:
                return [.. file[..at], .. file[Math.Min(file.Length, at + length)..]];
        }
    }
}
