using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Amortized.Inference.Serialization;
using Xunit;
using static Amortized.Inference.Tests.Serialization.ModelFileTestFiles;

namespace Amortized.Inference.Tests.Serialization;

/// <summary>
/// Each way a model file can be damaged or foreign gives an <see cref="InvalidDataException"/> naming the file and
/// saying what is wrong. The sample's data layout (ordinal name order): b [0, 12), empty [12, 12), ids [12, 28),
/// stats [28, 44), step [44, 52), w [52, 76).
/// </summary>
public sealed class ModelFileCorruptionTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("amortized-modelfile-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static readonly byte[] s_valid = SampleBytes();
    private static readonly int s_headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(s_valid);

    private static byte[] WithLengthField(ulong value)
    {
        byte[] file = (byte[])s_valid.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(file, value);
        return file;
    }

    private static byte[] Edit(Action<JsonObject> edit, bool reseal = false) => Rewrite(s_valid, edit, reseal);

    private static JsonObject Tensor(JsonObject header, string name) => header[name]!.AsObject();

    private static JsonObject Meta(JsonObject header) => header["__metadata__"]!.AsObject();

    /// <summary>The header text with one literal replacement (for JSON that JsonNode cannot produce).</summary>
    private static byte[] ReplaceInHeader(string from, string to)
    {
        (JsonObject header, byte[] data) = Split(s_valid);
        string text = header.ToJsonString();
        Assert.Contains(from, text);
        return Assemble(text.Replace(from, to, StringComparison.Ordinal), data);
    }

    private static readonly Dictionary<string, (Func<byte[]> Build, string Expected)> s_cases = new()
    {
        ["empty file"] = (() => [], "0 bytes long"),
        ["shorter than the length field"] = (() => s_valid[..5], "5 bytes long"),
        ["length field past the end"] = (() => WithLengthField((ulong)s_valid.Length), "truncated"),
        ["length field absurd"] = (() => WithLengthField(1UL << 40), "header length field reads 1099511627776"),
        ["length field above the cap"] = (() => WithLengthField(100_000_001), "expected 2 to 100000000"),
        ["length field zero"] = (() => WithLengthField(0), "header length field reads 0"),
        ["length field all ones"] = (() => WithLengthField(ulong.MaxValue), "header length field reads"),
        ["cut inside the header"] = (() => s_valid[..(8 + s_headerLength / 2)], "truncated"),
        ["cut inside the data"] = (() => s_valid[..^10], "76 bytes of tensor data, but only 66"),
        ["header not UTF-8"] = (() => ReplaceBytes("amortized", 0xFF), "not valid UTF-8"),
        ["header not JSON"] = (() => Assemble("{\"__metadata__\": {\"format\": ", []), "not valid JSON"),
        ["header NUL padded"] = (() => Assemble("{}\0\0\0\0\0\0", []), "not valid JSON"),
        ["header an array"] = (() => Assemble("[1, 2]  ", []), "a JSON array, not an object"),
        ["no metadata (a plain safetensors file)"] = (() => Edit(h => h.Remove("__metadata__")), "no \"__metadata__\""),
        ["metadata not an object"] = (() => Edit(h => h["__metadata__"] = "x"), "\"__metadata__\" is a JSON string"),
        ["no format"] = (() => Edit(h => Meta(h).Remove("format")), "no \"format\" field"),
        ["no format_version"] = (() => Edit(h => Meta(h).Remove("format_version")), "no \"format_version\" field"),
        ["no library_version"] = (() => Edit(h => Meta(h).Remove("library_version")), "no \"library_version\" field"),
        ["no manifest"] = (() => Edit(h => Meta(h).Remove("manifest")), "no \"manifest\" field"),
        ["no checksum"] = (() => Edit(h => Meta(h).Remove("checksum")), "no \"checksum\" field"),
        ["metadata value a number"] = (() => Edit(h => Meta(h)["format_version"] = 1),
            "'format_version' is a JSON number"),
        ["wrong format"] = (() => Edit(h => Meta(h)["format"] = "pytorch"),
            "format is 'pytorch'; expected 'amortized'"),
        ["format_version text"] = (() => Edit(h => Meta(h)["format_version"] = "v1"), "'v1' is not a positive integer"),
        ["format_version zero"] = (() => Edit(h => Meta(h)["format_version"] = "0"), "'0' is not a positive integer"),
        ["format_version negative"] = (() => Edit(h => Meta(h)["format_version"] = "-1"), "'-1' is not a positive"),
        ["duplicate tensor"] = (() => ReplaceInHeader("\"b\":{", "\"w\":{"), "names 'w' twice"),
        ["duplicate metadata field"] = (() => ReplaceInHeader("\"library_version\"", "\"format\""),
            "'format' appears twice"),
        ["tensor not an object"] = (() => Edit(h => h["w"] = 5), "tensor 'w' is a JSON number"),
        ["tensor without dtype"] = (() => Edit(h => Tensor(h, "w").Remove("dtype")), "tensor 'w' lacks 'dtype'"),
        ["tensor unknown field"] = (() => Edit(h => Tensor(h, "w")["strides"] = 1), "unknown field 'strides'"),
        ["unknown dtype"] = (() => Edit(h => Tensor(h, "w")["dtype"] = "BF16"), "dtype 'BF16'; supported are"),
        ["dtype a number"] = (() => Edit(h => Tensor(h, "w")["dtype"] = 4), "dtype is a JSON number"),
        ["negative dimension"] = (() => Edit(h => Tensor(h, "w")["shape"] = new JsonArray(-2, -3)), "item 0 is -2"),
        ["fractional dimension"] = (() => Edit(h => Tensor(h, "w")["shape"] = new JsonArray(1.5, 4)), "item 0 is 1.5"),
        ["shape not an array"] = (() => Edit(h => Tensor(h, "w")["shape"] = "2x3"), "shape is a JSON string"),
        ["dimension beyond int"] = (() => Edit(h => Tensor(h, "w")["shape"] = new JsonArray(4294967296L)),
            "dimension 0 is 4294967296"),
        ["shape product overflows"] = (() => Edit(h => Tensor(h, "w")["shape"] =
            new JsonArray(int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue, 3)),
            "more elements than an array can hold"),
        ["offsets past the data"] = (() => Edit(h =>
        {
            Tensor(h, "w")["shape"] = new JsonArray(2, 300);
            Tensor(h, "w")["data_offsets"] = new JsonArray(52, 52 + 2400);
        }), "2452 bytes of tensor data, but only 76"),
        ["offsets overlap"] = (() => Edit(h => Tensor(h, "w")["data_offsets"] = new JsonArray(48, 72)), "they overlap"),
        ["offsets leave a gap"] = (() => Edit(h => Tensor(h, "w")["data_offsets"] = new JsonArray(56, 80)), "a gap"),
        ["offsets not starting at zero"] = (() => Edit(h => Tensor(h, "b")["data_offsets"] = new JsonArray(4, 16)),
            "tensor 'b' starts at byte 4"),
        ["offsets wrong size"] = (() => Edit(h => Tensor(h, "w")["data_offsets"] = new JsonArray(52, 72)),
            "span 20 bytes, but F32 (2, 3) needs 24"),
        ["offsets reversed"] = (() => Edit(h => Tensor(h, "w")["data_offsets"] = new JsonArray(76, 52)), "needs 24"),
        ["offsets one number"] = (() => Edit(h => Tensor(h, "w")["data_offsets"] = new JsonArray(52)),
            "expected [begin, end]"),
        ["offsets huge"] = (() => Edit(h => Tensor(h, "w")["data_offsets"] = new JsonArray(52, ulong.MaxValue)),
            "not a non-negative integer"),
        ["escaped lone surrogate name"] = (() => ReplaceInHeader("\"b\":{", "\"\\ud800\":{"), "Model file"),
        ["flipped data bit"] = (() => FlipByte(s_valid.Length - 3), "checksum mismatch"),
        ["changed manifest"] = (() => Edit(h => Meta(h)["manifest"] = "{\"depth\":7}"), "checksum mismatch"),
        ["changed shape"] = (() => Edit(h =>
        {
            Tensor(h, "w")["shape"] = new JsonArray(3, 2);
        }), "checksum mismatch"),
        ["manifest not JSON"] = (() => Edit(h => Meta(h)["manifest"] = "{\"depth\": ", reseal: true),
            "the manifest is not valid JSON"),
        ["NaN weight"] = (() => SampleBytes(
            new Dictionary<string, TensorEntry> { ["w"] = TensorEntry.Float32([0f, float.NaN], 2) },
            rejectNonFinite: false), "tensor 'w' F32 (2,) holds NaN at element 1"),
        ["bytes after the last tensor"] = (() => [.. s_valid, 0, 0, 0, 0, 0, 0, 0, 0],
            "8 bytes follow the last tensor"),
    };

    public static TheoryData<string> Cases => [.. s_cases.Keys];

    private static byte[] ReplaceBytes(string ascii, byte value)
    {
        byte[] file = (byte[])s_valid.Clone();
        int at = file.AsSpan().IndexOf(Encoding.ASCII.GetBytes(ascii));
        Assert.True(at > 0);
        file[at] = value;
        return file;
    }

    private static byte[] FlipByte(int index)
    {
        byte[] file = (byte[])s_valid.Clone();
        file[index] ^= 0x10;
        return file;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Read_CorruptedFile_ThrowsInvalidDataNamingFileAndProblem(string name)
    {
        (Func<byte[]> build, string expected) = s_cases[name];
        string path = Path.Combine(_dir.FullName, "damaged.safetensors");
        File.WriteAllBytes(path, build());

        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Read(path));
        Assert.StartsWith($"Model file '{path}': ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Read_CorruptedNonSeekableStream_ThrowsInvalidData(string name)
    {
        if (name == "bytes after the last tensor") return; // a stream may go on after the model file
        var e = Assert.Throws<InvalidDataException>(
            () => ModelFile.Read(new NonSeekableStream(s_cases[name].Build()), sourceName: "pipe"));
        Assert.StartsWith("Model file 'pipe': ", e.Message);
    }
}
