using Amortized.Inference.Tests.Fuzzing;
using System.Buffers.Binary;
using System.Text;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Amortized.Tensors;
using Amortized.Testing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;
using static Amortized.Inference.Tests.FileFormats.HostileFiles;

namespace Amortized.Inference.Tests.FileFormats;

/// <summary>
/// Fuzzing the data readers (issue 18, item 7): valid .npy, .npz, CSV and manifest bytes go through one to three
/// random corruptions (truncations, bit flips, overwrites, insertions of format punctuation, deletions, random
/// header lengths, random shapes, random declared zip sizes), and each reader must either return a valid result or
/// throw its documented exception type, having allocated less than <see cref="AllocationBound"/> for the input.
/// The nasty cases found this way are kept as named tests in <see cref="HostileInputTests"/>.
/// </summary>
[Properties(Replay = TestSeeds.FsCheckReplay)]
public sealed class ReaderFuzzTests : IDisposable
{
    public enum CorruptionKind
    {
        Truncate, FlipBits, Overwrite, Insert, Delete, HeaderLength, Shape, DeclaredSize, Number,
    }

    /// <summary>One corruption; Position, Length and Seed are reduced modulo the file as it is applied.</summary>
    public sealed record Corruption(CorruptionKind Kind, int Position, int Length, int Seed);

    public sealed record FuzzCase(Corruption[] Steps)
    {
        public override string ToString() => string.Join("; ", Steps.Select(s => s.ToString()));
    }

    private static readonly byte[] s_npy = NpyOf(new NpyArray(NpyDType.Float32, [3, 4], new float[12]));

    private static readonly byte[] s_npz = Zip(compress: true);

    private static readonly byte[] s_npzStored = Zip(compress: false);

    private static readonly byte[] s_csv = Encoding.UTF8.GetBytes(
        "theta[0],theta[1],\"x, quoted\"\n1.5,-2,NaN\n3,4e-3,inf\n\n\"5\",6,7\n");

    // Bytes that keep each format plausible, so corruptions get past the first checks and reach the deeper ones.
    private static readonly byte[] s_npyBytes = "{}()[],:'\" 0123456789L<>|fib\n"u8.ToArray();
    private static readonly byte[] s_csvBytes = ",\"\r\n0123456789.eE-+naif []\0\u00ff"u8.ToArray();
    private static readonly byte[] s_jsonBytes = "{}[],:\"\\-+.0123456789eE tfn"u8.ToArray();

    private string? _dataset;
    private byte[] _manifest = [];

    public void Dispose()
    {
        if (_dataset is not null) Directory.Delete(_dataset, recursive: true);
    }

    /// <summary>
    /// What a reader may allocate for a corrupted input of <paramref name="length"/> bytes: the limits keep every
    /// allocation in proportion to the bytes really present, so a constant plus a small multiple of the input.
    /// </summary>
    private static long AllocationBound(int length) => (64L << 20) + 16L * length;

    private static Arbitrary<FuzzCase> Cases(params CorruptionKind[] kinds)
    {
        Gen<Corruption> step =
            from kind in Gen.Elements(kinds)
            from position in Gen.Choose(0, int.MaxValue)
            from length in Gen.Choose(1, 48)
            from seed in Gen.Choose(0, int.MaxValue)
            select new Corruption(kind, position, length, seed);
        return (from count in Gen.Choose(1, 3)
                from steps in step.ArrayOf(count)
                select new FuzzCase(steps)).ToArbitrary();
    }

    private static readonly CorruptionKind[] s_byteKinds =
    [
        CorruptionKind.Truncate, CorruptionKind.FlipBits, CorruptionKind.Overwrite, CorruptionKind.Insert,
        CorruptionKind.Delete,
    ];

    [Property(MaxTest = 400)]
    public Property NpyRead_CorruptedBytes_ArrayOrInvalidDataWithinBoundedMemory() =>
        Prop.ForAll(Cases([.. s_byteKinds, CorruptionKind.HeaderLength, CorruptionKind.Shape]), c =>
        {
            byte[] bytes = Corrupt(s_npy, c, s_npyBytes);
            AssertReadsOrRefuses(bytes.Length, c, "npy: ", () => Npy.Read(new MemoryStream(bytes)));
            AssertReadsOrRefuses(bytes.Length, c, "npy: ", () => Npy.Read(new NonSeekableStream(bytes)));
        });

    [Property(MaxTest = 150)]
    public Property ReadNpz_CorruptedArchiveOrEntry_ArraysOrInvalidDataWithinBoundedMemory() =>
        Prop.ForAll(Cases([.. s_byteKinds, CorruptionKind.DeclaredSize, CorruptionKind.HeaderLength,
            CorruptionKind.Shape]), c =>
        {
            // Zip-level corruptions hit the archive; npy-level ones hit an entry, re-zipped so the archive is valid.
            bool inner = c.Steps[0].Kind is CorruptionKind.HeaderLength or CorruptionKind.Shape;
            byte[] zip = inner
                ? NpzBytes(("a.npy", Corrupt(s_npy, c, s_npyBytes)), ("b.npy", s_npy))
                : Corrupt(c.Steps[0].Seed % 2 == 0 ? s_npz : s_npzStored, c, s_npyBytes);
            string path = TempPath(".npz");
            File.WriteAllBytes(path, zip);
            try
            {
                AssertReadsOrRefuses(zip.Length, c, path, () => Npy.ReadNpz(path));
            }
            finally { File.Delete(path); }
        });

    [Property(MaxTest = 400)]
    public Property CsvReadTable_CorruptedText_TableOrInvalidDataWithinBoundedMemory() =>
        Prop.ForAll(Cases([.. s_byteKinds, CorruptionKind.Number]), c =>
        {
            byte[] bytes = Corrupt(s_csv, c, s_csvBytes);
            var limits = ReadLimits.Default with { MaxCsvLineChars = 64, MaxCsvFieldChars = 16, MaxCsvColumns = 5 };
            AssertReadsOrRefuses(bytes.Length, c, "fuzz.csv", () =>
            {
                CsvTable table = Csv.ReadTable(new StreamReader(new MemoryStream(bytes), Encoding.UTF8), "fuzz.csv",
                    limits);
                Assert.InRange(table.ColumnCount, 1, 5);
            });
        });

    [Property(MaxTest = 200)]
    public Property ShardedDataset_CorruptedManifest_RowsOrInvalidDataWithinBoundedMemory() =>
        Prop.ForAll(Cases([.. s_byteKinds, CorruptionKind.Number, CorruptionKind.Number]), c =>
        {
            string dir = Dataset(out byte[] manifest);
            byte[] bytes = Corrupt(manifest, c, s_jsonBytes);
            File.WriteAllBytes(Path.Combine(dir, ShardManifest.FileName), bytes);
            // A manifest may be corrupted into naming a shard that is not there: FileNotFoundException, documented.
            AssertReadsOrRefuses(bytes.Length, c, dir, () =>
            {
                ShardedDataset data = ShardedDataset.Open(dir);
                long rows = 0;
                foreach (SimulationBatch b in data.ReadSequential(3)) rows += b.BatchSize;
                Assert.Equal(data.Count, rows);
            }, typeof(InvalidDataException), typeof(FileNotFoundException));
        });

    /// <summary>
    /// Runs <paramref name="read"/>: it must return, or throw an exception of exactly one of
    /// <paramref name="types"/> (default: <see cref="InvalidDataException"/>) whose message names
    /// <paramref name="source"/> (the file or input) and holds no control characters (file content is quoted
    /// sanitized), with allocation within the bound either way.
    /// </summary>
    private static void AssertReadsOrRefuses(int length, FuzzCase c, string source, Action read, params Type[] types)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        Exception? error = Record.Exception(read);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Type[] documented = types.Length == 0 ? [typeof(InvalidDataException)] : types;
        if (error is not null && (!documented.Contains(error.GetType()) || !error.Message.Contains(source)
            || error.Message.Any(char.IsControl)))
            throw new Xunit.Sdk.XunitException($"{c}: {error.GetType().Name}: {error.Message}\n{error.StackTrace}");
        Assert.True(allocated < AllocationBound(length), $"{c}: allocated {allocated} bytes for {length}");
    }

    private static byte[] NpyOf(NpyArray a)
    {
        var ms = new MemoryStream();
        Npy.Write(ms, a);
        return ms.ToArray();
    }

    private static byte[] Zip(bool compress)
    {
        var ms = new MemoryStream();
        Npy.WriteNpz(ms, [
            new("theta", new NpyArray(NpyDType.Float32, [3, 2], new float[] { 1, 2, 3, 4, 5, 6 })),
            new("n", new NpyArray(NpyDType.Int64, [3], new long[] { 1, 2, 3 })),
            new("mask", new NpyArray(NpyDType.Bool, [3], new[] { true, false, true })),
        ], compress);
        return ms.ToArray();
    }

    /// <summary>
    /// A dataset of 3 shards with a float and an integer key (made once per test), and its manifest's bytes as
    /// written in <paramref name="manifest"/>.
    /// </summary>
    private string Dataset(out byte[] manifest)
    {
        if (_dataset is null)
        {
            _dataset = TempPath("");
            using (var writer = new ShardedDatasetWriter(_dataset, rowsPerShard: 4))
                writer.Append(new SimulationBatch(10).Set("x", new float[20], 10, 2).SetIntegers("n", new int[10], 10));
            _manifest = File.ReadAllBytes(Path.Combine(_dataset, ShardManifest.FileName));
        }
        manifest = _manifest;
        return _dataset;
    }

    private static byte[] Corrupt(byte[] file, FuzzCase c, byte[] alphabet)
    {
        foreach (Corruption step in c.Steps) file = Apply(file, step, alphabet);
        return file;
    }

    private static byte[] Apply(byte[] file, Corruption c, byte[] alphabet)
    {
        var rng = new Rng((ulong)c.Seed);
        if (ByteEdits.TryParse(c.Kind, out var edit))
            return ByteEdits.Apply(file, edit, c.Position, c.Length, rng, alphabet);
        int at = file.Length == 0 ? 0 : c.Position % file.Length;
        byte[] result = (byte[])file.Clone();
        switch (c.Kind)
        {
            case CorruptionKind.HeaderLength: // the npy header-length field (bytes 8-9) gets a random value
                if (file.Length < 10) return result;
                ushort length = (c.Seed % 3) switch
                {
                    0 => (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(8)) + c.Length - 24),
                    1 => (ushort)c.Position,
                    _ => ushort.MaxValue,
                };
                BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), length);
                return result;
            case CorruptionKind.Shape: // the shape tuple becomes random dimensions, small to overflowing
                return ReplaceShape(file, rng, c.Length);
            case CorruptionKind.Number: // the run of digits at or after the position becomes a nasty number
                return ReplaceNumber(file, at, s_numbers[c.Seed % s_numbers.Length]);
            default: // DeclaredSize: a zip's declared uncompressed sizes become a random value
                uint size = (c.Seed % 4) switch
                {
                    0 => (uint)c.Length,
                    1 => (uint)c.Position,
                    2 => uint.MaxValue - (uint)c.Length,
                    _ => (uint)(c.Position % (64 << 20)),
                };
                return WithDeclaredSize(file, size);
        }
    }

    private static readonly string[] s_numbers =
    [
        "-1", "0", "65536", "2147483647", "2147483648", "3037000500", "9223372036854775807",
        "99999999999999999999", "1e400", "-0", "1.5",
    ];

    private static byte[] ReplaceNumber(byte[] file, int at, string number)
    {
        int start = Array.FindIndex(file, at, b => b is >= (byte)'0' and <= (byte)'9');
        if (start < 0) return file;
        int end = start;
        while (end < file.Length && file[end] is >= (byte)'0' and <= (byte)'9') end++;
        return [.. file[..start], .. Encoding.ASCII.GetBytes(number), .. file[end..]];
    }

    private static byte[] ReplaceShape(byte[] file, Rng rng, int length)
    {
        string text = Encoding.Latin1.GetString(file);
        int open = text.IndexOf("'shape': (", StringComparison.Ordinal);
        if (open < 0) return file;
        open += "'shape': ".Length;
        int close = text.IndexOf(')', open);
        if (close < 0) return file;
        var dims = new string[1 + length % 4];
        for (int i = 0; i < dims.Length; i++)
            dims[i] = (rng.Integer(0, 4) switch
            {
                0 => rng.Integer(0, 16),
                1 => (long)rng.NextUInt32() << rng.Integer(0, 32),
                2 => long.MaxValue - rng.Integer(0, 3),
                _ => 3037000500L + rng.Integer(-1, 2),
            }).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string shape = "(" + string.Join(", ", dims) + (dims.Length == 1 ? ",)" : ")");
        // Keep the header length field right, so the new shape is what the reader sees.
        int headerEnd = 10 + BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(8));
        if (headerEnd > file.Length || close >= headerEnd) return file;
        string newHeader = text[10..open] + shape + text[(close + 1)..headerEnd];
        byte[] headerBytes = Encoding.Latin1.GetBytes(newHeader);
        byte[] result = [.. file[..10], .. headerBytes, .. file[headerEnd..]];
        BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)headerBytes.Length);
        return result;
    }
}
