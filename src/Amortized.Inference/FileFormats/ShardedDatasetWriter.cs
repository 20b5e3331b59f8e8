using System.Globalization;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.FileFormats;

/// <summary>
/// Writes a sharded dataset incrementally: a folder of <c>.npz</c> shards of <see cref="RowsPerShard"/> rows
/// (the last may be shorter) plus <c>manifest.json</c> (see <see cref="ShardedDataset"/>), which records each shard's
/// rows and SHA-256 (checked when the shard is read). Appended rows are
/// buffered until a shard is full; each shard, then the manifest listing it, is written atomically (temporary
/// file, then rename), so after a crash the folder still reads as the shards completed so far.
/// The first appended batch fixes the keys, their per-row shapes and whether they are integer-valued
/// (stored as int32; float keys as float32). <see cref="Complete"/> (or Dispose) writes the last, partial shard.
/// </summary>
public sealed class ShardedDatasetWriter : IDisposable
{
    private readonly ShardManifest _manifest = new();
    private readonly List<SimulationBatch> _pending = [];
    private int _pendingRows;
    private int _batchesAppended;
    private bool _completed;

    /// <summary>
    /// Starts a dataset in <paramref name="directory"/> (created if needed; it must not already hold a manifest).
    /// </summary>
    /// <param name="directory">The dataset folder.</param>
    /// <param name="rowsPerShard">Rows per shard; a reader holds one shard (or a buffer of a few) in memory.</param>
    /// <param name="compress">Deflate the shards (smaller files, slower writing and reading).</param>
    public ShardedDatasetWriter(string directory, int rowsPerShard, bool compress = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerShard, 1);
        if (File.Exists(Path.Combine(directory, ShardManifest.FileName)))
            throw new IOException(
                $"ShardedDatasetWriter: {directory} already holds a dataset ({ShardManifest.FileName}); "
                + "write into an empty folder or delete it first.");
        Directory.CreateDirectory(directory);
        DirectoryPath = directory;
        RowsPerShard = rowsPerShard;
        Compress = compress;
    }

    /// <summary>The dataset folder.</summary>
    public string DirectoryPath { get; }

    /// <summary>Rows per full shard.</summary>
    public int RowsPerShard { get; }

    /// <summary>Whether shards are deflated.</summary>
    public bool Compress { get; }

    /// <summary>Rows appended so far (written or still buffered).</summary>
    public long Count => _manifest.TotalRows + _pendingRows;

    /// <summary>Shards written so far.</summary>
    public int ShardCount => _manifest.Shards.Count;

    /// <summary>
    /// Appends the rows of <paramref name="batch"/> (copied, so the caller may reuse it). Every batch must hold
    /// the keys of the first one with the same per-row shapes and integer flags; the error names the key and
    /// the batch. Writes a shard each time <see cref="RowsPerShard"/> rows have accumulated.
    /// </summary>
    public void Append(SimulationBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_batchesAppended == 0) FixSchema(batch);
        else CheckSchema(batch, _batchesAppended);
        _batchesAppended++;
        if (batch.BatchSize == 0) return;
        _pending.Add(batch.Clone());
        _pendingRows += batch.BatchSize;
        while (_pendingRows >= RowsPerShard)
        {
            SimulationBatch all = _pending.Count == 1 ? _pending[0] : SimulationBatch.Concatenate(_pending);
            _pending.Clear();
            WriteShard(all.BatchSize == RowsPerShard ? all : all.Slice(0, RowsPerShard));
            _pendingRows -= RowsPerShard;
            if (_pendingRows > 0) _pending.Add(all.Slice(RowsPerShard, _pendingRows));
        }
    }

    /// <summary>
    /// Writes the buffered rows as a last (shorter) shard and the final manifest. Appending afterwards is an
    /// error. A dataset to which nothing was appended gets a manifest with no keys and no shards.
    /// </summary>
    public void Complete()
    {
        if (_completed) return;
        _completed = true;
        if (_pendingRows > 0)
        {
            WriteShard(_pending.Count == 1 ? _pending[0] : SimulationBatch.Concatenate(_pending));
            _pending.Clear();
            _pendingRows = 0;
        }
        else if (ShardCount == 0) WriteManifest();
    }

    /// <summary>Same as <see cref="Complete"/>.</summary>
    public void Dispose() => Complete();

    private void FixSchema(SimulationBatch batch)
    {
        foreach (string key in batch.Keys)
        {
            NpyDType dtype = batch.IsInteger(key) ? NpyDType.Int32 : NpyDType.Float32;
            _manifest.AddKey(new ShardKey(key, batch.Shape(key)[1..].ToArray(), dtype));
        }
    }

    private void CheckSchema(SimulationBatch batch, int index)
    {
        foreach (ShardKey k in _manifest.Keys)
        {
            if (!batch.Contains(k.Name))
                throw new ArgumentException(
                    $"ShardedDatasetWriter: batch {index} lacks key '{k.Name}'; it has {ShapeText.Keys(batch.Keys)}, "
                    + $"the dataset has {ShapeText.Keys(KeyNames())}.", nameof(batch));
            ReadOnlySpan<int> rowShape = batch.Shape(k.Name)[1..];
            if (!ShapeText.Equal(rowShape, k.RowShape))
                throw new ArgumentException(
                    $"ShardedDatasetWriter: key '{k.Name}' in batch {index} has row shape " +
                    $"{ShapeText.Format(rowShape)}; "
                    + $"expected {ShapeText.Format(k.RowShape)} like batch 0.", nameof(batch));
            string expected = k.DType == NpyDType.Int32 ? "integer" : "float";
            string actual = batch.IsInteger(k.Name) ? "integer" : "float";
            if (actual != expected)
                throw new ArgumentException(
                    $"ShardedDatasetWriter: key '{k.Name}' in batch {index} is {actual}-valued; batch 0 " +
                    $"made it {expected}-valued.",
                    nameof(batch));
        }
        foreach (string key in batch.Keys)
            if (_manifest.FindKey(key) is null)
                throw new ArgumentException(
                    $"ShardedDatasetWriter: batch {index} has key '{key}', which batch 0 did not; "
                    + $"the dataset has {ShapeText.Keys(KeyNames())}.", nameof(batch));
    }

    private List<string> KeyNames() => _manifest.KeyNames();

    private void WriteShard(SimulationBatch shard)
    {
        var arrays = new List<KeyValuePair<string, NpyArray>>(_manifest.Keys.Count);
        foreach (ShardKey k in _manifest.Keys)
        {
            int[] shape = [shard.BatchSize, .. k.RowShape];
            NpyArray array = k.DType == NpyDType.Int32
                ? new NpyArray(NpyDType.Int32, shape, shard.GetIntegers(k.Name))
                : NpyArray.FromFloats(shard.Get(k.Name), shape);
            arrays.Add(new(k.Name, array));
        }
        string file = string.Create(CultureInfo.InvariantCulture, $"shard-{ShardCount:D5}.npz");
        AtomicFile.Write(Path.Combine(DirectoryPath, file), stream => Npy.WriteNpz(stream, arrays, Compress));
        // Hashed from the file just written (in the page cache), so the checksum is of exactly the bytes on disk.
        _manifest.AddShard(file, shard.BatchSize, ShardManifest.Sha256(Path.Combine(DirectoryPath, file)));
        WriteManifest();
    }

    private void WriteManifest() =>
        AtomicFile.WriteAllBytes(Path.Combine(DirectoryPath, ShardManifest.FileName), _manifest.ToJson());
}
