using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Xunit;

namespace Amortized.Inference.Tests.FileFormats;

/// <summary>Manifest-free sharded folders: npz files, npy groups, registered formats, order, skipping and checks.</summary>
public sealed class ShardFolderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"amortized-shardfolder-{Guid.NewGuid():N}");

    public ShardFolderTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Rows [start, start + count): id (int32), theta (2,) = (id, -id), x (3,) = id + j/10.</summary>
    private static List<KeyValuePair<string, NpyArray>> Rows(int start, int count, int thetaWidth = 2)
    {
        var ids = new int[count];
        var theta = new float[count * thetaWidth];
        var x = new double[count * 3];
        for (int i = 0; i < count; i++)
        {
            ids[i] = start + i;
            for (int j = 0; j < thetaWidth; j++) theta[thetaWidth * i + j] = j == 0 ? start + i : -(start + i);
            for (int j = 0; j < 3; j++) x[3 * i + j] = start + i + j / 10.0;
        }
        return
        [
            new("id", new NpyArray(NpyDType.Int32, [count], ids)),
            new("theta", NpyArray.FromFloats(theta, count, thetaWidth)),
            new("x", new NpyArray(NpyDType.Float64, [count, 3], x)),
        ];
    }

    private void Npz(string name, int start, int count, bool compress = false) =>
        Npy.WriteNpz(Path.Combine(_dir, name), Rows(start, count), compress);

    private void Group(string name, int start, int count)
    {
        string folder = Path.Combine(_dir, name);
        Directory.CreateDirectory(folder);
        foreach (var (key, array) in Rows(start, count)) Npy.Write(Path.Combine(folder, key + ".npy"), array);
    }

    private static List<int> Ids(IEnumerable<SimulationBatch> batches) =>
        batches.SelectMany(b => b.GetIntegers("id")).ToList();

    [Fact]
    public void NpzFolder_NaturalOrder_SkipsInFlightAndMarkers_ReadsEveryRow()
    {
        // Natural order puts part-2 before part-10; ordinal order would not.
        Npz("part-10.npz", 20, 5, compress: true);
        Npz("part-2.npz", 5, 7);
        Npz("part-1.npz", 0, 5);
        File.WriteAllText(Path.Combine(_dir, "_SUCCESS"), "");
        File.WriteAllText(Path.Combine(_dir, ".part-11.npz.crc"), "x");
        File.WriteAllText(Path.Combine(_dir, "part-12.npz.tmp"), "half a file");
        File.WriteAllText(Path.Combine(_dir, "part-13.npz.part"), "half a file");
        Directory.CreateDirectory(Path.Combine(_dir, "_temporary"));
        Npz("part-3.npz", 12, 8);

        ShardedDataset ds = ShardedDataset.Open(_dir);
        Assert.False(ds.HasManifest);
        Assert.True(ds.IsComplete);
        Assert.Equal(4, ds.ShardCount);
        Assert.Equal(25, ds.Count);
        Assert.Equal(["part-1.npz", "part-2.npz", "part-3.npz", "part-10.npz"],
            Enumerable.Range(0, 4).Select(ds.ShardName));
        Assert.Equal(["id", "theta", "x"], ds.Keys);
        Assert.Equal(NpyDType.Float64, ds.DType("x"));
        Assert.Equal([3], ds.RowShape("x").ToArray());

        Assert.Equal(Enumerable.Range(0, 25), Ids(ds.ReadSequential(4)));
        SimulationBatch all = SimulationBatch.Concatenate(ds.ReadSequential(6).ToList());
        Assert.True(all.IsInteger("id"));
        Assert.Equal(12f, all.Get("theta")[24]);      // row 12: theta = (12, -12)
        Assert.Equal(12.2f, all.Get("x")[38], 5);     // row 12: x[2] = 12.2
        var shuffled = Ids(ds.ReadShuffled(4, seed: 3, bufferShards: 2));
        Assert.NotEqual(Enumerable.Range(0, 25), shuffled);
        Assert.Equal(Enumerable.Range(0, 25), shuffled.Order());
    }

    [Fact]
    public void NpyGroups_OneFolderPerShard_ReadLikeNpz()
    {
        Group("shard-1", 0, 4);
        Group("shard-0", 4, 3);   // natural order: shard-0 first
        ShardedDataset ds = ShardedDataset.Open(_dir);
        Assert.Equal(2, ds.ShardCount);
        Assert.Equal(["id", "theta", "x"], ds.Keys);
        Assert.Equal([4, 5, 6, 0, 1, 2, 3], Ids(ds.ReadSequential(3)));
        Assert.True(ds.ReadShard(1).IsInteger("id"));
    }

    [Fact]
    public void LooseNpyFiles_AreOneShard_AndMayNotMixWithShards()
    {
        foreach (var (key, array) in Rows(0, 6)) Npy.Write(Path.Combine(_dir, key + ".npy"), array);
        ShardedDataset ds = ShardedDataset.Open(_dir);
        Assert.Equal(1, ds.ShardCount);
        Assert.Equal(Enumerable.Range(0, 6), Ids(ds.ReadSequential(4)));

        Npz("part-0.npz", 6, 2);
        var e = Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(_dir));
        Assert.Contains("loose .npy files ('id.npy') beside the shard 'part-0.npz'", e.Message);
    }

    [Fact]
    public void ShardsDisagree_ErrorNamesShardKeyExpectedAndActual()
    {
        Npz("part-0.npz", 0, 4);
        Npy.WriteNpz(Path.Combine(_dir, "part-1.npz"), Rows(4, 4, thetaWidth: 3));
        var shape = Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(_dir));
        Assert.StartsWith(Path.Combine(_dir, "part-1.npz"), shape.Message);
        Assert.Contains("key 'theta' has rows of shape (3,); expected (2,) as in the first shard 'part-0.npz'",
            shape.Message);

        var rows = Rows(4, 4);
        rows[0] = new("id", NpyArray.FromFloats([4, 5, 6, 7], 4));
        Npy.WriteNpz(Path.Combine(_dir, "part-1.npz"), rows);
        Assert.Contains("part-1.npz: key 'id' is float32; expected int32 as in the first shard 'part-0.npz'",
            Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(_dir)).Message);

        Npy.WriteNpz(Path.Combine(_dir, "part-1.npz"), Rows(4, 4).Take(2));
        Assert.Contains("part-1.npz: lacks key 'x' of the first shard 'part-0.npz'; the shard holds [id, theta]",
            Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(_dir)).Message);

        Npy.WriteNpz(Path.Combine(_dir, "part-1.npz"), [.. Rows(4, 4), new("z", NpyArray.FromFloats(new float[4], 4))]);
        Assert.Contains("part-1.npz: has key 'z', which the first shard 'part-0.npz' lacks",
            Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(_dir)).Message);

        Npy.WriteNpz(Path.Combine(_dir, "part-1.npz"),
            [new("id", new NpyArray(NpyDType.Int32, [4], new int[4])), new("theta", NpyArray.FromFloats(new float[6], 3, 2))]);
        Assert.Contains("part-1.npz: key 'theta' has 3 rows (shape (3, 2)); key 'id' has 4",
            Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(_dir)).Message);

        Npy.WriteNpz(Path.Combine(_dir, "part-1.npz"), [new("id", new NpyArray(NpyDType.Int32, [], new int[1]))]);
        Assert.Contains("part-1.npz: key 'id' is a scalar",
            Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(_dir)).Message);
    }

    [Fact]
    public void EmptyFolder_StrayFile_MissingFolder_ClearErrors()
    {
        var empty = Assert.Throws<FileNotFoundException>(() => ShardedDataset.Open(_dir));
        Assert.Contains("has no manifest.json and no shards", empty.Message);

        File.WriteAllText(Path.Combine(_dir, "_SUCCESS"), "");
        Assert.Throws<FileNotFoundException>(() => ShardedDataset.Open(_dir));   // markers are not shards

        Npz("part-0.npz", 0, 4);
        File.WriteAllText(Path.Combine(_dir, "notes.txt"), "hello");
        var stray = Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(_dir));
        Assert.Contains("'notes.txt' is not a shard of any known format (npz, npy group", stray.Message);

        File.Delete(Path.Combine(_dir, "notes.txt"));
        Directory.CreateDirectory(Path.Combine(_dir, "group"));
        File.WriteAllText(Path.Combine(_dir, "group", "readme.md"), "");
        Assert.Contains("'group' is not a shard", Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(_dir)).Message);
        File.WriteAllText(Path.Combine(_dir, "group", "x.npy"), "");
        Assert.Contains("'readme.md' is not one", Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(_dir)).Message);

        Assert.Throws<DirectoryNotFoundException>(() => ShardedDataset.OpenGrowing(Path.Combine(_dir, "nope")));
    }

    [Fact]
    public void Scan_ReadsOnlyHeaders_CorruptDataFoundWhenTheShardIsRead()
    {
        Npz("part-0.npz", 0, 1000, compress: true);
        // Garble the deflated x array past its header: the header still inflates and describes the shard.
        string path = Path.Combine(_dir, "part-0.npz");
        byte[] bytes = File.ReadAllBytes(path);
        int start = bytes.AsSpan().IndexOf("x.npy"u8), end = bytes.AsSpan().LastIndexOf("x.npy"u8);
        int at = (start + end) / 2;
        for (int i = 0; i < 64; i++) bytes[at + i] ^= 0x5A;
        File.WriteAllBytes(path, bytes);
        ShardedDataset ds = ShardedDataset.Open(_dir);
        Assert.Equal(1000, ds.Count);
        Npz("part-1.npz", 1000, 3, compress: true);
        Assert.Equal(1, ds.Refresh());
        Assert.Equal(1003, ds.Count);
        var e = Assert.Throws<InvalidDataException>(() => ds.ReadShard(0));
        Assert.Contains("part-0.npz", e.Message);
    }

    [Fact]
    public void ShardReplacedAfterScan_ByLargerOne_RefusedBeforeInflating()
    {
        Npz("part-0.npz", 0, 4);
        ShardedDataset ds = ShardedDataset.Open(_dir);
        Npz("part-0.npz", 0, 40_000);   // beyond 4 rows plus the largest npy headers
        var e = Assert.Throws<InvalidDataException>(() => ds.ReadShard(0));
        Assert.Contains("part-0.npz", e.Message);
        Assert.Contains("4 rows as its headers declared when the folder was scanned", e.Message);
        Npz("part-0.npz", 0, 3);
        Assert.Contains("key 'id' has shape (3,); the schema scanned from its headers says (4,)",
            Assert.Throws<InvalidDataException>(() => ds.ReadShard(0)).Message);
    }

    [Fact]
    public void Refresh_AddsNewShardsAfterKnownOnes_IndicesStable()
    {
        var ds = ShardedDataset.OpenGrowing(_dir);
        Assert.Equal(0, ds.ShardCount);
        Assert.Empty(ds.Keys);
        Assert.False(ds.IsComplete);
        Npz("part-5.npz", 0, 3);
        Assert.Equal(1, ds.Refresh());
        Npz("part-1.npz", 3, 2);   // lands later though it sorts first: appended, index 0 keeps its shard
        Npz("part-7.npz", 5, 2);
        Assert.Equal(2, ds.Refresh());
        Assert.Equal(0, ds.Refresh());
        Assert.Equal(["part-5.npz", "part-1.npz", "part-7.npz"], Enumerable.Range(0, 3).Select(ds.ShardName));
        Assert.Equal(7, ds.Count);
        Assert.Equal(Enumerable.Range(0, 7), Ids(ds.ReadSequential(2)));

        Npy.WriteNpz(Path.Combine(_dir, "part-8.npz"), Rows(7, 2, thetaWidth: 1));
        Assert.Contains("part-8.npz: key 'theta'", Assert.Throws<InvalidDataException>(() => ds.Refresh()).Message);

        using (var writer = new ShardedDatasetWriter(Path.Combine(_dir, "..", Path.GetFileName(_dir) + "-m"), 4))
            writer.Append(new SimulationBatch(4).Set("x", new float[4], 4));
        var manifest = ShardedDataset.Open(Path.Combine(_dir, "..", Path.GetFileName(_dir) + "-m"));
        Assert.True(manifest.HasManifest);
        Assert.Throws<InvalidOperationException>(() => manifest.Refresh());
        Directory.Delete(Path.Combine(_dir, "..", Path.GetFileName(_dir) + "-m"), recursive: true);
    }

    /// <summary>
    /// A registered format with several parts per file (as Parquet has row groups): "*.rows" text files whose
    /// lines are "part rows", a key v of one float per row equal to the global row index.
    /// </summary>
    private sealed class RowsFormat : IShardFormat
    {
        public string Name => "test-rows";
        public bool Claims(string path) => path.EndsWith(".rows", StringComparison.Ordinal) && File.Exists(path);

        public ShardSchema Inspect(string path, ReadLimits limits) =>
            new([new ShardKey("v", [], NpyDType.Float32)],
                [.. File.ReadAllLines(path).Skip(1).Select(l => int.Parse(l.Split(' ')[1]))]);

        public SimulationBatch ReadPart(string path, int part, ShardSchema schema, ReadLimits limits)
        {
            int start = int.Parse(File.ReadAllLines(path)[0]) + schema.PartRows.Take(part).Sum();
            int rows = schema.PartRows[part];
            return new SimulationBatch(rows).Set("v", [.. Enumerable.Range(start, rows).Select(i => (float)i)], rows);
        }
    }

    [Fact]
    public void RegisteredFormat_FilesWithSeveralParts_ReadPartByPart()
    {
        ShardFormats.Register(new RowsFormat());
        File.WriteAllLines(Path.Combine(_dir, "b-2.rows"), ["0", "0 3", "1 0", "2 2"]);   // an empty part is skipped
        File.WriteAllLines(Path.Combine(_dir, "b-10.rows"), ["5", "0 4"]);
        ShardedDataset ds = ShardedDataset.Open(_dir);
        Assert.Equal(3, ds.ShardCount);
        Assert.Equal(["b-2.rows part 0", "b-2.rows part 2", "b-10.rows"], Enumerable.Range(0, 3).Select(ds.ShardName));
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (float)i),
            ds.ReadSequential(4).SelectMany(b => b.Get("v")));

        File.WriteAllLines(Path.Combine(_dir, "b-11.rows"), ["9", $"0 {int.MaxValue}"]);
        var e = Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(_dir,
            ReadLimits.Default with { MaxTotalBytes = 1 << 20 }));
        Assert.Contains($"b-11.rows: part 0 declares {int.MaxValue} rows of 4 bytes", e.Message);
    }
}
