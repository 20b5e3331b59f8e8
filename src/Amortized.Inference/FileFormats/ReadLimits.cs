using System.Numerics;

namespace Amortized.Inference.FileFormats;

/// <summary>
/// Resource limits of the data readers (<see cref="Npy"/> .npy and .npz, <see cref="Csv"/>, the manifest of a
/// <see cref="ShardedDataset"/>). Every size a file declares (a header length, an array's shape and byte count, an
/// npz entry's uncompressed size, a CSV line, a JSON document) is checked against these limits, and against the
/// file's own length where that is known, before anything is allocated for it; so a small hostile file gives an
/// <see cref="InvalidDataException"/> naming the file, the declared value and the limit instead of exhausting
/// memory. <see cref="Default"/> suits a workstation; a host that reads untrusted files can tighten them, e.g.
/// <c>ReadLimits.Default with { MaxArrayBytes = 64 &lt;&lt; 20 }</c>. Every limit must be positive.
/// </summary>
public sealed record ReadLimits
{
    /// <summary>The defaults below.</summary>
    public static ReadLimits Default { get; } = new();

    /// <summary>Largest array, in bytes of its stored elements (default 2 GiB).</summary>
    public long MaxArrayBytes { get; init => field = Positive(value); } = 2L << 30;

    /// <summary>
    /// Largest sum of the arrays one read returns: all entries of an .npz archive, one shard of a dataset
    /// (default 4 GiB).
    /// </summary>
    public long MaxTotalBytes { get; init => field = Positive(value); } = 4L << 30;

    /// <summary>Most dimensions of an array (default 64, NumPy 2's own limit).</summary>
    public int MaxDimensions { get; init => field = Positive(value); } = 64;

    /// <summary>
    /// Largest .npy header (the dictionary after the length field; default 64 KiB; NumPy writes under 200 bytes for
    /// ordinary shapes).
    /// </summary>
    public int MaxNpyHeaderBytes { get; init => field = Positive(value); } = 1 << 16;

    /// <summary>
    /// Largest ratio of an .npz archive's declared uncompressed size (all entries together) to the archive's
    /// length, once that size exceeds <see cref="CompressionRatioExemptBytes"/> (default 32; real float data
    /// deflates by less than 2, a zip bomb by about 1000).
    /// </summary>
    public double MaxCompressionRatio
    {
        get;
        init => field = double.IsFinite(value) && value > 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxCompressionRatio), value, "must be positive and finite.");
    } = 32;

    /// <summary>
    /// Uncompressed size up to which an .npz archive may have any compression ratio (default 64 MiB), so that small
    /// archives of constant data still read.
    /// </summary>
    public long CompressionRatioExemptBytes { get; init => field = Positive(value); } = 64L << 20;

    /// <summary>
    /// Longest CSV record in characters: one line, or several when a quoted field holds line breaks
    /// (default 4 Mi characters).
    /// </summary>
    public int MaxCsvLineChars { get; init => field = Positive(value); } = 4 << 20;

    /// <summary>Longest CSV field (a column name or a value) in characters (default 64 Ki).</summary>
    public int MaxCsvFieldChars { get; init => field = Positive(value); } = 1 << 16;

    /// <summary>Most fields in a CSV record (default 131,072).</summary>
    public int MaxCsvColumns { get; init => field = Positive(value); } = 1 << 17;

    /// <summary>Largest JSON file, such as a dataset manifest, in bytes (default 16 MiB).</summary>
    public long MaxJsonBytes { get; init => field = Positive(value); } = 16L << 20;

    /// <summary>Deepest nesting of a JSON document (default 32; a manifest needs 4).</summary>
    public int MaxJsonDepth { get; init => field = Positive(value); } = 32;

    private static long Positive(long value, [System.Runtime.CompilerServices.CallerMemberName] string name = "") =>
        value > 0 ? value : throw new ArgumentOutOfRangeException(name, value, "must be positive.");

    private static int Positive(int value, [System.Runtime.CompilerServices.CallerMemberName] string name = "") =>
        value > 0 ? value : throw new ArgumentOutOfRangeException(name, value, "must be positive.");

    /// <summary>
    /// The byte count of an array of <paramref name="shape"/> with elements of <paramref name="itemSize"/> bytes,
    /// after checking the number of dimensions, the element count (at most <see cref="Array.MaxLength"/>, a .NET
    /// array's) and the byte count (at most <see cref="MaxArrayBytes"/>) without overflowing: the product is
    /// bounded at every step, and the exact figure for the message is computed apart.
    /// </summary>
    /// <param name="shape">The declared dimensions.</param>
    /// <param name="itemSize">Bytes per element.</param>
    /// <param name="subject">What holds the shape, for the message, e.g. "npy: shape (3, 4) of &lt;f4".</param>
    internal long CheckArrayBytes(ReadOnlySpan<long> shape, int itemSize, string subject)
    {
        if (shape.Length > MaxDimensions)
            throw new InvalidDataException(
                $"{subject} has {shape.Length} dimensions; the limit is {MaxDimensions} (ReadLimits.MaxDimensions).");
        foreach (long d in shape)
            if (d < 0) throw new InvalidDataException($"{subject} has a negative dimension {d}.");
        if (shape.Contains(0)) return 0;
        bool arrayBound = Array.MaxLength <= MaxArrayBytes / itemSize; // which limit binds
        long maxElements = arrayBound ? Array.MaxLength : MaxArrayBytes / itemSize;
        long count = 1;
        foreach (long d in shape)
        {
            if (count > maxElements / d)
            {
                BigInteger exact = 1;
                foreach (long e in shape) exact *= e;
                throw new InvalidDataException(arrayBound
                    ? $"{subject} declares {exact} elements; a .NET array holds at most {Array.MaxLength}."
                    : $"{subject} declares {exact} elements ({exact * itemSize} bytes); the limit is " +
                      $"{MaxArrayBytes} bytes (ReadLimits.MaxArrayBytes).");
            }
            count *= d;
        }
        return count * itemSize;
    }
}
