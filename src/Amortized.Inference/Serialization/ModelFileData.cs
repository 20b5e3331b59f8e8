using System.Buffers.Binary;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Amortized.Inference.Serialization;

/// <summary>
/// The data section of a model file: tensors' raw little-endian bytes, back to back. On a little-endian machine
/// (every platform .NET ships on today) values are copied as bytes straight into and out of the typed arrays; the
/// byte-swapping paths keep the format portable.
/// </summary>
internal static class ModelFileData
{
    /// <summary>Non-seekable streams are read in chunks of this size, so a header claiming gigabytes that the stream
    /// does not hold allocates at most one chunk beyond the data actually present.</summary>
    private const int ChunkBytes = 1 << 24;

    /// <summary>Reads every tensor the header describes; the stream is positioned at the start of the data.</summary>
    /// <remarks>The bytes are added to <paramref name="checksum"/> as they arrive.</remarks>
    public static SortedDictionary<string, TensorEntry> ReadTensors(Stream stream, ModelFileHeader.Parsed header,
        ModelFileChecksum checksum, string source)
    {
        if (stream.CanSeek && stream.Length - stream.Position < header.DataLength)
            throw ModelFile.Truncated(source, $"the header describes {header.DataLength} bytes of tensor data, but " +
                $"only {stream.Length - stream.Position} bytes follow it");
        var tensors = new SortedDictionary<string, TensorEntry>(StringComparer.Ordinal);
        foreach (ModelFileHeader.Slot slot in header.Slots) // sorted by offset, so this reads the stream in order
        {
            long byteCount = slot.End - slot.Begin;
            Array values;
            if (stream.CanSeek || byteCount <= ChunkBytes)
            {
                values = Allocate(slot.DType, slot.Count);
                ReadExactly(stream, AsBytes(values), slot, source);
            }
            else
            {
                List<byte[]> chunks = ReadChunks(stream, byteCount, slot, source);
                values = Allocate(slot.DType, slot.Count);
                Span<byte> destination = AsBytes(values);
                foreach (byte[] chunk in chunks)
                {
                    chunk.CopyTo(destination);
                    destination = destination[chunk.Length..];
                }
            }
            checksum.AddData(AsBytes(values));
            if (!BitConverter.IsLittleEndian) ReverseEndianness(values);
            tensors.Add(slot.Name, new TensorEntry(slot.DType, slot.Shape, values));
        }
        return tensors;
    }

    /// <summary>The values' little-endian bytes: a view of the array, or on a big-endian machine a swapped copy
    /// (never swap the caller's array in place).</summary>
    public static ReadOnlySpan<byte> LittleEndianBytes(Array values)
    {
        if (BitConverter.IsLittleEndian) return AsBytes(values);
        Array copy = (Array)values.Clone();
        ReverseEndianness(copy);
        return AsBytes(copy);
    }

    /// <summary>The first NaN or infinity in a float32 or float64 array, as (index, "NaN"/"-Infinity"/...).</summary>
    public static (int Index, string Value)? FirstNonFinite(Array values)
    {
        // TensorPrimitives.IsFiniteAll is the fast scan; it returns false for an empty span, hence the length test.
        switch (values)
        {
            case float[] f when f.Length > 0 && !TensorPrimitives.IsFiniteAll<float>(f):
                int i = Array.FindIndex(f, v => !float.IsFinite(v));
                return (i, f[i].ToString(CultureInfo.InvariantCulture));
            case double[] d when d.Length > 0 && !TensorPrimitives.IsFiniteAll<double>(d):
                int j = Array.FindIndex(d, v => !double.IsFinite(v));
                return (j, d[j].ToString(CultureInfo.InvariantCulture));
            default:
                return null;
        }
    }

    private static Array Allocate(TensorDType dtype, int count) => dtype switch
    {
        TensorDType.Float32 => new float[count],
        TensorDType.Float64 => new double[count],
        TensorDType.Int32 => new int[count],
        _ => new long[count],
    };

    private static Span<byte> AsBytes(Array values) => values switch
    {
        float[] f => MemoryMarshal.AsBytes(f.AsSpan()),
        double[] d => MemoryMarshal.AsBytes(d.AsSpan()),
        int[] n => MemoryMarshal.AsBytes(n.AsSpan()),
        long[] l => MemoryMarshal.AsBytes(l.AsSpan()),
        _ => throw new ArgumentException($"Unsupported tensor array {values.GetType().Name}.", nameof(values)),
    };

    private static void ReverseEndianness(Array values)
    {
        Span<byte> bytes = AsBytes(values);
        if (values is float[] or int[])
        {
            Span<int> words = MemoryMarshal.Cast<byte, int>(bytes);
            BinaryPrimitives.ReverseEndianness(words, words);
        }
        else
        {
            Span<long> words = MemoryMarshal.Cast<byte, long>(bytes);
            BinaryPrimitives.ReverseEndianness(words, words);
        }
    }

    private static void ReadExactly(Stream stream, Span<byte> destination, ModelFileHeader.Slot slot, string source)
    {
        int got = stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        if (got < destination.Length)
            throw ModelFile.Truncated(source, $"tensor '{slot.Name}' needs {destination.Length} bytes at data offset " +
                $"{slot.Begin}, but the stream ends after {got}");
    }

    /// <summary>
    /// For a stream whose length is unknown: reads a large tensor's bytes into chunks first, so its typed array is
    /// allocated only once the bytes have arrived (a lying header then costs one chunk, not the size it claims).
    /// </summary>
    private static List<byte[]> ReadChunks(Stream stream, long byteCount, ModelFileHeader.Slot slot, string source)
    {
        var chunks = new List<byte[]>();
        for (long left = byteCount; left > 0;)
        {
            var chunk = new byte[(int)Math.Min(left, ChunkBytes)];
            ReadExactly(stream, chunk, slot, source);
            chunks.Add(chunk);
            left -= chunk.Length;
        }
        return chunks;
    }
}
