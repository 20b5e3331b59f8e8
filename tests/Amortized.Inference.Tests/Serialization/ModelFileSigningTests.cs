using System.Text;
using System.Text.Json.Nodes;
using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Xunit;
using static Amortized.Inference.Tests.Serialization.HostileModelFiles;

namespace Amortized.Inference.Tests.Serialization;

/// <summary>
/// Keyed signing: a file saved with a key carries an HMAC-SHA-256 that a reader holding the key checks; the
/// checksum alone can be recomputed by anyone who edits the file, the HMAC cannot.
/// </summary>
public sealed class ModelFileSigningTests : IDisposable
{
    private static readonly ModelFileKey s_key = new("a 32-byte key for the unit tests"u8);
    private static readonly ModelFileKey s_otherKey = new("another key, just as long, 32 B."u8);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("amortized-signing-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Write(byte[] bytes, string name = "model.amz")
    {
        string path = Path.Combine(_dir.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static ContinuousApproximator Load(string path, ModelFileKey? key) =>
        ApproximatorFile.Load(path, out _, key);

    [Fact]
    public void SaveWithKey_LoadWithKey_SamplesExactlyAsTheOriginal()
    {
        var original = Small();
        string path = Path.Combine(_dir.FullName, "signed.amz");
        ApproximatorFile.Save(path, original, key: s_key);
        var loaded = Load(path, s_key);
        SimulationBatch data = new TwoMoons().Sample(3, seed: 5);
        data.Remove("theta");
        Assert.Equal(original.Sample(data, 10, seed: 7).Get("theta"), loaded.Sample(data, 10, seed: 7).Get("theta"));
        // Without a key the HMAC is ignored: a signed file still loads anywhere.
        ApproximatorFile.Load(path);
        Assert.StartsWith(ModelFileChecksum.HmacPrefix,
            (string)ModelFileTestFiles.Split(File.ReadAllBytes(path)).Header["__metadata__"]!["hmac"]!);
    }

    [Fact]
    public void LoadWithKey_UnsignedFile_RefusedBeforeReadingTheWeights()
    {
        string path = Write(SmallBytes());
        var e = Assert.Throws<InvalidDataException>(() => Load(path, s_key));
        Assert.Equal($"Model file '{path}': it is not signed (no \"hmac\" metadata field), but a key was given; only " +
            "a file saved with that key is accepted.", e.Message);
    }

    [Fact]
    public void LoadWithKey_SignedWithAnotherKey_Refused()
    {
        string path = Write(SmallBytes(s_otherKey));
        var e = Assert.Throws<InvalidDataException>(() => Load(path, s_key));
        Assert.Equal($"Model file '{path}': its HMAC does not match the key: the file was changed after it was " +
            "signed, or it was signed with another key; it cannot be trusted.", e.Message);
    }

    [Fact]
    public void LoadWithKey_SignedFileEditedAndChecksumRecomputed_RefusedByTheHmac()
    {
        // A plausible edit that passes every other check: the construction seed, which changes nothing's size.
        byte[] edited = ResealSpec(SmallBytes(s_key), spec => spec["seed"] = 2);
        string path = Write(edited);
        ApproximatorFile.Load(path); // the checksum is valid: without the key the edit goes unnoticed
        var e = Assert.Throws<InvalidDataException>(() => Load(path, s_key));
        Assert.Contains("its HMAC does not match the key", e.Message);
    }

    [Fact]
    public void LoadWithKey_HmacStrippedOrMalformed_Refused()
    {
        byte[] signed = SmallBytes(s_key);
        string stripped = Write(ModelFileTestFiles.Rewrite(signed,
            h => ((JsonObject)h["__metadata__"]!).Remove("hmac")), "stripped.amz");
        Assert.Contains("it is not signed", Assert.Throws<InvalidDataException>(() => Load(stripped, s_key)).Message);

        string malformed = Write(ModelFileTestFiles.Rewrite(signed,
            h => h["__metadata__"]!["hmac"] = "hmac-sha256:zz"), "malformed.amz");
        var e = Assert.Throws<InvalidDataException>(() => Load(malformed, s_key));
        Assert.Equal($"Model file '{malformed}': its \"hmac\" field is not 'hmac-sha256:' followed by 64 hex digits.",
            e.Message);
    }

    [Fact]
    public void ModelFile_WriteAndReadWithKey_RoundTripsThroughStreams()
    {
        var stream = new MemoryStream();
        ModelFile.Write(stream, ModelFileTestFiles.Manifest, ModelFileTestFiles.Sample(), key: s_key);
        stream.Position = 0;
        ModelFileTestFiles.AssertSameContents(ModelFileTestFiles.Sample(), ModelFileTestFiles.Manifest,
            ModelFile.Read(stream, key: s_key));
        stream.Position = 0;
        Assert.Throws<InvalidDataException>(() => ModelFile.Read(stream, key: s_otherKey));
    }

    [Fact]
    public void Key_TooShortOrTooLong_RefusedWithTheAllowedRange()
    {
        var e = Assert.Throws<ArgumentException>(() => new ModelFileKey(new byte[15]));
        Assert.StartsWith("ModelFileKey: the key is 15 bytes; allowed: 16 to 4096 bytes.", e.Message);
        string path = Write(Encoding.UTF8.GetBytes("short\n"), "short.key");
        e = Assert.Throws<ArgumentException>(() => ModelFileKey.FromFile(path));
        Assert.StartsWith($"Key file '{path}': it is 6 bytes long; a key is 16 to 4096 bytes.", e.Message);
        string huge = Write(new byte[1 << 20], "huge.key");
        Assert.Throws<ArgumentException>(() => ModelFileKey.FromFile(huge));
    }

    [Fact]
    public void KeyFromFile_UsesTheExactBytes()
    {
        string keyPath = Write("a 32-byte key for the unit tests"u8.ToArray(), "model.key");
        string path = Path.Combine(_dir.FullName, "signed.amz");
        ApproximatorFile.Save(path, Small(), key: ModelFileKey.FromFile(keyPath));
        Load(path, s_key);
        // A trailing newline is a different key.
        string withNewline = Write("a 32-byte key for the unit tests\n"u8.ToArray(), "newline.key");
        Assert.Throws<InvalidDataException>(() => Load(path, ModelFileKey.FromFile(withNewline)));
    }
}
