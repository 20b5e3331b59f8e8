using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Amortized.Inference.Serialization;
using Amortized.Tensors;
using Amortized.Testing;
using Xunit;
using static Amortized.Inference.Tests.Serialization.ModelFileTestFiles;

namespace Amortized.Inference.Tests.Serialization;

/// <summary>Round trips, the safetensors layout, atomic writes, write-side validation and versioning.</summary>
public sealed class ModelFileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("amortized-modelfile-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    [Fact]
    public void WriteRead_EveryDTypeWithExtremes_RoundTripsBitExact()
    {
        string path = PathOf("model.safetensors");
        Dictionary<string, TensorEntry> tensors = Sample();
        ModelFile.Write(path, Manifest, tensors);
        AssertSameContents(tensors, Manifest, ModelFile.Read(path));
    }

    [Fact]
    public void WriteRead_LargeRandomBitPatterns_RoundTripBitExactThroughFileAndNonSeekableStream()
    {
        // 5M floats = 20 MB: larger than the reader's 16 MB chunk, so the non-seekable path assembles chunks.
        var rng = new Rng(TestSeeds.Default);
        var values = new float[5_000_000];
        for (int i = 0; i < values.Length; i++)
        {
            float v;
            do v = BitConverter.Int32BitsToSingle((int)rng.NextUInt32());
            while (!float.IsFinite(v));
            values[i] = v;
        }
        var doubles = new double[1001];
        // Top two bits clear: positive, exponent below the all-ones NaN/infinity pattern.
        for (int i = 0; i < doubles.Length; i++)
            doubles[i] = BitConverter.UInt64BitsToDouble(rng.NextUInt32() * 0x1_0000_0001UL >> 2);
        var tensors = new Dictionary<string, TensorEntry>
        {
            ["big"] = TensorEntry.Float32(values, 1000, 5000),
            ["odd"] = TensorEntry.Float64(doubles, 7, 11, 13),
        };
        string path = PathOf("big.safetensors");
        ModelFile.Write(path, Manifest, tensors);
        AssertSameContents(tensors, Manifest, ModelFile.Read(path));
        AssertSameContents(tensors, Manifest, ModelFile.Read(new NonSeekableStream(File.ReadAllBytes(path))));
    }

    [Fact]
    public void WriteRead_EmptyScalarAndNoTensors_RoundTrip()
    {
        var tensors = new Dictionary<string, TensorEntry>
        {
            ["scalar"] = TensorEntry.Float64([-0d]),
            ["zero_rows"] = TensorEntry.Float32([], 0, 5),
            ["zero_middle"] = TensorEntry.Int64([], 3, 0, 2),
            ["a_empty_first"] = TensorEntry.Int32([], 0),
        };
        AssertSameContents(tensors, "{}", ModelFile.Read(new MemoryStream(SampleBytes(tensors, "{}"))));

        var none = new Dictionary<string, TensorEntry>();
        byte[] file = SampleBytes(none, "[]");
        Assert.Equal(8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(file), file.Length);
        AssertSameContents(none, "[]", ModelFile.Read(new MemoryStream(file)));
    }

    [Fact]
    public void WriteRead_ManyTensorsAndUnicodeNames_RoundTrip()
    {
        var rng = new Rng(TestSeeds.Default);
        var tensors = new Dictionary<string, TensorEntry>();
        for (int t = 0; t < 400; t++)
        {
            int rows = rng.Integer(0, 5), cols = rng.Integer(1, 9);
            var v = new float[rows * cols];
            rng.FillNormal(v);
            tensors[$"layers.{t}.weight"] = TensorEntry.Float32(v, rows, cols);
        }
        string[] names =
            ["μ.σ", "层/偏置", "emoji 😀 ok", "quote\"back\\slash", "tab\tnew\nline", "<html>&amp;", "\u0001"];
        foreach (string name in names) tensors[name] = TensorEntry.Int32([name.Length], 1);
        string manifest = """{"note":"ünïcödé 😀 \"quoted\" \\ <tag>","x":[1.5e-7,-0.0]}""";
        string path = PathOf("many.safetensors");
        ModelFile.Write(path, manifest, tensors);
        AssertSameContents(tensors, manifest, ModelFile.Read(path));
    }

    [Fact]
    public void Write_Header_IsSafetensorsJsonWithContiguousSortedOffsetsAndAlignedData()
    {
        byte[] file = SampleBytes();
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.Equal(0UL, (8 + n) % 8);
        Assert.Equal((byte)'{', file[8]);
        using JsonDocument doc = JsonDocument.Parse(file.AsMemory(8, (int)n));
        JsonElement root = doc.RootElement;

        JsonElement meta = root.GetProperty("__metadata__");
        Assert.Equal("amortized", meta.GetProperty("format").GetString());
        Assert.Equal("1", meta.GetProperty("format_version").GetString());
        Assert.Equal(ModelFile.LibraryVersion, meta.GetProperty("library_version").GetString());
        Assert.Equal(Manifest, meta.GetProperty("manifest").GetString());
        Assert.StartsWith("sha256:", meta.GetProperty("checksum").GetString());
        foreach (JsonProperty p in meta.EnumerateObject()) Assert.Equal(JsonValueKind.String, p.Value.ValueKind);

        long expectedBegin = 0;
        var names = new List<string>();
        foreach (JsonProperty p in root.EnumerateObject().Where(p => p.Name != "__metadata__"))
        {
            names.Add(p.Name);
            TensorEntry entry = Sample()[p.Name];
            Assert.Equal(entry.ToString().Split(' ')[0], p.Value.GetProperty("dtype").GetString());
            Assert.Equal(entry.Shape, p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
            long[] offsets = [.. p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64())];
            Assert.Equal(expectedBegin, offsets[0]);
            Assert.Equal(Bytes(entry.Values).Length, offsets[1] - offsets[0]);
            expectedBegin = offsets[1];
        }
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.Equal(8 + (long)n + expectedBegin, file.Length);
        // The data section is the raw little-endian values: "b" comes first.
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(8 + (int)n)));
    }

    [Fact]
    public void Write_OverExistingFile_ReplacesItAndLeavesNoTemporaryFile()
    {
        string path = PathOf("model.safetensors");
        File.WriteAllText(path, "old contents");
        ModelFile.Write(path, Manifest, Sample());
        AssertSameContents(Sample(), Manifest, ModelFile.Read(path));
        Assert.Equal([path], Directory.GetFiles(_dir.FullName));
    }

    [Fact]
    public void Write_NonFiniteWeights_ThrowsBeforeTouchingTheTarget()
    {
        string path = PathOf("model.safetensors");
        File.WriteAllText(path, "old contents");
        Dictionary<string, TensorEntry> tensors = Sample();
        tensors["w"].AsFloat32()[4] = float.NaN;
        tensors["stats"].AsFloat64()[1] = double.NegativeInfinity;

        var e = Assert.Throws<ArgumentException>(() => ModelFile.Write(path, Manifest, tensors));
        Assert.Contains("'stats'", e.Message); // the first in name order
        Assert.Contains("-Infinity", e.Message);
        Assert.Contains("element 1", e.Message);
        Assert.Equal("old contents", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_dir.FullName));
    }

    [Fact]
    public void ReplaceFile_WriterThrowsHalfway_DeletesTemporaryFileAndKeepsOldFile()
    {
        string path = PathOf("model.safetensors");
        File.WriteAllText(path, "old contents");
        Assert.Throws<IOException>(() => ModelFile.ReplaceFile(path, stream =>
        {
            stream.Write(new byte[100_000]);
            throw new IOException("disk full");
        }));
        Assert.Equal("old contents", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_dir.FullName));
    }

    [Fact]
    public void Write_InvalidArguments_ThrowArgumentExceptionAndWriteNothing()
    {
        string path = PathOf("model.safetensors");
        Assert.Throws<ArgumentException>(() => ModelFile.Write(path, "{not json", Sample()));
        var reserved = new Dictionary<string, TensorEntry> { ["__metadata__"] = TensorEntry.Int32([1], 1) };
        Assert.Throws<ArgumentException>(() => ModelFile.Write(path, "{}", reserved));
        var empty = new Dictionary<string, TensorEntry> { [""] = TensorEntry.Int32([1], 1) };
        Assert.Throws<ArgumentException>(() => ModelFile.Write(path, "{}", empty));
        var loneSurrogate = new Dictionary<string, TensorEntry> { ["bad\ud800"] = TensorEntry.Int32([1], 1) };
        Assert.Throws<ArgumentException>(() => ModelFile.Write(path, "{}", loneSurrogate));
        Assert.Empty(Directory.GetFiles(_dir.FullName));
    }

    [Fact]
    public void TensorEntry_InconsistentShapeOrType_Throws()
    {
        Assert.Throws<ArgumentException>(() => TensorEntry.Float32([1f, 2f, 3f], 2, 2));
        Assert.Throws<ArgumentException>(() => TensorEntry.Float32([1f], -1));
        Assert.Throws<ArgumentException>(() => TensorEntry.Float32([], 65536, 65536, 0, -1));
        Assert.Throws<ArgumentException>(() => new TensorEntry(TensorDType.Int32, [1], new uint[1]));
        Assert.Throws<ArgumentException>(() => new TensorEntry(TensorDType.Float64, [1], new float[1]));
        Assert.Throws<InvalidOperationException>(() => TensorEntry.Int32([1], 1).AsFloat32());
        Assert.Equal("F32 (2, 3)", Sample()["w"].ToString());
    }

    [Fact]
    public void Write_NonFiniteAllowed_ReadRejectsByDefaultAndKeepsNaNPayloadOnRequest()
    {
        float nan = BitConverter.Int32BitsToSingle(0x7FC0_1234);
        var tensors = new Dictionary<string, TensorEntry>
        {
            ["w"] = TensorEntry.Float32([1f, nan, float.PositiveInfinity], 3),
        };
        string path = PathOf("nan.safetensors");
        ModelFile.Write(path, "{}", tensors, rejectNonFinite: false);

        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("NaN at element 1", e.Message);
        AssertSameContents(tensors, "{}", ModelFile.Read(path, rejectNonFinite: false));
    }

    [Theory]
    [InlineData("2")]
    [InlineData("123456789012345678901234567890")]
    public void Read_NewerFormatVersion_SaysUpgrade(string version)
    {
        // A newer version may change anything else too, so even a file lacking today's fields reports the version.
        byte[] file = Rewrite(SampleBytes(), h =>
        {
            h["__metadata__"]!["format_version"] = version;
            h["__metadata__"]!.AsObject().Remove("manifest");
        });
        string path = PathOf("future.safetensors");
        File.WriteAllBytes(path, file);
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("newer version", e.Message);
        Assert.Contains($"format version {version}", e.Message);
        Assert.Contains("Upgrade", e.Message);
    }

    [Fact]
    public void Read_Stream_LeavesPositionAfterLastTensor()
    {
        byte[] file = SampleBytes();
        var stream = new MemoryStream([.. file, .. Encoding.ASCII.GetBytes("tail")]);
        AssertSameContents(Sample(), Manifest, ModelFile.Read(stream, sourceName: "embedded"));
        Assert.Equal(file.Length, stream.Position);
    }
}
