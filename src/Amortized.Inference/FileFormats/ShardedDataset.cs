using Amortized.Inference.Simulators;
using Amortized.Tensors;

namespace Amortized.Inference.FileFormats;

/// <summary>
/// Reads a sharded dataset (a folder of <c>.npz</c> shards plus <c>manifest.json</c>, written by
/// <see cref="ShardedDatasetWriter"/>) in batches, without loading it all: at most one shard, or the chosen
/// buffer of shards, is in memory at a time. <see cref="ReadSequential"/> serves rows in stored order;
/// <see cref="ReadShuffled"/> serves them in an order fixed by a seed. Both serve every row exactly once.
/// </summary>
/// <remarks>
/// Shuffled order: the shard order is permuted; shards are then taken <c>bufferShards</c> at a time and the rows
/// of those shards are permuted together. Rows left over at the end of one buffer (fewer than a batch) are
/// copied out and start the next batch, so batches have the requested size except possibly the last.
/// Loaded shards are checked against the manifest (keys, dtypes, shapes, row count).
/// </remarks>
public sealed class ShardedDataset
{
    private readonly ShardManifest _manifest;
    private readonly ReadLimits _limits;
    private int _shardsHeld;

    private ShardedDataset(string directory, ShardManifest manifest, ReadLimits limits)
    {
        DirectoryPath = directory;
        _manifest = manifest;
        _limits = limits;
    }

    /// <summary>
    /// Opens the dataset in <paramref name="directory"/>: reads and checks the manifest and that every shard it
    /// lists exists. Throws <see cref="FileNotFoundException"/> for a missing manifest or shard and
    /// <see cref="InvalidDataException"/> for a corrupt manifest or one that declares arrays beyond
    /// <paramref name="limits"/> (default <see cref="ReadLimits.Default"/>), which also bound every shard read
    /// later: a shard that declares more than its manifest allows, or a zip bomb, is an
    /// <see cref="InvalidDataException"/> naming the shard's file, before it is inflated.
    /// </summary>
    public static ShardedDataset Open(string directory, ReadLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        limits ??= ReadLimits.Default;
        ShardManifest manifest = ShardManifest.Read(directory, limits);
        var dataset = new ShardedDataset(directory, manifest, limits);
        for (int i = 0; i < manifest.Shards.Count; i++) dataset.CheckShardExists(i);
        return dataset;
    }

    /// <summary>The dataset folder.</summary>
    public string DirectoryPath { get; }

    /// <summary>Total number of rows.</summary>
    public long Count => _manifest.TotalRows;

    /// <summary>Number of shards.</summary>
    public int ShardCount => _manifest.Shards.Count;

    /// <summary>Keys in stored order.</summary>
    public IReadOnlyList<string> Keys => _manifest.KeyNames();

    /// <summary>Per-row shape of <paramref name="key"/> (no batch axis).</summary>
    public ReadOnlySpan<int> RowShape(string key) => Find(key).RowShape;

    /// <summary>Element type of <paramref name="key"/> in the shards (batches hold float32 either way).</summary>
    public NpyDType DType(string key) => Find(key).DType;

    /// <summary>Rows in shard <paramref name="index"/>.</summary>
    public int ShardRows(int index) => _manifest.Shards[index].Rows;

    /// <summary>Shards loaded by running enumerations right now (memory use is about this many shards).</summary>
    internal int ShardsHeld => _shardsHeld;

    /// <summary>The largest <see cref="ShardsHeld"/> seen since the dataset was opened or the counter reset.</summary>
    internal int PeakShardsHeld { get; private set; }

    internal void ResetPeak() => PeakShardsHeld = _shardsHeld;

    /// <summary>Loads shard <paramref name="index"/> as one batch (integer dtypes flagged integer).</summary>
    public SimulationBatch ReadShard(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ShardCount);
        string path = CheckShardExists(index);
        int rows = _manifest.Shards[index].Rows;
        // The manifest says what the shard holds (checked against the limits when it was read), so a shard that
        // declares more is refused before anything is inflated, even within the general limits.
        long expected = _manifest.ShardBytes(rows) + (long)_manifest.Keys.Count * (_limits.MaxNpyHeaderBytes + 12);
        Dictionary<string, NpyArray> arrays = Npy.ReadNpz(path, _limits,
            (expected, $"{rows} rows as {ShardManifest.FileName} declares, with their npy headers"));
        _manifest.CheckShard(path, rows, arrays);
        var batch = new SimulationBatch(rows);
        foreach (ShardManifest.KeySpec k in _manifest.Keys)
        {
            NpyArray a = arrays[k.Name];
            batch.SetCore(k.Name, a.TakeFloat32(), a.Shape, k.DType is not (NpyDType.Float32 or NpyDType.Float64));
        }
        return batch;
    }

    /// <summary>
    /// Batches of <paramref name="batchSize"/> rows in stored order (the last may be smaller); one shard in memory.
    /// </summary>
    public IEnumerable<SimulationBatch> ReadSequential(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var order = new int[ShardCount];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        return Batches(batchSize, order, bufferShards: 1, rng: null);
    }

    /// <summary>
    /// Batches of <paramref name="batchSize"/> rows in a random order determined by <paramref name="seed"/> (the
    /// last may be smaller); every row is served once. Use a new seed per epoch, e.g. seed + epoch.
    /// </summary>
    /// <param name="batchSize">Rows per batch.</param>
    /// <param name="seed">Same seed (and buffer), same order.</param>
    /// <param name="bufferShards">Shards whose rows are mixed together; memory holds this many shards.</param>
    public IEnumerable<SimulationBatch> ReadShuffled(int batchSize, ulong seed, int bufferShards = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferShards, 1);
        var rng = new Rng(seed);
        var order = new int[ShardCount];
        rng.Permutation(order);
        return Batches(batchSize, order, bufferShards, rng);
    }

    private IEnumerable<SimulationBatch> Batches(int batchSize, int[] shardOrder, int bufferShards, Rng? rng)
    {
        var pending = new List<(SimulationBatch Source, int Row)>(batchSize);
        for (int start = 0; start < shardOrder.Length; start += bufferShards)
        {
            int count = Math.Min(bufferShards, shardOrder.Length - start);
            var window = new SimulationBatch[count];
            var offsets = new int[count + 1]; // window row r lies in shard s where offsets[s] <= r < offsets[s + 1]
            int held = 0;
            try
            {
                for (int i = 0; i < count; i++)
                {
                    Hold();
                    held++;
                    window[i] = ReadShard(shardOrder[start + i]);
                    offsets[i + 1] = offsets[i] + window[i].BatchSize;
                }
                var rows = new int[offsets[count]];
                if (rng is null) for (int i = 0; i < rows.Length; i++) rows[i] = i;
                else rng.Permutation(rows);
                foreach (int r in rows)
                {
                    int shard = ShardOf(offsets, r);
                    pending.Add((window[shard], r - offsets[shard]));
                    if (pending.Count == batchSize)
                    {
                        yield return Gather(pending);
                        pending.Clear();
                    }
                }
                // Copy the leftover rows out so the window's shards can be released.
                if (pending.Count > 0)
                {
                    SimulationBatch carry = Gather(pending);
                    pending.Clear();
                    for (int i = 0; i < carry.BatchSize; i++) pending.Add((carry, i));
                }
            }
            finally
            {
                Array.Clear(window); // drop the shards before the next window loads
                Release(held);
            }
        }
        if (pending.Count > 0) yield return Gather(pending);
    }

    private static int ShardOf(int[] offsets, int row)
    {
        int shard = 0;
        while (row >= offsets[shard + 1]) shard++;
        return shard;
    }

    /// <summary>A batch of the given (source, row) pairs, in order, for every key.</summary>
    private SimulationBatch Gather(List<(SimulationBatch Source, int Row)> rows)
    {
        var batch = new SimulationBatch(rows.Count);
        foreach (ShardManifest.KeySpec k in _manifest.Keys)
        {
            int len = ShapeText.Product(k.RowShape);
            var data = new float[checked(rows.Count * len)];
            for (int i = 0; i < rows.Count; i++)
                Array.Copy(rows[i].Source.Get(k.Name), rows[i].Row * len, data, i * len, len);
            batch.SetCore(k.Name, data, [rows.Count, .. k.RowShape],
                k.DType is not (NpyDType.Float32 or NpyDType.Float64));
        }
        return batch;
    }

    private void Hold()
    {
        _shardsHeld++;
        PeakShardsHeld = Math.Max(PeakShardsHeld, _shardsHeld);
    }

    private void Release(int count) => _shardsHeld -= count;

    private string CheckShardExists(int index)
    {
        string file = _manifest.Shards[index].File;
        string path = Path.Combine(DirectoryPath, file);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"Sharded dataset {DirectoryPath}: shard {index} '{file}' listed in " +
                $"{ShardManifest.FileName} is missing.", path);
        return path;
    }

    private ShardManifest.KeySpec Find(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _manifest.FindKey(key)
            ?? throw new KeyNotFoundException(
                $"ShardedDataset: no key '{key}'; the dataset has {ShapeText.Keys(Keys)}.");
    }
}
