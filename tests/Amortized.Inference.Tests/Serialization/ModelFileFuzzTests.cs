using System.Buffers.Binary;
using Amortized.Inference.Serialization;
using Amortized.Inference.Tests.Fuzzing;
using Amortized.Tensors;
using Amortized.Testing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Amortized.Inference.Tests.Serialization.ModelFileTestFiles;

namespace Amortized.Inference.Tests.Serialization;

/// <summary>
/// Fuzzing the loader: a valid file's bytes go through one to three random corruptions, and Read must either throw
/// <see cref="InvalidDataException"/> or return exactly the original contents (the checksum makes any change that
/// still parses an error) - never another exception, never different values.
/// </summary>
public sealed class ModelFileFuzzTests
{
    public enum CorruptionKind { Truncate, FlipBits, Overwrite, Insert, Delete, HeaderLength, HeaderSyntax }

    /// <summary>One corruption; Position, Length and Seed are reduced modulo the file as it is applied.</summary>
    public sealed record Corruption(CorruptionKind Kind, int Position, int Length, int Seed);

    public sealed record FuzzCase(Corruption[] Steps, bool Seekable)
    {
        public override string ToString() =>
            $"{(Seekable ? "seekable" : "non-seekable")}: {string.Join("; ", Steps.Select(s => s.ToString()))}";
    }

    private static readonly Dictionary<string, TensorEntry> s_tensors = Sample();
    private static readonly byte[] s_valid = SampleBytes(s_tensors);

    // Bytes that keep JSON plausible, so corruptions get past the parser and reach the deeper checks.
    private static readonly byte[] s_jsonBytes = "{}[],:\"\\-+.0123456789eE tfn"u8.ToArray();

    private static Arbitrary<FuzzCase> Cases()
    {
        Gen<Corruption> step =
            from kind in Gen.Elements(Enum.GetValues<CorruptionKind>())
            from position in Gen.Choose(0, int.MaxValue)
            from length in Gen.Choose(1, 48)
            from seed in Gen.Choose(0, int.MaxValue)
            select new Corruption(kind, position, length, seed);
        return (from count in Gen.Choose(1, 3)
                from steps in step.ArrayOf(count)
                from seekable in Gen.Elements(true, false)
                select new FuzzCase(steps, seekable)).ToArbitrary();
    }

    [Property(MaxTest = 300, Replay = TestSeeds.FsCheckReplay)]
    public Property Read_RandomlyCorruptedFile_ReturnsOriginalOrThrowsInvalidData() =>
        Prop.ForAll(Cases(), c =>
        {
            byte[] bytes = s_valid;
            foreach (Corruption step in c.Steps) bytes = Apply(bytes, step);
            Stream stream = c.Seekable ? new MemoryStream(bytes) : new NonSeekableStream(bytes);
            ModelFileContents contents;
            try { contents = ModelFile.Read(stream, sourceName: "fuzz"); }
            catch (InvalidDataException e) when (e.Message.StartsWith("Model file 'fuzz': ", StringComparison.Ordinal))
            {
                return;
            }
            AssertSameContents(s_tensors, Manifest, contents);
        });

    internal static byte[] Apply(byte[] file, Corruption c)
    {
        var rng = new Rng((ulong)c.Seed);
        if (ByteEdits.TryParse(c.Kind, out var edit))
            return ByteEdits.Apply(file, edit, c.Position, c.Length, rng, s_jsonBytes);
        int headerEnd = file.Length < 8 ? 0
            : (int)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(file) + 8, (ulong)file.Length);
        byte[] result = (byte[])file.Clone();
        switch (c.Kind)
        {
            case CorruptionKind.HeaderLength:
                if (file.Length < 8) return result;
                ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
                ulong value = (c.Seed % 5) switch
                {
                    0 => n + (ulong)(c.Length - 24), // a little off either way
                    1 => (ulong)c.Position,
                    2 => (ulong)c.Position << 32,
                    3 => ulong.MaxValue - (ulong)c.Length,
                    _ => (ulong)c.Length,
                };
                BinaryPrimitives.WriteUInt64LittleEndian(result, value);
                return result;
            default: // HeaderSyntax: a few header bytes become JSON punctuation, digits or letters
                if (headerEnd <= 8) return result;
                for (int i = 0; i < 1 + c.Length % 3; i++)
                {
                    int where = 8 + (int)(rng.NextUInt32() % (uint)(headerEnd - 8));
                    result[where] = s_jsonBytes[rng.Integer(0, s_jsonBytes.Length)];
                }
                return result;
        }
    }
}
