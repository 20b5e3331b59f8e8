using System.Buffers.Binary;
using Amortized.Inference.FileFormats;

namespace Amortized.Parquet;

/// <summary>
/// Checks a Parquet file's frame and footer before Parquet.Net parses it. Parquet.Net sizes its lists from the
/// element counts the footer's Thrift encoding declares (<c>new List&lt;T&gt;(count)</c>), so a footer of a few bytes
/// declaring 2^31 schema elements would allocate gigabytes; this walk bounds every declared count and length by the
/// footer bytes that remain, so what Parquet.Net then allocates is proportional to the real footer, which is itself
/// bounded by the file's length and <see cref="ReadLimits.MaxArrayBytes"/>.
/// </summary>
internal static class ParquetFooter
{
    private static ReadOnlySpan<byte> Magic => "PAR1"u8;

    /// <summary>Deepest Thrift nesting accepted (a Parquet footer nests about 6 deep).</summary>
    private const int MaxDepth = 32;

    /// <summary>
    /// Checks the magic at both ends, the footer length and the footer's Thrift structure; returns the file length.
    /// Throws <see cref="InvalidDataException"/> naming <paramref name="path"/>.
    /// </summary>
    public static long Check(string path, Stream stream, ReadLimits limits)
    {
        long length = stream.Length;
        if (length < 12)
            throw ParquetShardFormat.Fail($"Parquet file '{path}' has {length} bytes; a Parquet file has at least 12 " +
                "(magic PAR1, footer length, magic PAR1).");
        Span<byte> head = stackalloc byte[4];
        Span<byte> tail = stackalloc byte[8];
        stream.Position = 0;
        stream.ReadExactly(head);
        stream.Position = length - 8;
        stream.ReadExactly(tail);
        if (!head.SequenceEqual(Magic) || !tail[4..].SequenceEqual(Magic))
            throw ParquetShardFormat.Fail($"'{path}' is not a Parquet file: it does not start and end with the " +
                "magic bytes PAR1 (an encrypted footer, PARE, is not supported either).");
        long footer = BinaryPrimitives.ReadUInt32LittleEndian(tail);
        long room = length - 12;
        if (footer == 0 || footer > room)
            throw ParquetShardFormat.Fail($"Parquet file '{path}' declares a footer of {footer} bytes; the file has " +
                $"room for {room} (it is truncated or corrupt).");
        if (footer > limits.MaxArrayBytes)
            throw ParquetShardFormat.Fail($"Parquet file '{path}' declares a footer of {footer} bytes; the limit is " +
                $"{limits.MaxArrayBytes} bytes (ReadLimits.MaxArrayBytes).");
        var bytes = new byte[footer];
        stream.Position = length - 8 - footer;
        stream.ReadExactly(bytes);
        stream.Position = 0;
        try
        {
            var walker = new ThriftWalker(bytes);
            walker.SkipStruct(0);
        }
        catch (InvalidDataException e)
        {
            throw ParquetShardFormat.Fail($"Parquet file '{path}' has a corrupt footer: {e.Message}", e);
        }
        return length;
    }

    /// <summary>
    /// Checks the page headers of one column chunk (bytes <paramref name="start"/> to start + compressedSize of the
    /// file) before Parquet.Net reads them: it allocates each page's declared compressed and uncompressed size and
    /// decodes its declared value count. Each page must lie in the chunk, hold at most the chunk's
    /// <paramref name="values"/>, and decompress to at most <paramref name="maxUncompressed"/> bytes (what that
    /// many values and their levels can take).
    /// </summary>
    public static void CheckPages(string path, Stream stream, int rowGroup, string column, long start,
        long compressedSize, long values, long maxUncompressed)
    {
        long end = start + compressedSize, position = start;
        var buffer = new byte[4096];
        while (position < end)
        {
            int available = (int)Math.Min(buffer.Length, end - position);
            stream.Position = position;
            stream.ReadExactly(buffer, 0, available);
            (long Uncompressed, long Compressed, long Values) page;
            int headerLength;
            try
            {
                var walker = new ThriftWalker(buffer.AsSpan(0, available));
                page = walker.PageHeader();
                headerLength = walker.Position;
            }
            catch (InvalidDataException) when (available == buffer.Length && buffer.Length < MaxPageHeaderBytes)
            {
                buffer = new byte[MaxPageHeaderBytes]; // a page header with long statistics: read more of it
                continue;
            }
            catch (InvalidDataException e)
            {
                throw ParquetShardFormat.Fail($"Parquet file '{path}': row group {rowGroup} column '{column}' has a " +
                    $"corrupt page header at byte {position}: {e.Message}", e);
            }
            long room = end - position - headerLength;
            if (page.Compressed < 0 || page.Compressed > room || page.Uncompressed < 0
                || page.Uncompressed > maxUncompressed || page.Values > values)
                throw ParquetShardFormat.Fail($"Parquet file '{path}': row group {rowGroup} column '{column}' has a " +
                    $"page at byte {position} declaring {page.Compressed} bytes ({room} remain in the column chunk), " +
                    $"{page.Uncompressed} bytes uncompressed (at most {maxUncompressed} for the chunk's {values} " +
                    $"values) and {page.Values} values (the chunk has {values}).");
            position += headerLength + page.Compressed;
        }
    }

    /// <summary>Largest page header read (numeric columns' headers take tens of bytes).</summary>
    private const int MaxPageHeaderBytes = 1 << 16;

    /// <summary>
    /// Walks Thrift compact-protocol data without building anything, checking that every declared length or element
    /// count fits in the bytes that remain (every element takes at least one byte).
    /// </summary>
    internal ref struct ThriftWalker(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;

        /// <summary>Bytes consumed so far.</summary>
        public readonly int Position => _pos;

        /// <summary>
        /// Reads a Thrift PageHeader: uncompressed_page_size (field 2), compressed_page_size (3) and num_values of
        /// its data, dictionary or data v2 header (fields 5, 7, 8; each its field 1); -1 for what is absent.
        /// </summary>
        public (long Uncompressed, long Compressed, long Values) PageHeader()
        {
            long uncompressed = -1, compressed = -1, values = -1;
            int last = 0;
            while (true)
            {
                byte header = ReadByte();
                if (header == 0) return (uncompressed, compressed, values);
                int type = header & 0x0F, delta = header >> 4;
                int id = delta != 0 ? last + delta : (int)ZigZag(ReadVarint());
                last = id;
                if (id is 2 or 3 && type == 5)
                {
                    long v = ZigZag(ReadVarint());
                    if (id == 2) uncompressed = v;
                    else compressed = v;
                }
                else if (id is 5 or 7 or 8 && type == 12) values = FirstI32Field();
                else SkipValue(type, 1);
            }
        }

        /// <summary>Field 1 (i32) of the struct that starts here (the struct is consumed); -1 when absent.</summary>
        private long FirstI32Field()
        {
            long value = -1;
            int last = 0;
            while (true)
            {
                byte header = ReadByte();
                if (header == 0) return value;
                int type = header & 0x0F, delta = header >> 4;
                int id = delta != 0 ? last + delta : (int)ZigZag(ReadVarint());
                last = id;
                if (id == 1 && type == 5) value = ZigZag(ReadVarint());
                else SkipValue(type, 2);
            }
        }

        private static long ZigZag(long n) => (long)((ulong)n >> 1) ^ -(n & 1);

        private readonly int Remaining => _data.Length - _pos;

        public void SkipStruct(int depth)
        {
            if (depth > MaxDepth) throw new InvalidDataException($"Thrift nesting deeper than {MaxDepth}.");
            while (true)
            {
                byte header = ReadByte();
                if (header == 0) return; // stop
                int type = header & 0x0F;
                if ((header >> 4) == 0) ReadVarint(); // long form: zigzag field id follows
                SkipValue(type, depth);
            }
        }

        private void SkipValue(int type, int depth)
        {
            switch (type)
            {
                case 1: case 2: return; // bool true/false live in the field header
                case 3: ReadByte(); return; // i8
                case 4: case 5: case 6: ReadVarint(); return; // i16, i32, i64
                case 7: Skip(8); return; // double
                case 8: Skip(Count(ReadVarint(), "binary length")); return;
                case 9: case 10: // list, set
                {
                    byte h = ReadByte();
                    long count = h >> 4;
                    if (count == 15) count = ReadVarint();
                    int element = h & 0x0F;
                    count = Count(count, "list element count");
                    for (long i = 0; i < count; i++)
                        if (element is 1 or 2) ReadByte(); // a bool element is one byte
                        else SkipValue(element, depth + 1);
                    return;
                }
                case 11: // map
                {
                    long count = Count(ReadVarint(), "map entry count");
                    if (count == 0) return;
                    byte kv = ReadByte();
                    for (long i = 0; i < count; i++)
                    {
                        SkipValue(kv >> 4, depth + 1);
                        SkipValue(kv & 0x0F, depth + 1);
                    }
                    return;
                }
                case 12: SkipStruct(depth + 1); return;
                default: throw new InvalidDataException($"unknown Thrift type {type} at byte {_pos}.");
            }
        }

        private readonly long Count(long count, string what) =>
            count >= 0 && count <= Remaining ? count
                : throw new InvalidDataException(
                    $"a {what} of {count} at byte {_pos} exceeds the {Remaining} bytes that remain.");

        private byte ReadByte() => _pos < _data.Length ? _data[_pos++]
            : throw new InvalidDataException($"the footer ends inside a value ({_data.Length} bytes).");

        private void Skip(long n)
        {
            if (n > Remaining) throw new InvalidDataException($"the footer ends inside a value ({_data.Length} bytes).");
            _pos += (int)n;
        }

        private long ReadVarint()
        {
            ulong result = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                byte b = ReadByte();
                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return (long)result;
            }
            throw new InvalidDataException($"a varint longer than 10 bytes at byte {_pos}.");
        }
    }
}
