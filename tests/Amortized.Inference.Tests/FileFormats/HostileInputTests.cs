using System.Text;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Xunit;
using static Amortized.Inference.Tests.FileFormats.HostileFiles;

namespace Amortized.Inference.Tests.FileFormats;

/// <summary>
/// The corpus of hostile data files (issue 18): each is crafted here, must give an
/// <see cref="InvalidDataException"/> that names the file, the declared value and the limit, and must be refused
/// before anything in proportion to its declared size is allocated (measured on this thread).
/// </summary>
public sealed class HostileInputTests
{
    /// <summary>Allocation allowed while refusing a hostile file: buffers and messages, nothing declared.</summary>
    private const long SmallAllocation = 4L << 20;

    private static void WithFile(string extension, byte[] bytes, Action<string> body)
    {
        string path = TempPath(extension);
        File.WriteAllBytes(path, bytes);
        try { body(path); }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ReadLimits_NonPositiveLimit_RefusedWithItsName()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ReadLimits.Default with { MaxArrayBytes = 0 });
        Assert.Equal("MaxArrayBytes", e.ParamName);
        Assert.Equal("MaxCsvColumns", Assert.Throws<ArgumentOutOfRangeException>(() =>
            ReadLimits.Default with { MaxCsvColumns = -1 }).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => ReadLimits.Default with { MaxCompressionRatio = double.NaN });
        Assert.Equal(2L << 30, ReadLimits.Default.MaxArrayBytes);
    }

    // ---- npy ----

    [Fact]
    public void NpyRead_ShapeWhoseProductOverflows_NamesFileShapeAndLimit()
    {
        // 3037000500^2 > 2^63: the old `count *= d` wrapped around.
        byte[] bytes = NpyBytes(Dict("<f4", "(3037000500, 3037000500)"), new byte[16]);
        WithFile(".npy", bytes, path =>
        {
            var (allocated, e) = Measure<InvalidDataException>(() => Npy.Read(path));
            Assert.StartsWith(path + ": ", e.Message);
            Assert.Contains("(3037000500, 3037000500)", e.Message);
            Assert.Contains("9223372037000250000 elements", e.Message); // the exact product, not a wrapped one
            Assert.Contains("ReadLimits.MaxArrayBytes", e.Message);
            Assert.Contains("2147483648", e.Message);
            Assert.True(allocated < SmallAllocation, $"allocated {allocated} bytes");
        });
    }

    [Fact]
    public void NpyRead_DimensionBeyondInt64_Malformed()
    {
        var e = Assert.Throws<InvalidDataException>(() =>
            Npy.Read(new MemoryStream(NpyBytes(Dict("<f4", "(99999999999999999999,)")))));
        Assert.Contains("malformed", e.Message);
        Assert.Contains("99999999999999999999", e.Message);
    }

    [Fact]
    public void NpyRead_ElementsBeyondDotNetArray_NamesArrayLimit()
    {
        var limits = ReadLimits.Default with { MaxArrayBytes = long.MaxValue };
        var e = Assert.Throws<InvalidDataException>(() =>
            Npy.Read(new MemoryStream(NpyBytes(Dict("|b1", "(65536, 65536)"))), limits));
        Assert.Contains("4294967296 elements", e.Message);
        Assert.Contains($"at most {Array.MaxLength}", e.Message);
    }

    [Fact]
    public void NpyRead_DeclaredBytesBeyondFileLength_RefusedBeforeAllocating()
    {
        // 2,000,000,000 bytes declared: under MaxArrayBytes, so only the file's length can refuse it.
        byte[] bytes = NpyBytes(Dict("<f4", "(500000000,)"), new byte[8]);
        WithFile(".npy", bytes, path =>
        {
            var (allocated, e) = Measure<InvalidDataException>(() => Npy.Read(path));
            Assert.StartsWith(path + ": ", e.Message);
            Assert.Contains("needs 2000000000 bytes, found 8", e.Message);
            Assert.True(allocated < SmallAllocation, $"allocated {allocated} bytes");
        });
    }

    [Fact]
    public void NpyRead_NonSeekableStreamDeclaringGigabytes_AllocatesOnlyWhatArrives()
    {
        byte[] bytes = NpyBytes(Dict("<f8", "(250000000,)"), new byte[1000]);
        var (allocated, e) = Measure<InvalidDataException>(() => Npy.Read(new NonSeekableStream(bytes)));
        Assert.Contains("needs 2000000000 bytes, found 1000", e.Message);
        Assert.True(allocated < SmallAllocation, $"allocated {allocated} bytes");
    }

    [Fact]
    public void NpyRead_NonSeekableStream_ValidArrayBeyondTheFirstBuffer_ReadsExactly()
    {
        // 3 MiB of data: the array grows from 1 MiB as the bytes arrive, twice.
        var values = new double[3 << 17];
        for (int i = 0; i < values.Length; i++) values[i] = i * 0.5;
        var ms = new MemoryStream();
        Npy.Write(ms, new NpyArray(NpyDType.Float64, [values.Length], values));
        NpyArray back = Npy.Read(new NonSeekableStream(ms.ToArray()));
        Assert.Equal(values, (double[])back.Data);
    }

    [Theory]
    [InlineData(2, 0xFFFFFFF0u, "4294967280")]
    [InlineData(1, 0xFFFFu, "65535")]
    public void NpyRead_AbsurdHeaderLength_RefusedBeforeAllocating(int major, uint length, string declared)
    {
        byte[] bytes = NpyBytes(Dict("<f4", "(3,)"), new byte[12], major);
        if (major == 1) System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)length);
        else System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), length);
        WithFile(".npy", bytes, path =>
        {
            var (allocated, e) = Measure<InvalidDataException>(() => Npy.Read(path));
            Assert.StartsWith(path + ": ", e.Message);
            Assert.Contains($"header length field says {declared} bytes", e.Message);
            // v2: beyond MaxNpyHeaderBytes; v1 (at most 65535): beyond the file's length.
            Assert.Contains(major == 2 ? "ReadLimits.MaxNpyHeaderBytes" : "follow it", e.Message);
            Assert.True(allocated < SmallAllocation, $"allocated {allocated} bytes");
        });
    }

    [Fact]
    public void NpyRead_TooManyDimensions_NamesLimit()
    {
        string shape = "(" + string.Join(", ", Enumerable.Repeat("1", 65)) + ")";
        var e = Assert.Throws<InvalidDataException>(() =>
            Npy.Read(new MemoryStream(NpyBytes(Dict("<f4", shape), new byte[4]))));
        Assert.Contains("65 dimensions", e.Message);
        Assert.Contains("ReadLimits.MaxDimensions", e.Message);
    }

    [Fact]
    public void NpyRead_TightenedLimit_RefusesAValidFile()
    {
        var limits = ReadLimits.Default with { MaxArrayBytes = 16 };
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "f32_2x3.npy");
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(path, limits));
        Assert.Contains("6 elements (24 bytes); the limit is 16 bytes (ReadLimits.MaxArrayBytes)", e.Message);
        Assert.Equal(6, Npy.Read(path).Data.Length);
    }

    [Fact]
    public void NpyRead_BinaryBytesInDescr_EscapedAndCut()
    {
        // A terminal escape sequence, a NUL, a bidi override and a long tail in the dtype field.
        string descr = "\u001b]0;owned\u0007\0\u202e" + new string('A', 5000);
        byte[] bytes = NpyBytes(Dict(descr, "(1,)"), new byte[4], major: 3);
        var e = Assert.Throws<InvalidDataException>(() => Npy.Read(new MemoryStream(bytes)));
        Assert.Contains("\\x1B]0;owned\\x07\\x00\\u202E", e.Message);
        Assert.DoesNotContain('\u001b', e.Message);
        Assert.DoesNotContain('\0', e.Message);
        Assert.DoesNotContain('\u202e', e.Message);
        Assert.True(e.Message.Length < 300, e.Message);
    }

    // ---- npz ----

    [Fact]
    public void ReadNpz_DeclaringGigabytesInAll_RefusedBeforeInflating()
    {
        // Three entries each declaring 1.97 GB (5.9 GB in all, as in the issue) from an archive of a few KB.
        byte[] entry = NpyBytes(Dict("<f4", "(1000,)"), new byte[4000]);
        byte[] zip = WithDeclaredSize(NpzBytes(("a.npy", entry), ("b.npy", entry), ("c.npy", entry)), 1_970_000_000);
        WithFile(".npz", zip, path =>
        {
            var (allocated, e) = Measure<InvalidDataException>(() => Npy.ReadNpz(path));
            Assert.StartsWith(path + ": ", e.Message);
            Assert.Contains("5910000000 bytes uncompressed in all", e.Message);
            Assert.Contains("4294967296 (ReadLimits.MaxTotalBytes)", e.Message);
            Assert.True(allocated < SmallAllocation, $"allocated {allocated} bytes");
        });
    }

    [Fact]
    public void ReadNpz_EntryDeclaringMoreThanMaxArrayBytes_NamesEntryAndLimit()
    {
        byte[] zip = WithDeclaredSize(NpzBytes(("big.npy", NpyBytes(Dict("<f4", "(1,)"), new byte[4]))), 3_000_000_000);
        WithFile(".npz", zip, path =>
        {
            var e = Assert.Throws<InvalidDataException>(() => Npy.ReadNpz(path));
            Assert.StartsWith($"{path}, entry 'big.npy': declares 3000000000 bytes uncompressed", e.Message);
            Assert.Contains("ReadLimits.MaxArrayBytes = 2147483648", e.Message);
        });
    }

    [Fact]
    public void ReadNpz_RealZipBomb_RefusedByCompressionRatioBeforeInflating()
    {
        byte[] bomb = ZeroNpz(24L << 20); // 96 MiB of zeros, deflated to about 100 KB
        Assert.True(bomb.Length < 1 << 20, $"bomb is {bomb.Length} bytes");
        long declared = NpyBytes(Dict("<f4", $"({24 << 20},)")).Length + (96L << 20);
        WithFile(".npz", bomb, path =>
        {
            var (allocated, e) = Measure<InvalidDataException>(() => Npy.ReadNpz(path));
            Assert.StartsWith(path + ": ", e.Message);
            Assert.Contains($"declare {declared} bytes uncompressed from a {bomb.Length}-byte archive", e.Message);
            Assert.Contains("ReadLimits.MaxCompressionRatio", e.Message);
            Assert.True(allocated < SmallAllocation, $"allocated {allocated} bytes");

            // Within a ratio allowing it, the same archive reads, and its array is the only large allocation.
            var lenient = ReadLimits.Default with { MaxCompressionRatio = 10_000 };
            long before = GC.GetAllocatedBytesForCurrentThread();
            NpyArray x = Npy.ReadNpz(path, lenient)["x"];
            long used = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(24 << 20, x.Data.Length);
            Assert.InRange(used, 96L << 20, (96L << 20) + SmallAllocation);
        });
    }

    [Fact]
    public void ReadNpz_ZipHeaderUnderstatingTheEntry_InflatesOnlyTheDeclaredSize()
    {
        // The entry holds a valid 100-element array, then 32 MiB more zeros; the zip header declares only the array.
        byte[] honest = ZeroNpz(100, trailingZeros: 32L << 20);
        int declared = NpyBytes(Dict("<f4", "(100,)")).Length + 400;
        byte[] lying = WithDeclaredSize(honest, (uint)declared);
        WithFile(".npz", lying, path =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Dictionary<string, NpyArray> arrays = Npy.ReadNpz(path);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(new float[100], (float[])arrays["x"].Data);
            Assert.True(allocated < SmallAllocation, $"allocated {allocated} bytes");
        });
    }

    [Fact]
    public void DeclaredLengthStream_InnerStreamLongerThanDeclared_ThrowsAtTheFirstExtraByte()
    {
        // The reader's own guard, whatever the zip library does with a lying header.
        var inner = new MemoryStream(new byte[1000]);
        using var s = new DeclaredLengthStream(inner, 600);
        var buffer = new byte[4096];
        s.ReadExactly(buffer, 0, 600);
        var e = Assert.Throws<InvalidDataException>(() => s.Read(buffer, 0, buffer.Length));
        Assert.Contains("more than the 600 bytes its zip header declares", e.Message);
        Assert.Equal(601, inner.Position); // one byte beyond the declared size asked for, no more

        using var exact = new DeclaredLengthStream(new MemoryStream(new byte[600]), 600);
        exact.ReadExactly(buffer, 0, 600);
        exact.CheckAtEnd();
        using var longer = new DeclaredLengthStream(new MemoryStream(new byte[601]), 600);
        longer.ReadExactly(buffer, 0, 600);
        Assert.Throws<InvalidDataException>(longer.CheckAtEnd);
        using var shorter = new DeclaredLengthStream(new MemoryStream(new byte[599]), 600);
        shorter.ReadExactly(buffer, 0, 599);
        Assert.Contains("only 599 were read", Assert.Throws<InvalidDataException>(shorter.CheckAtEnd).Message);
    }

    [Fact]
    public void ReadNpz_NpyHeaderDisagreeingWithEntrySize_NamesBoth()
    {
        byte[] zip = NpzBytes(("x.npy", NpyBytes(Dict("<f4", "(100,)"), new byte[408])));
        WithFile(".npz", zip, path =>
        {
            var e = Assert.Throws<InvalidDataException>(() => Npy.ReadNpz(path));
            Assert.StartsWith($"{path}, entry 'x.npy': ", e.Message);
            Assert.Contains("shape (100,) of <f4 needs 400 bytes, but 408 bytes follow the header", e.Message);
        });
    }

    [Fact]
    public void ReadNpz_NpyShapeBeyondTheEntry_RefusedBeforeAllocating()
    {
        // The zip is honest (a 140-byte entry) but its npy header declares 1.6 GB.
        byte[] zip = NpzBytes(("x.npy", NpyBytes(Dict("<f4", "(400000000,)"), new byte[12])));
        WithFile(".npz", zip, path =>
        {
            var (allocated, e) = Measure<InvalidDataException>(() => Npy.ReadNpz(path));
            Assert.Contains("needs 1600000000 bytes, found 12 after the header", e.Message);
            Assert.True(allocated < SmallAllocation, $"allocated {allocated} bytes");
        });
    }

    [Fact]
    public void ReadNpz_CorruptCentralDirectory_NamesTheFile()
    {
        // Found by ReaderFuzzTests: the zip library reads the central directory lazily, outside the archive's
        // constructor, and its message named no file.
        byte[] zip = NpzBytes(("x.npy", NpyBytes(Dict("<f4", "(1,)"), new byte[4])));
        int end = zip.Length - 22; // the end-of-central-directory record: its entry counts at +8 and +10
        zip[end + 8] = zip[end + 10] = 2; // two entries, where the central directory lists one
        WithFile(".npz", zip, path =>
        {
            var e = Assert.Throws<InvalidDataException>(() => Npy.ReadNpz(path));
            Assert.StartsWith($"{path}: not a valid .npz (zip) archive: ", e.Message);
            Assert.Contains("Central Directory", e.Message);
        });
    }

    [Fact]
    public void ReadNpz_TwoEntriesOfOneName_Refused()
    {
        byte[] entry = NpyBytes(Dict("<f4", "(1,)"), new byte[4]);
        WithFile(".npz", NpzBytes(("x.npy", entry), ("x.npy", entry)), path =>
        {
            var e = Assert.Throws<InvalidDataException>(() => Npy.ReadNpz(path));
            Assert.Contains("a second array named 'x'", e.Message);
        });
    }

    // ---- CSV ----

    [Fact]
    public void CsvRead_GigabyteField_RefusedAtTheFieldLimit()
    {
        var reader = new EndlessReader("x\n", "1234567890");
        var (allocated, e) = Measure<InvalidDataException>(() => Csv.ReadTable(reader, "huge.csv"));
        Assert.StartsWith("huge.csv, line 2, column 1: a field longer than 65536 characters", e.Message);
        Assert.Contains("ReadLimits.MaxCsvFieldChars", e.Message);
        Assert.True(allocated < SmallAllocation, $"allocated {allocated} bytes");
        Assert.True(reader.Served < 1 << 20, $"read {reader.Served} characters");
    }

    [Fact]
    public void CsvRead_GigabyteLine_RefusedAtTheLineLimit()
    {
        // Fields of 60 characters: the line limit (4 Mi) comes before the column limit (131,072).
        var reader = new EndlessReader("x\n", "1" + new string('0', 59) + ",");
        var (allocated, e) = Measure<InvalidDataException>(() => Csv.ReadTable(reader, "wide.csv"));
        Assert.StartsWith("wide.csv, line 2: a line longer than 4194304 characters", e.Message);
        Assert.Contains("ReadLimits.MaxCsvLineChars", e.Message);
        // The fields of one line (4 Mi characters, as strings) and their list; nothing of the remaining gigabyte.
        Assert.True(allocated < 32L << 20, $"allocated {allocated} bytes");
    }

    [Fact]
    public void CsvRead_TooManyColumns_NamesLimit()
    {
        var reader = new EndlessReader("", "a,");
        var e = Assert.Throws<InvalidDataException>(() => Csv.ReadTable(reader, "cols.csv"));
        Assert.StartsWith("cols.csv, line 1: more than 131072 fields", e.Message);
        Assert.Contains("ReadLimits.MaxCsvColumns", e.Message);
    }

    [Fact]
    public void CsvReadTable_FileWithLongLine_NamesPathLineAndLimit()
    {
        string text = "a,b\n1,2\n3,4." + new string('0', 1000) + "\n";
        WithFile(".csv", Encoding.UTF8.GetBytes(text), path =>
        {
            var limits = ReadLimits.Default with { MaxCsvLineChars = 100 };
            var e = Assert.Throws<InvalidDataException>(() => Csv.ReadTable(path, limits));
            Assert.StartsWith($"{path}, line 3: a line longer than 100 characters", e.Message);
            Assert.Equal(2, Csv.ReadTable(path).RowCount); // the default limits read it
        });
    }

    [Fact]
    public void CsvRead_BinaryCell_EscapedAndCut()
    {
        string cell = "\u001b[2J\u001b]0;owned\u0007" + new string('z', 10_000);
        var e = Assert.Throws<InvalidDataException>(() =>
            Csv.ReadTable(new StringReader("a\n" + cell + "\n"), "bin.csv"));
        Assert.Contains("'\\x1B[2J\\x1B]0;owned\\x07zzzz", e.Message);
        Assert.Contains($"({cell.Length} characters)", e.Message);
        Assert.DoesNotContain('\u001b', e.Message);
        Assert.True(e.Message.Length < 200, e.Message);
    }

    // ---- manifest and sharded datasets ----

    private static string WriteDataset(int shards = 2)
    {
        string dir = TempPath("");
        using (var writer = new ShardedDatasetWriter(dir, rowsPerShard: 4))
            writer.Append(new SimulationBatch(4 * shards).Set("x", new float[8 * shards], 4 * shards, 2));
        return dir;
    }

    private static void WithManifest(string json, Action<string> body)
    {
        string dir = WriteDataset();
        try
        {
            File.WriteAllText(Path.Combine(dir, "manifest.json"), json);
            body(dir);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static string Manifest(string shape, string rows, string total) =>
        "{\"format\": \"amortized-sharded-dataset\", \"version\": 1, \"total_rows\": " + total + ", " +
        "\"keys\": [{\"name\": \"x\", \"shape\": " + shape + ", \"dtype\": \"float32\"}], " +
        "\"shards\": [{\"file\": \"shard-00000.npz\", \"rows\": " + rows + "}]}";

    [Fact]
    public void ShardedDatasetOpen_ManifestBeyondMaxJsonBytes_RefusedBeforeReading()
    {
        WithManifest(Manifest("[2]", "4", "4") + new string(' ', 4096), dir =>
        {
            var limits = ReadLimits.Default with { MaxJsonBytes = 1024 };
            var e = Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(dir, limits));
            Assert.StartsWith(Path.Combine(dir, "manifest.json") + ": the file is ", e.Message);
            Assert.Contains("the limit is 1024 (ReadLimits.MaxJsonBytes)", e.Message);
        });
    }

    [Fact]
    public void ShardedDatasetOpen_DeeplyNestedManifest_NamesDepthLimit()
    {
        WithManifest(new string('[', 100_000) + new string(']', 100_000), dir =>
        {
            var e = Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(dir));
            Assert.StartsWith(Path.Combine(dir, "manifest.json") + ": not valid JSON", e.Message);
            Assert.Contains("32", e.Message);
        });
    }

    [Fact]
    public void ShardedDatasetOpen_ManifestWithBinaryAndLineBreaksInABadToken_EscapedAndCut()
    {
        // Found by ReaderFuzzTests: the JSON parser's own message quoted the bad token, line breaks and all.
        WithManifest("{\"format\": tru\u001b[31m\n\n" + new string('x', 1000) + "}", dir =>
        {
            var e = Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(dir));
            Assert.StartsWith(Path.Combine(dir, "manifest.json") + ": not valid JSON (", e.Message);
            Assert.DoesNotContain('\u001b', e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.True(e.Message.Length < 400, e.Message);
        });
    }

    [Fact]
    public void ShardedDatasetOpen_RowShapeWhoseProductOverflows_NamesKeyAndLimit()
    {
        WithManifest(Manifest("[2147483647, 2147483647, 2147483647]", "4", "4"), dir =>
        {
            var e = Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(dir));
            Assert.Contains(
                "manifest.json: key 'x' with rows of shape (2147483647, 2147483647, 2147483647)", e.Message);
            Assert.Contains("ReadLimits.MaxArrayBytes", e.Message);
        });
    }

    [Fact]
    public void ShardedDatasetOpen_ShardRowsTimesRowBytesBeyondLimit_NamesShardAndKey()
    {
        // 65536 floats a row is fine; 2^31 - 1 rows of it is 2^49 bytes, an int32 overflow in rows * row length.
        WithManifest(Manifest("[65536]", "2147483647", "2147483647"), dir =>
        {
            var e = Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(dir));
            Assert.Contains(
                "manifest.json: shard 'shard-00000.npz', key 'x' of 2147483647 rows of (65536,)", e.Message);
            Assert.Contains("ReadLimits.MaxArrayBytes", e.Message);
        });
    }

    [Fact]
    public void ShardedDataset_BombShard_ClearErrorNamingTheShard()
    {
        string dir = WriteDataset();
        try
        {
            string shard = Path.Combine(dir, "shard-00001.npz");
            File.WriteAllBytes(shard, ZeroNpz(24L << 20));
            ShardedDataset data = ShardedDataset.Open(dir);
            var (allocated, e) = Measure<InvalidDataException>(() =>
            {
                foreach (SimulationBatch _ in data.ReadSequential(4)) { }
            });
            Assert.StartsWith(shard + ": the entries declare 100663", e.Message); // 96 MiB and the header
            Assert.Contains("4 rows as manifest.json declares", e.Message);
            Assert.True(allocated < SmallAllocation, $"allocated {allocated} bytes");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ShardedDataset_ShardDeclaringMoreThanItsManifest_RefusedBeforeInflating()
    {
        // Within every general limit (8 MiB of zeros, about 8 KB deflated, under the ratio-exempt size), but the
        // manifest promises 4 rows of 2 floats.
        string dir = WriteDataset();
        try
        {
            string shard = Path.Combine(dir, "shard-00001.npz");
            File.WriteAllBytes(shard, ZeroNpz(2L << 20));
            ShardedDataset data = ShardedDataset.Open(dir);
            var (allocated, e) = Measure<InvalidDataException>(() => data.ReadShard(1));
            Assert.StartsWith($"{shard}: the entries declare ", e.Message);
            Assert.Contains("4 rows as manifest.json declares", e.Message);
            Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ShardedDataset_ShardDisagreeingWithManifest_NamesShardBeforeUse()
    {
        string dir = WriteDataset();
        try
        {
            string shard = Path.Combine(dir, "shard-00001.npz");
            Npy.WriteNpz(shard, [new("x", NpyArray.FromFloats(new float[12], 4, 3))]);
            ShardedDataset data = ShardedDataset.Open(dir);
            var e = Assert.Throws<InvalidDataException>(() => data.ReadShard(1));
            Assert.StartsWith(shard + ": key 'x' has shape (4, 3); the manifest says (4, 2)", e.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>A reader serving <c>first</c>, then <c>unit</c> forever (a gigabyte line, no gigabyte).</summary>
    private sealed class EndlessReader(string first, string unit) : TextReader
    {
        private long _position;

        public long Served => _position;

        public override int Peek() => At(_position);

        public override int Read() => At(_position++);

        private char At(long i) => i < first.Length ? first[(int)i] : unit[(int)((i - first.Length) % unit.Length)];
    }
}
