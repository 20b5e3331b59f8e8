using System.Buffers.Binary;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Parquet.Schema;
using Xunit;

namespace Amortized.Parquet.Tests;

/// <summary>
/// Corrupt and hostile files: each is an <see cref="InvalidDataException"/> naming the file (and the column and row
/// where there is one), and a footer that declares absurd sizes is refused before anything is allocated for them.
/// </summary>
public class ParquetHostileTests
{
    internal static void Mentions(string message, string expected) =>
        Assert.True(message.Contains(expected, StringComparison.Ordinal), $"'{expected}' not in: {message}");

    private static InvalidDataException ReadFails(string path, ReadLimits? limits = null)
    {
        var e = Assert.Throws<InvalidDataException>(() => ParquetFiles.Read(path, limits));
        Mentions(e.Message, path);
        return e;
    }

    private static string Valid(TempFolder dir, int rows = 100, string name = "ok.parquet")
    {
        string path = dir.File(name);
        ParquetFiles.Write(path, ParquetRoundTripTests.Sample(rows, 5), 40);
        return path;
    }

    [Fact]
    public void Truncated_File()
    {
        using var dir = new TempFolder();
        string path = Valid(dir);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        Mentions(ReadFails(path).Message, "PAR1");
        File.WriteAllBytes(path, bytes[..7]);
        Mentions(ReadFails(path).Message, "at least 12");
    }

    [Fact]
    public void Bad_Magic()
    {
        using var dir = new TempFolder();
        string path = Valid(dir);
        byte[] bytes = File.ReadAllBytes(path);
        "PAR2"u8.CopyTo(bytes);
        File.WriteAllBytes(path, bytes);
        Mentions(ReadFails(path).Message, "not a Parquet file");
    }

    [Fact]
    public void Footer_Length_BeyondTheFile()
    {
        using var dir = new TempFolder();
        string path = Valid(dir);
        byte[] bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 8), 0xFFFF_FFF0);
        File.WriteAllBytes(path, bytes);
        Mentions(ReadFails(path).Message, "declares a footer of 4294967280 bytes");
    }

    /// <summary>
    /// A footer of a few hundred bytes declaring 2^31 - 1 schema elements: Parquet.Net would size a list for them
    /// (16 GiB); our footer walk refuses it first, and the whole read allocates next to nothing.
    /// </summary>
    [Fact]
    public void Footer_ListCount_Absurd_RefusedBeforeAllocation()
    {
        using var dir = new TempFolder();
        string path = Valid(dir);
        byte[] footer = Footer(path, out byte[] body);
        // FileMetaData: field 1 (version, i32: 0x15 and a one-byte varint), then field 2 (schema, list: 0x19) and
        // the list header (count << 4 | struct 0xC).
        Assert.Equal(0x15, footer[0]);
        Assert.Equal(0x19, footer[2]);
        Assert.Equal(0x0C, footer[3] & 0x0F);
        byte[] patched = [.. footer[..3], 0xFC, .. Varint(int.MaxValue), .. footer[4..]];
        Rewrite(path, body, patched);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        string message = ReadFails(path).Message;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Mentions(message, "2147483647");
        Assert.True(allocated < 16 << 20, $"{allocated} bytes allocated for a refused file");
    }

    /// <summary>Row counts and value counts of 2^40 in the footer: refused from the footer, nothing allocated.</summary>
    [Fact]
    public void Footer_RowCount_Absurd_RefusedBeforeAllocation()
    {
        using var dir = new TempFolder();
        string path = dir.File("rows.parquet");
        var batch = new SimulationBatch(777).Set("a", new float[777], 777);
        ParquetFiles.Write(path, batch);
        byte[] footer = Footer(path, out byte[] body);
        byte[] patched = ReplaceI64(footer, 777, 1L << 40);
        Rewrite(path, body, patched);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        string message = ReadFails(path).Message;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Mentions(message, "1099511627776");
        Assert.True(allocated < 16 << 20, $"{allocated} bytes allocated for a refused file");
    }

    /// <summary>500 million rows declared in a file of a few kilobytes: beyond the row group limits.</summary>
    [Fact]
    public void Footer_RowCount_Large_RefusedByReadLimits()
    {
        using var dir = new TempFolder();
        string path = dir.File("rows.parquet");
        ParquetFiles.Write(path, new SimulationBatch(777).Set("a", new float[777], 777));
        byte[] footer = Footer(path, out byte[] body);
        Rewrite(path, body, ReplaceI64(footer, 777, 500_000_000));
        long before = GC.GetTotalAllocatedBytes(precise: true);
        string message = ReadFails(path).Message;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Mentions(message, "ReadLimits");
        Assert.True(allocated < 16 << 20, $"{allocated} bytes allocated for a refused file");
        // A tighter host limit names itself.
        Assert.Contains("ReadLimits.MaxArrayBytes",
            ReadFails(path, ReadLimits.Default with { MaxArrayBytes = 1 << 20 }).Message);
    }

    /// <summary>
    /// A page header declaring 2^31 - 1 uncompressed bytes: Parquet.Net would allocate that much to decompress the
    /// page; the page walk refuses it from the header.
    /// </summary>
    [Fact]
    public void PageHeader_UncompressedSize_Absurd_RefusedBeforeAllocation()
    {
        using var dir = new TempFolder();
        string path = dir.File("page.parquet");
        ParquetFiles.Write(path, new SimulationBatch(100).Set("a", new float[100], 100));
        byte[] bytes = File.ReadAllBytes(path);
        // The first data page header follows the magic: type (field 1, i32 0x15, DATA_PAGE = 0), then
        // uncompressed_page_size (field 2, i32 0x15) as a zigzag varint.
        Assert.Equal([0x15, 0x00, 0x15], bytes[4..7]);
        int end = 7;
        while ((bytes[end] & 0x80) != 0) end++;
        File.WriteAllBytes(path, [.. bytes[..7], .. Varint((ulong)int.MaxValue << 1), .. bytes[(end + 1)..]]);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        string message = ReadFails(path).Message;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Mentions(message, "2147483647 bytes uncompressed");
        Mentions(message, "column 'a'");
        Assert.True(allocated < 16 << 20, $"{allocated} bytes allocated for a refused file");
    }

    [Fact]
    public void Corrupt_PageHeader_NamesFileColumnAndByte()
    {
        using var dir = new TempFolder();
        string path = Valid(dir);
        byte[] bytes = File.ReadAllBytes(path);
        bytes.AsSpan(4, 16).Fill(0xFF);
        File.WriteAllBytes(path, bytes);
        Mentions(ReadFails(path).Message, "column 'theta' has a corrupt page header at byte 4");
    }

    /// <summary>
    /// A well-formed but empty footer (no schema, no row groups): Parquet.Net's own error is rethrown naming the file.
    /// </summary>
    [Fact]
    public void EmptyFooter_ParquetNetError_IsWrappedNamingTheFile()
    {
        using var dir = new TempFolder();
        string path = dir.File("empty-footer.parquet");
        File.WriteAllBytes(path, [.. "PAR1"u8, 0x00, 1, 0, 0, 0, .. "PAR1"u8]);
        Mentions(ReadFails(path).Message, "cannot be read");
    }

    [Fact]
    public void List_RowsOfDifferentLengths_NameTheRow()
    {
        using var dir = new TempFolder();
        string path = dir.File("ragged.parquet");
        var leaf = new DataField<float>("element", false);
        int max = 0;
        var list = new ListField("x", leaf);
        var schema = new ParquetSchema(list);
        max = leaf.MaxDefinitionLevel;
        // Rows of lengths 2, 3, 1, 2: 8 values in 4 rows, so the footer alone suggests length 2.
        ParquetRoundTripTests.WriteRaw(path, schema, g => g.WriteAllPartsAsync<float>(leaf,
            new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, Enumerable.Repeat(max, 8).ToArray(),
            new[] { 0, 1, 0, 1, 1, 0, 0, 1 }, default));
        string message = ReadFails(path).Message;
        Mentions(message, "row group 0 column 'x' row 1 has a list of length 3; expected 2");
    }

    [Fact]
    public void List_ValueCountNotAMultipleOfRows_NamesTheRowGroup()
    {
        using var dir = new TempFolder();
        string path = dir.File("ragged.parquet");
        var leaf = new DataField<float>("element", false);
        var schema = new ParquetSchema(new ListField("x", leaf));
        int max = leaf.MaxDefinitionLevel;
        ParquetRoundTripTests.WriteRaw(path, schema, g => g.WriteAllPartsAsync<float>(leaf,
            new float[] { 1, 2, 3, 4, 5 }, Enumerable.Repeat(max, 5).ToArray(), new[] { 0, 1, 0, 1, 1 }, default));
        Mentions(ReadFails(path).Message, "row group 0 list column 'x' holds 5 values in 2 rows");
    }

    [Fact]
    public void Null_InAScalarColumn_NamesColumnAndRow()
    {
        using var dir = new TempFolder();
        string path = dir.File("nulls.parquet");
        var a = new DataField<double?>("a");
        ParquetRoundTripTests.WriteRaw(path, new ParquetSchema(a),
            g => g.WriteAsync<double>(a, new double?[] { 1, 2, null, 4 }.AsMemory()));
        Mentions(ReadFails(path).Message, "column 'a' is null in row 2");
    }

    [Fact]
    public void Null_InAList_NamesColumnAndRow()
    {
        using var dir = new TempFolder();
        string path = dir.File("nulls.parquet");
        var leaf = new DataField<float?>("element");
        var schema = new ParquetSchema(new ListField("x", leaf));
        int max = leaf.MaxDefinitionLevel;
        // Rows [1, 2], [3, null]: the null element has a definition level one below the maximum.
        ParquetRoundTripTests.WriteRaw(path, schema, g => g.WriteAllPartsAsync<float>(leaf,
            new float[] { 1, 2, 3 }, new[] { max, max, max, max - 1 }, new[] { 0, 1, 0, 1 }, default));
        Mentions(ReadFails(path).Message, "column 'x' has a null or an empty list in row 1");
    }

    [Fact]
    public void StringColumn_IsRefusedNamingIt()
    {
        using var dir = new TempFolder();
        string path = dir.File("strings.parquet");
        var s = new DataField<string>("label");
        ParquetRoundTripTests.WriteRaw(path, new ParquetSchema(s), g => g.WriteAsync(s, new[] { "a", "b" }));
        Mentions(ReadFails(path).Message, "column 'label' holds text");
    }

    [Fact]
    public void ReadPart_WithTheSchemaOfAnotherFile_IsRefused()
    {
        using var dir = new TempFolder();
        string a = Valid(dir, name: "a.parquet");
        string b = dir.File("b.parquet");
        ParquetFiles.Write(b, new SimulationBatch(3).Set("z", new float[3], 3));
        ShardSchema schema = ParquetShardFormat.Instance.Inspect(a, ReadLimits.Default);
        var e = Assert.Throws<InvalidDataException>(
            () => ParquetShardFormat.Instance.ReadPart(b, 0, schema, ReadLimits.Default));
        Mentions(e.Message, b);
    }

    private static byte[] Footer(string path, out byte[] body)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 8));
        body = bytes[..(bytes.Length - 8 - length)];
        return bytes[(bytes.Length - 8 - length)..(bytes.Length - 8)];
    }

    private static void Rewrite(string path, byte[] body, byte[] footer)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)footer.Length);
        File.WriteAllBytes(path, [.. body, .. footer, .. length, .. "PAR1"u8]);
    }

    /// <summary>Replaces every i64 field (compact header with type 6) holding <paramref name="from"/>.</summary>
    private static byte[] ReplaceI64(byte[] footer, long from, long to)
    {
        byte[] old = Varint((ulong)(from << 1)), replacement = Varint((ulong)(to << 1));
        var result = new List<byte>();
        int replaced = 0;
        for (int i = 0; i < footer.Length; i++)
        {
            result.Add(footer[i]);
            if ((footer[i] & 0x0F) == 6 && footer.AsSpan(i + 1).StartsWith(old))
            {
                result.AddRange(replacement);
                i += old.Length;
                replaced++;
            }
        }
        Assert.True(replaced >= 2, $"{replaced} i64 fields of {from} found");
        return [.. result];
    }

    private static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }
        bytes.Add((byte)value);
        return [.. bytes];
    }

    private static byte[] Varint(int value) => Varint((ulong)value);
}
