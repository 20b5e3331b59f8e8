using Amortized.Inference.Simulators;
using Amortized.Tensors;

namespace Amortized.Inference.FileFormats;

/// <summary>
/// Reads a sharded dataset in batches, without loading it all: at most one shard, or the chosen buffer of shards,
/// is in memory at a time. The folder either holds a <c>manifest.json</c> (written by
/// <see cref="ShardedDatasetWriter"/>), which lists its <c>.npz</c> shards and their rows, or no manifest: then
/// every entry of the folder is a shard of a format of <see cref="ShardFormats"/> (<c>.npz</c> files, folders of
/// <c>KEY.npy</c> files, and registered ones such as Parquet), stacked by rows in natural name order
/// (<c>part-2</c> before <c>part-10</c>). <see cref="ReadSequential"/> serves rows in stored order;
/// <see cref="ReadShuffled"/> serves them in an order fixed by a seed. Both serve every row exactly once.
/// </summary>
/// <remarks>
/// <para>
/// A "shard" here is a unit read at once: a part of a file (the whole <c>.npz</c>, or one row group of a Parquet
/// file). <see cref="ShardCount"/>, <see cref="ShardRows"/> and <see cref="ReadShard"/> count parts.
/// </para>
/// <para>
/// Without a manifest, names starting with '.' or '_' (hidden files, <c>_SUCCESS</c>, <c>_metadata</c>) and names
/// ending in <c>.tmp</c> or <c>.part</c> are skipped: writers publish a shard by writing it under such a name and
/// renaming it. Any other entry must be a shard. The first shard fixes the keys, per-row shapes and dtypes; every
/// other shard is checked against it when the folder is scanned (from its headers), with an error naming the
/// shard, the key, the expected and the actual value. <see cref="Refresh"/> adds shards written since.
/// </para>
/// <para>
/// Shuffled order: the shard order is permuted; shards are then taken <c>bufferShards</c> at a time and the rows
/// of those shards are permuted together. Rows left over at the end of one buffer (fewer than a batch) are
/// copied out and start the next batch, so batches have the requested size except possibly the last.
/// Loaded shards are checked against the manifest or the scanned schema (keys, dtypes, shapes, row count), and
/// against the SHA-256 the manifest records for them, when it does.
/// </para>
/// </remarks>
public sealed class ShardedDataset
{
    private readonly ShardManifest? _manifest;
    private readonly ReadLimits _limits;
    private readonly List<ShardKey> _keys = [];
    private readonly List<Part> _parts = [];
    private readonly HashSet<string> _entries = new(StringComparer.Ordinal);   // manifest-free: entries scanned
    private string? _firstShard;   // manifest-free: the entry that fixed the keys
    private long _count;
    private int _shardsHeld;

    /// <summary>A unit read at once: part <c>Index</c> of the folder entry <c>Entry</c> ("." for the folder).</summary>
    private sealed record Part(string Entry, IShardFormat Format, ShardSchema? Schema, int Index, int Rows);

    /// <summary>The entry name of a folder whose loose <c>.npy</c> files form its only shard.</summary>
    private const string FolderItself = ".";
    private bool _fixedFiles;   // OpenFiles: the files given, never rescanned

    private ShardedDataset(string directory, ShardManifest? manifest, ReadLimits limits)
    {
        DirectoryPath = directory;
        _manifest = manifest;
        _limits = limits;
    }

    /// <summary>
    /// Opens the dataset in <paramref name="directory"/>. With a <c>manifest.json</c>: reads and checks it and that
    /// every shard it lists exists. Without: scans the folder's shards (see the remarks of
    /// <see cref="ShardedDataset"/>) and checks that they agree. Throws <see cref="FileNotFoundException"/> for a
    /// missing shard or a folder with neither a manifest nor shards, <see cref="DirectoryNotFoundException"/> for a
    /// missing folder, and <see cref="InvalidDataException"/> for a corrupt manifest or shard, shards that disagree,
    /// a file that is no shard, or sizes beyond <paramref name="limits"/> (default <see cref="ReadLimits.Default"/>),
    /// which also bound every shard read later: a shard that declares more than its manifest (or its scanned
    /// headers) allows, or a zip bomb, is refused naming the shard's file before it is inflated.
    /// </summary>
    public static ShardedDataset Open(string directory, ReadLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        limits ??= ReadLimits.Default;
        if (!File.Exists(Path.Combine(directory, ShardManifest.FileName)) && Directory.Exists(directory))
        {
            ShardedDataset scanned = OpenGrowing(directory, limits);
            if (scanned._entries.Count == 0)
                throw new FileNotFoundException(
                    $"Sharded dataset: {directory} has no {ShardManifest.FileName} and no shards (files or folders " +
                    $"of the formats {string.Join(", ", ShardFolder.Formats().Select(f => f.Name))}); names starting " +
                    "with '_' or '.' and ending in .tmp or .part are skipped.",
                    Path.Combine(directory, ShardManifest.FileName));
            return scanned;
        }
        ShardManifest manifest = ShardManifest.Read(directory, limits);
        var dataset = new ShardedDataset(directory, manifest, limits);
        dataset._keys.AddRange(manifest.Keys);
        foreach (ShardManifest.ShardSpec s in manifest.Shards)
            dataset.AddPart(new Part(s.File, NpzShardFormat.Instance, null, 0, s.Rows));
        for (int i = 0; i < manifest.Shards.Count; i++) dataset.CheckShardExists(i);
        return dataset;
    }

    /// <summary>
    /// Opens a manifest-free folder that may still be empty and grow, for a reader that follows a producer:
    /// <see cref="Refresh"/> adds the shards written since. The keys are fixed by the first shard found (empty until
    /// then). Throws <see cref="DirectoryNotFoundException"/> when the folder does not exist and
    /// <see cref="InvalidDataException"/> as <see cref="Open"/> does for the shards already there.
    /// </summary>
    public static ShardedDataset OpenGrowing(string directory, ReadLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Sharded dataset: the folder {directory} does not exist.");
        var dataset = new ShardedDataset(directory, null, limits ?? ReadLimits.Default);
        dataset.Refresh();
        return dataset;
    }

    /// <summary>
    /// Opens the given shard files as one data set, stacked by rows in the order given: each file is read by the
    /// built-in or registered format that claims it (a Parquet file streams row group by row group), and every file
    /// is checked against the first's keys, shapes and dtypes from its headers, as in a folder. For data larger than
    /// memory held in a few large files. Throws <see cref="FileNotFoundException"/> for a missing file,
    /// <see cref="ArgumentException"/> for none or a file given twice, and <see cref="InvalidDataException"/> as
    /// <see cref="Open"/> does.
    /// </summary>
    public static ShardedDataset OpenFiles(IReadOnlyList<string> files, ReadLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0) throw new ArgumentException("Sharded dataset: no shard files given.", nameof(files));
        string first = Path.GetFullPath(files[0]);
        var dataset = new ShardedDataset(Path.GetDirectoryName(first)!, null, limits ?? ReadLimits.Default)
        {
            _fixedFiles = true,
        };
        IReadOnlyList<IShardFormat> formats = ShardFolder.Formats();
        foreach (string file in files)
        {
            // Full paths as entries: Path.Combine(DirectoryPath, entry) is the entry itself, wherever the file lies.
            string path = Path.GetFullPath(file);
            if (!File.Exists(path))
                throw new FileNotFoundException($"Sharded dataset: the shard file {file} does not exist.", path);
            if (dataset._entries.Contains(path))
                throw new ArgumentException($"Sharded dataset: the shard file {file} is given twice.", nameof(files));
            dataset.AddShard(path, path, ShardFolder.FormatOf(path, formats));
        }
        return dataset;
    }

    /// <summary>The dataset folder (of the first file, for <see cref="OpenFiles"/>).</summary>
    public string DirectoryPath { get; }

    /// <summary>Whether the shards are listed by a <c>manifest.json</c> (fixed) rather than scanned.</summary>
    public bool HasManifest => _manifest is not null;

    /// <summary>
    /// Whether a manifest-free folder holds <c>_SUCCESS</c>, the marker a producer writes once every shard is
    /// written (as Spark and Hadoop do).
    /// </summary>
    public bool IsComplete =>
        _manifest is not null || _fixedFiles || File.Exists(Path.Combine(DirectoryPath, ShardFolder.SuccessMarker));

    /// <summary>Total number of rows.</summary>
    public long Count => _count;

    /// <summary>Number of shards (parts read at once; a Parquet file has one per row group).</summary>
    public int ShardCount => _parts.Count;

    /// <summary>Keys in stored order (of the first shard, without a manifest; empty until a shard is found).</summary>
    public IReadOnlyList<string> Keys => _keys.ConvertAll(k => k.Name);

    /// <summary>Per-row shape of <paramref name="key"/> (no batch axis).</summary>
    public ReadOnlySpan<int> RowShape(string key) => Find(key).RowShape;

    /// <summary>Element type of <paramref name="key"/> in the shards (batches hold float32 either way).</summary>
    public NpyDType DType(string key) => Find(key).DType;

    /// <summary>Rows in shard <paramref name="index"/>.</summary>
    public int ShardRows(int index) => _parts[index].Rows;

    /// <summary>Shard <paramref name="index"/> for messages: its file name, and part if the file has several.</summary>
    public string ShardName(int index)
    {
        Part p = _parts[index];
        string entry = p.Entry == FolderItself ? FolderName : p.Entry;
        return p.Schema is { PartRows.Count: > 1 } ? $"{entry} part {p.Index}" : entry;
    }

    /// <summary>Shards loaded by running enumerations right now (memory use is about this many shards).</summary>
    internal int ShardsHeld => _shardsHeld;

    /// <summary>The largest <see cref="ShardsHeld"/> seen since the dataset was opened or the counter reset.</summary>
    internal int PeakShardsHeld { get; private set; }

    internal void ResetPeak() => PeakShardsHeld = _shardsHeld;

    /// <summary>
    /// Scans a manifest-free folder again and appends the shards written since the last scan, in natural order
    /// among themselves, after the ones already known (whose indices never change); returns how many shards
    /// (parts) were added. Each new shard is checked against the keys of the first one. Throws
    /// <see cref="InvalidOperationException"/> for a dataset with a manifest, whose shards it fixes.
    /// </summary>
    public int Refresh()
    {
        if (_manifest is not null)
            throw new InvalidOperationException($"Sharded dataset {DirectoryPath}: its shards are listed by " +
                $"{ShardManifest.FileName}; only a folder without one is scanned again.");
        if (_fixedFiles)
            throw new InvalidOperationException($"Sharded dataset {DirectoryPath}: opened from a list of files, " +
                "which is not scanned again; open the folder to follow it.");
        int before = _parts.Count;
        List<string> names = ShardFolder.Entries(DirectoryPath);
        var loose = names.Where(n => n.EndsWith(".npy", StringComparison.Ordinal)
            && File.Exists(Path.Combine(DirectoryPath, n))).ToList();
        if (loose.Count > 0)
        {
            string? other = names.FirstOrDefault(n => !loose.Contains(n))
                ?? _entries.FirstOrDefault(e => e != FolderItself);
            if (other is not null)
                throw new InvalidDataException($"{DirectoryPath}: holds loose .npy files " +
                    $"('{InputText.Sanitize(loose[0])}') " +
                    $"beside the shard '{InputText.Sanitize(other)}'; put each group of KEY.npy files in a folder of " +
                    "its own (one folder per shard), or read the files directly.");
            if (!_entries.Contains(FolderItself)) AddShard(FolderItself, DirectoryPath, NpyGroupShardFormat.Instance);
            return _parts.Count - before;
        }
        if (_entries.Contains(FolderItself) && names.Count > 0)
            throw new InvalidDataException($"{DirectoryPath}: its loose .npy files were read as one shard; the " +
                $"entry '{InputText.Sanitize(names[0])}' appeared beside them since.");
        IReadOnlyList<IShardFormat> formats = ShardFolder.Formats();
        foreach (string name in names)
        {
            if (_entries.Contains(name)) continue;
            string path = Path.Combine(DirectoryPath, name);
            AddShard(name, path, ShardFolder.FormatOf(path, formats));
        }
        return _parts.Count - before;
    }

    /// <summary>Inspects a new shard, checks it against the dataset's keys and the limits, adds its parts.</summary>
    private void AddShard(string entry, string path, IShardFormat format)
    {
        ShardSchema schema;
        try { schema = format.Inspect(path, _limits); }
        catch (InvalidDataException e) when (!e.Message.Contains(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);   // a format that did not name the shard
        }
        if (schema.Keys.Count == 0)
            throw new InvalidDataException($"{path}: the {format.Name} shard holds no keys.");
        if (_keys.Count == 0)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (ShardKey k in schema.Keys)
            {
                if (!names.Add(k.Name))
                    throw new InvalidDataException($"{path}: key '{InputText.Sanitize(k.Name)}' appears twice.");
                _limits.CheckArrayBytes(Array.ConvertAll(k.RowShape, d => (long)d), NpyArray.ItemSize(k.DType),
                    $"{path}: key '{InputText.Sanitize(k.Name)}' with rows of shape {ShapeText.Format(k.RowShape)}");
            }
            _keys.AddRange(schema.Keys);
            _firstShard = entry == FolderItself ? FolderName : entry;
        }
        else ShardArrays.CheckSameKeys(path, schema.Keys, _keys, _firstShard!);
        long rowBytes = ShardArrays.RowBytes(_keys);
        for (int i = 0; i < schema.PartRows.Count; i++)
        {
            int rows = schema.PartRows[i];
            if (rows < 0) throw new InvalidDataException($"{path}: part {i} declares {rows} rows.");
            if ((Int128)rows * rowBytes > _limits.MaxTotalBytes)
                throw new InvalidDataException($"{path}: part {i} declares {rows} rows of {rowBytes} bytes " +
                    $"({(Int128)rows * rowBytes} bytes); the limit is {_limits.MaxTotalBytes} " +
                    "(ReadLimits.MaxTotalBytes).");
        }
        _entries.Add(entry);
        for (int i = 0; i < schema.PartRows.Count; i++)
            if (schema.PartRows[i] > 0) AddPart(new Part(entry, format, schema, i, schema.PartRows[i]));
    }

    /// <summary>The dataset folder's own name, for loose .npy files read as its one shard.</summary>
    private string FolderName => Path.GetFileName(Path.TrimEndingDirectorySeparator(DirectoryPath));

    private void AddPart(Part part)
    {
        _parts.Add(part);
        _count = checked(_count + part.Rows);
    }

    /// <summary>Loads shard <paramref name="index"/> as one batch (integer dtypes flagged integer).</summary>
    public SimulationBatch ReadShard(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ShardCount);
        Part p = _parts[index];
        if (_manifest is not null)
        {
            string file = CheckShardExists(index);
            // The manifest says what the shard holds (checked against the limits when it was read), so a shard that
            // declares more is refused before anything is inflated, even within the general limits.
            long expected = _manifest.ShardBytes(p.Rows) + (long)_keys.Count * (_limits.MaxNpyHeaderBytes + 12);
            Dictionary<string, NpyArray> arrays = Npy.ReadNpz(file, _limits,
                (expected, $"{p.Rows} rows as {ShardManifest.FileName} declares, with their npy headers"));
            _manifest.CheckShard(file, p.Rows, arrays);
            ShardManifest.CheckChecksum(file, _manifest.Shards[index]);
            return ShardArrays.ToBatch(p.Rows, _keys, arrays);
        }
        string path = p.Entry == FolderItself ? DirectoryPath : Path.Combine(DirectoryPath, p.Entry);
        SimulationBatch batch = p.Format.ReadPart(path, p.Index, p.Schema!, _limits);
        // The built-in formats check their data against the schema; a registered one is held to it here too.
        string where = p.Schema!.PartRows.Count > 1 ? $"{path}, part {p.Index}" : path;
        if (batch.BatchSize != p.Rows)
            throw new InvalidDataException($"{where}: the {p.Format.Name} format read {batch.BatchSize} rows; its " +
                $"headers declared {p.Rows}.");
        foreach (ShardKey k in _keys)
            if (!batch.Contains(k.Name) || !ShapeText.Equal(batch.Shape(k.Name)[1..], k.RowShape))
                throw new InvalidDataException($"{where}: the {p.Format.Name} format read key '{k.Name}' as " +
                    $"{(batch.Contains(k.Name) ? ShapeText.Format(batch.Shape(k.Name)) : "missing")}; expected " +
                    $"{ShapeText.Format([p.Rows, .. k.RowShape])}.");
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
        return Batches(batchSize, order, bufferShards: 1, rng: null, read: null, served: null);
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
        return Batches(batchSize, order, bufferShards, rng, read: null, served: null);
    }

    /// <summary>
    /// Batches of <paramref name="batchSize"/> rows from the shards of <paramref name="shards"/>, in that order
    /// (a shard may come again, never twice in one buffer; the sequence may be endless),
    /// <paramref name="bufferShards"/> at a time with their
    /// rows permuted by <paramref name="rng"/>. <paramref name="read"/> loads a shard (it may drop rows, e.g. held-out
    /// ones); <paramref name="served"/> hears of the shards whose every row was in a batch the consumer took (it
    /// asked for the next one). The last batch may be smaller when the sequence ends.
    /// </summary>
    internal IEnumerable<SimulationBatch> ReadInOrder(int batchSize, IEnumerable<int> shards, int bufferShards,
        Rng rng, Func<int, SimulationBatch> read, Action<IReadOnlyList<int>> served) =>
        Batches(batchSize, shards, bufferShards, rng, read, served);

    private IEnumerable<SimulationBatch> Batches(int batchSize, IEnumerable<int> shards, int bufferShards, Rng? rng,
        Func<int, SimulationBatch>? read, Action<IReadOnlyList<int>>? served)
    {
        read ??= ReadShard;
        var pending = new List<(SimulationBatch Source, int Row)>(batchSize);
        int[]? awaiting = null;   // a window whose last rows are in pending: served once those are taken
        using IEnumerator<int> next = shards.GetEnumerator();
        var indices = new List<int>(bufferShards);
        int? lookahead = null;   // a shard that would have come twice in one window: it starts the next one
        while (true)
        {
            indices.Clear();
            if (lookahead is int first) indices.Add(first);
            lookahead = null;
            while (indices.Count < bufferShards && next.MoveNext())
            {
                if (indices.Contains(next.Current))
                {
                    lookahead = next.Current;
                    break;
                }
                indices.Add(next.Current);
            }
            if (indices.Count == 0) break;
            int count = indices.Count;
            var window = new SimulationBatch[count];
            var offsets = new int[count + 1]; // window row r lies in shard s where offsets[s] <= r < offsets[s + 1]
            int held = 0;
            try
            {
                for (int i = 0; i < count; i++)
                {
                    Hold();
                    held++;
                    window[i] = read(indices[i]);
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
                        if (awaiting is not null) served?.Invoke(awaiting);
                        awaiting = null;
                    }
                }
                // Copy the leftover rows out so the window's shards can be released.
                if (pending.Count > 0)
                {
                    SimulationBatch carry = Gather(pending);
                    pending.Clear();
                    for (int i = 0; i < carry.BatchSize; i++) pending.Add((carry, i));
                    // An earlier window's rows may still be among them: that window is served with this one.
                    awaiting = [.. awaiting ?? [], .. indices];
                }
                else served?.Invoke([.. indices]);
            }
            finally
            {
                Array.Clear(window); // drop the shards before the next window loads
                Release(held);
            }
        }
        if (pending.Count > 0)
        {
            yield return Gather(pending);
            if (awaiting is not null) served?.Invoke(awaiting);
        }
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
        foreach (ShardKey k in _keys)
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
        string file = _parts[index].Entry;
        string path = Path.Combine(DirectoryPath, file);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"Sharded dataset {DirectoryPath}: shard {index} '{file}' listed in " +
                $"{ShardManifest.FileName} is missing.", path);
        return path;
    }

    private ShardKey Find(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _keys.FirstOrDefault(k => k.Name == key)
            ?? throw new KeyNotFoundException(
                $"ShardedDataset: no key '{key}'; the dataset has {ShapeText.Keys(Keys)}.");
    }
}
