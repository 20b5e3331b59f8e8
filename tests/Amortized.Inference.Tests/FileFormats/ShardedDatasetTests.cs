using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Xunit;

namespace Amortized.Inference.Tests.FileFormats;

public sealed class ShardedDatasetTests : IDisposable
{
    // 10 batches of mixed sizes (one empty) over shards of 16 rows: 90 rows, 6 shards (5 full, one of 10).
    private static readonly int[] s_batchSizes = [7, 1, 13, 25, 3, 9, 0, 17, 4, 11];
    private const int RowsPerShard = 16;
    private const int TotalRows = 90;

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"amortized-shards-{Environment.ProcessId}-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    /// <summary>Rows [start, start + count): id = row index (integer), theta (2,), x (3, 2), all derived from id.</summary>
    private static SimulationBatch Rows(int start, int count)
    {
        var ids = new int[count];
        var theta = new float[count * 2];
        var x = new float[count * 6];
        for (int i = 0; i < count; i++)
        {
            int id = start + i;
            ids[i] = id;
            theta[2 * i] = id + 0.25f;
            theta[2 * i + 1] = -id / 7f;
            for (int j = 0; j < 6; j++) x[6 * i + j] = id * 1e-3f + j * 1e30f;
        }
        return new SimulationBatch(count).SetIntegers("id", ids, count).Set("theta", theta, count, 2).Set("x", x, count, 3, 2);
    }

    private string WriteDataset(string name = "ds", bool compress = false)
    {
        string dir = Path.Combine(_root, name);
        using var writer = new ShardedDatasetWriter(dir, RowsPerShard, compress);
        int start = 0;
        foreach (int size in s_batchSizes)
        {
            writer.Append(Rows(start, size));
            start += size;
        }
        Assert.Equal(TotalRows, writer.Count);
        return dir;
    }

    private static List<int> Ids(IEnumerable<SimulationBatch> batches)
    {
        var ids = new List<int>();
        foreach (SimulationBatch b in batches)
        {
            int[] batchIds = b.GetIntegers("id");
            SimulationBatch expected = Rows(0, TotalRows).SelectRows(batchIds);
            Assert.Equal(expected.Get("theta"), b.Get("theta"));
            Assert.Equal(expected.Get("x"), b.Get("x"));
            ids.AddRange(batchIds);
        }
        return ids;
    }

    /// <summary>Writes a shard as the writer would (id as int32), bypassing the writer's checks.</summary>
    private static void WriteShard(string path, SimulationBatch batch)
    {
        var arrays = new List<KeyValuePair<string, NpyArray>>();
        foreach (string key in batch.Keys)
        {
            int[] shape = batch.Shape(key).ToArray();
            arrays.Add(new(key, key == "id"
                ? new NpyArray(NpyDType.Int32, shape, batch.GetIntegers(key))
                : NpyArray.FromFloats(batch.Get(key), shape)));
        }
        Npy.WriteNpz(path, arrays);
    }

    [Fact]
    public void Writer_MixedBatches_ShardsAndManifest()
    {
        string dir = WriteDataset();
        ShardedDataset ds = ShardedDataset.Open(dir);
        Assert.Equal(TotalRows, ds.Count);
        Assert.Equal(6, ds.ShardCount);
        for (int i = 0; i < 5; i++) Assert.Equal(RowsPerShard, ds.ShardRows(i));
        Assert.Equal(10, ds.ShardRows(5));
        Assert.Equal(["id", "theta", "x"], ds.Keys);
        Assert.Equal([3, 2], ds.RowShape("x").ToArray());
        Assert.Equal(NpyDType.Int32, ds.DType("id"));
        Assert.Equal(NpyDType.Float32, ds.DType("theta"));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        Assert.True(File.Exists(Path.Combine(dir, "shard-00005.npz")));
    }

    [Fact]
    public void Writer_BeforeComplete_FolderReadsAsTheFullShardsSoFar()
    {
        string dir = Path.Combine(_root, "partial");
        var writer = new ShardedDatasetWriter(dir, RowsPerShard);
        writer.Append(Rows(0, 20));
        Assert.Equal(20, writer.Count);
        ShardedDataset partial = ShardedDataset.Open(dir);
        Assert.Equal(RowsPerShard, partial.Count);
        Assert.Equal(Enumerable.Range(0, RowsPerShard), Ids(partial.ReadSequential(5)));

        writer.Complete();
        Assert.Throws<ObjectDisposedException>(() => writer.Append(Rows(20, 1)));
        Assert.Equal(20, ShardedDataset.Open(dir).Count);
    }

    [Fact]
    public void ReadSequential_AllRowsExactlyInOrder()
    {
        ShardedDataset ds = ShardedDataset.Open(WriteDataset());
        var batches = ds.ReadSequential(10).ToList();
        Assert.All(batches, b => Assert.Equal(10, b.BatchSize));
        SimulationBatch all = SimulationBatch.Concatenate(batches);
        SimulationBatch expected = Rows(0, TotalRows);
        Assert.Equal(expected.Get("id"), all.Get("id"));
        Assert.Equal(expected.Get("theta"), all.Get("theta"));
        Assert.Equal(expected.Get("x"), all.Get("x"));
        Assert.True(all.IsInteger("id"));
        Assert.Equal([TotalRows, 3, 2], all.Shape("x").ToArray());
        Assert.True(ds.PeakShardsHeld <= 1);
        Assert.Equal(0, ds.ShardsHeld);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ReadShuffled_EveryRowOncePerEpochAndMemoryBounded(int bufferShards)
    {
        ShardedDataset ds = ShardedDataset.Open(WriteDataset(compress: bufferShards == 2));
        var batches = ds.ReadShuffled(8, seed: 17, bufferShards).ToList();
        for (int i = 0; i < batches.Count - 1; i++) Assert.Equal(8, batches[i].BatchSize);
        Assert.Equal(TotalRows % 8, batches[^1].BatchSize);
        List<int> ids = Ids(batches);
        Assert.Equal(Enumerable.Range(0, TotalRows), ids.Order());
        Assert.NotEqual(Enumerable.Range(0, TotalRows), ids);
        Assert.True(ds.PeakShardsHeld <= bufferShards, $"peak {ds.PeakShardsHeld} shards held");
        Assert.Equal(bufferShards, ds.PeakShardsHeld);
        Assert.Equal(0, ds.ShardsHeld);
    }

    [Fact]
    public void ReadShuffled_SameSeedSameOrder_OtherSeedOtherOrder()
    {
        ShardedDataset ds = ShardedDataset.Open(WriteDataset());
        List<int> a = Ids(ds.ReadShuffled(7, seed: 42, bufferShards: 2));
        List<int> b = Ids(ds.ReadShuffled(7, seed: 42, bufferShards: 2));
        List<int> c = Ids(ds.ReadShuffled(7, seed: 43, bufferShards: 2));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(a.Order(), c.Order());
    }

    [Fact]
    public void ReadShuffled_AbandonedEarly_ReleasesShards()
    {
        ShardedDataset ds = ShardedDataset.Open(WriteDataset());
        SimulationBatch first = ds.ReadShuffled(4, seed: 1, bufferShards: 2).First();
        Assert.Equal(4, first.BatchSize);
        Assert.Equal(0, ds.ShardsHeld);
    }

    [Fact]
    public void Writer_MismatchedBatch_ThrowsNamingKeyAndShapes()
    {
        using var writer = new ShardedDatasetWriter(Path.Combine(_root, "bad"), RowsPerShard);
        writer.Append(Rows(0, 3));
        var shape = Assert.Throws<ArgumentException>(() => writer.Append(new SimulationBatch(1)
            .SetIntegers("id", [3], 1).Set("theta", [1, 2, 3], 1, 3).Set("x", new float[6], 1, 3, 2)));
        Assert.Contains("'theta' in batch 1", shape.Message);
        Assert.Contains("(3,)", shape.Message);
        Assert.Contains("(2,)", shape.Message);

        var missing = Assert.Throws<ArgumentException>(() => writer.Append(new SimulationBatch(1).Set("theta", [1, 2], 1, 2)));
        Assert.Contains("lacks key 'id'", missing.Message);
    }

    [Fact]
    public void Writer_FolderAlreadyHoldsDataset_Throws()
    {
        string dir = WriteDataset();
        var e = Assert.Throws<IOException>(() => new ShardedDatasetWriter(dir, RowsPerShard));
        Assert.Contains("already holds a dataset", e.Message);
    }

    [Fact]
    public void Open_MissingManifest_ClearError()
    {
        Directory.CreateDirectory(_root);
        var e = Assert.Throws<FileNotFoundException>(() => ShardedDataset.Open(_root));
        Assert.Contains("manifest.json", e.Message);
    }

    [Theory]
    [InlineData("{ not json", "not valid JSON")]
    [InlineData("[]", "expected a JSON object")]
    [InlineData("{\"format\": \"amortized-sharded-dataset\", \"version\": 1}", "field 'keys' is missing")]
    [InlineData("{\"format\": \"amortized-sharded-dataset\", \"version\": 9}", "version 9 is not supported")]
    [InlineData("{\"format\": \"amortized-sharded-dataset\", \"version\": 1, \"keys\": [], \"shards\": [], \"total_rows\": 5}",
        "total_rows is 5")]
    [InlineData("{\"format\": \"amortized-sharded-dataset\", \"version\": 1, \"keys\": [{\"name\": \"a\", \"shape\": [], \"dtype\": \"float16\"}]}",
        "dtype 'float16'")]
    [InlineData("{\"format\": \"amortized-sharded-dataset\", \"version\": 1, \"keys\": [], \"shards\": [{\"file\": \"../x.npz\", \"rows\": 1}]}",
        "plain file name")]
    public void Open_CorruptManifest_NamesFileAndProblem(string json, string expected)
    {
        Directory.CreateDirectory(_root);
        File.WriteAllText(Path.Combine(_root, "manifest.json"), json);
        var e = Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(_root));
        Assert.Contains("manifest.json", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Open_MissingShard_NamesShard()
    {
        string dir = WriteDataset();
        File.Delete(Path.Combine(dir, "shard-00003.npz"));
        var e = Assert.Throws<FileNotFoundException>(() => ShardedDataset.Open(dir));
        Assert.Contains("shard 3 'shard-00003.npz'", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void Read_ShardDisagreesWithManifest_NamesKeyAndShapes()
    {
        string dir = WriteDataset();
        ShardedDataset ds = ShardedDataset.Open(dir);
        string shard = Path.Combine(dir, "shard-00001.npz");

        WriteShard(shard, Rows(16, 16).Set("theta", new float[48], 16, 3));
        var shape = Assert.Throws<InvalidDataException>(() => ds.ReadShard(1));
        Assert.Contains("shard-00001.npz", shape.Message);
        Assert.Contains("key 'theta' has shape (16, 3)", shape.Message);
        Assert.Contains("manifest says (16, 2)", shape.Message);

        WriteShard(shard, Rows(16, 15));
        var rows = Assert.Throws<InvalidDataException>(() => ds.ReadSequential(4).ToList());
        Assert.Contains("key 'id' has shape (15,); the manifest says (16,) (16 rows of ())", rows.Message);

        SimulationBatch extra = Rows(16, 16).Set("z", new float[16], 16);
        extra.Remove("x");
        WriteShard(shard, extra);
        Assert.Contains("key 'x' of the manifest is missing", Assert.Throws<InvalidDataException>(() => ds.ReadShard(1)).Message);

        Npy.WriteNpz(shard, Rows(16, 16)); // float32 ids: the manifest says int32
        Assert.Contains("'id' is float32; the manifest says int32", Assert.Throws<InvalidDataException>(() => ds.ReadShard(1)).Message);

        File.WriteAllBytes(shard, [1, 2, 3]);
        Assert.Contains(".npz", Assert.Throws<InvalidDataException>(() => ds.ReadShard(1)).Message);
        Assert.Equal(0, ds.ShardsHeld);
    }

    [Fact]
    public void Checksums_RecordedPerShard_ValueChangedInPlaceIsRefused()
    {
        string dir = WriteDataset();
        string manifest = File.ReadAllText(Path.Combine(dir, "manifest.json"));
        Assert.Contains($"\"sha256\": \"{ShardManifest.Sha256(Path.Combine(dir, "shard-00002.npz"))}\"", manifest);
        ShardedDataset ds = ShardedDataset.Open(dir);
        Assert.Equal(TotalRows, Ids(ds.ReadSequential(7)).Count);

        // Same keys and shapes, one value changed: only the checksum can tell.
        SimulationBatch changed = Rows(32, 16);
        changed.Get("theta")[5] += 1;
        WriteShard(Path.Combine(dir, "shard-00002.npz"), changed);
        var e = Assert.Throws<InvalidDataException>(() => ds.ReadShard(2));
        Assert.StartsWith(Path.Combine(dir, "shard-00002.npz") + ": its SHA-256 is ", e.Message);
        Assert.Contains("manifest.json says", e.Message);

        // A manifest without checksums (written before they existed) still reads; a malformed one is refused.
        File.WriteAllText(Path.Combine(dir, "manifest.json"),
            System.Text.RegularExpressions.Regex.Replace(manifest, ",\\s*\"sha256\": \"[0-9a-f]+\"", ""));
        Assert.Equal(16, ShardedDataset.Open(dir).ReadShard(2).BatchSize);
        File.WriteAllText(Path.Combine(dir, "manifest.json"), manifest.Replace("\"sha256\": \"", "\"sha256\": \"XY"));
        Assert.Contains("expected 64 lower-case hex digits",
            Assert.Throws<InvalidDataException>(() => ShardedDataset.Open(dir)).Message);
    }

    [Fact]
    public void Writer_NothingAppended_EmptyDataset()
    {
        string dir = Path.Combine(_root, "empty");
        new ShardedDatasetWriter(dir, 4).Dispose();
        ShardedDataset ds = ShardedDataset.Open(dir);
        Assert.Equal(0, ds.Count);
        Assert.Empty(ds.ReadShuffled(3, seed: 1));
    }
}
