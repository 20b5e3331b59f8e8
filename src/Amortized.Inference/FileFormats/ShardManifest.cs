using System.Buffers;
using System.Text.Json;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.FileFormats;

/// <summary>
/// The manifest of a sharded dataset, <c>manifest.json</c>:
/// <code>
/// { "format": "amortized-sharded-dataset", "version": 1, "total_rows": 250,
///   "keys": [ { "name": "theta", "shape": [2], "dtype": "float32" }, ... ],
///   "shards": [ { "file": "shard-00000.npz", "rows": 100, "sha256": "9f86d0...", }, ... ] }
/// </code>
/// "shape" is the per-row shape (no batch axis); dtype is float32, float64, int32, int64 or bool. "sha256" (64 hex
/// digits, optional: manifests written before it existed lack it) is the shard file's SHA-256, checked when the shard
/// is read.
/// Written and read by hand with Utf8JsonWriter / JsonDocument (no reflection, so AOT-safe).
/// </summary>
internal sealed class ShardManifest
{
    public const string FileName = "manifest.json";
    public const string FormatName = "amortized-sharded-dataset";
    public const int CurrentVersion = 1;

    internal sealed record ShardSpec(string File, int Rows, string? Sha256);

    private readonly List<ShardKey> _keys = [];
    private readonly Dictionary<string, ShardKey> _keyByName = new(StringComparer.Ordinal);

    /// <summary>Keys in stored order (add with <see cref="AddKey"/>).</summary>
    public IReadOnlyList<ShardKey> Keys => _keys;

    public List<ShardSpec> Shards { get; } = [];

    public long TotalRows { get; private set; }

    public List<string> KeyNames() => _keys.ConvertAll(k => k.Name);

    /// <summary>Appends a key; false (nothing added) when the name is already taken.</summary>
    public bool AddKey(ShardKey key)
    {
        if (!_keyByName.TryAdd(key.Name, key)) return false;
        _keys.Add(key);
        return true;
    }

    public void AddShard(string file, int rows, string? sha256)
    {
        Shards.Add(new ShardSpec(file, rows, sha256));
        TotalRows = checked(TotalRows + rows);
    }

    /// <summary>
    /// Bytes of the arrays of a shard of <paramref name="rows"/> rows, all keys together (for a manifest that was
    /// read, at most <see cref="ReadLimits.MaxTotalBytes"/> for each of its shards).
    /// </summary>
    public long ShardBytes(int rows)
    {
        long total = 0;
        foreach (ShardKey k in _keys)
            total = checked(total + rows * (long)ShapeText.Product(k.RowShape) * NpyArray.ItemSize(k.DType));
        return total;
    }

    /// <summary>The key named <paramref name="name"/>, found by hash: manifests may list many keys.</summary>
    public ShardKey? FindKey(string name) => _keyByName.GetValueOrDefault(name);

    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", FormatName);
            w.WriteNumber("version", CurrentVersion);
            w.WriteNumber("total_rows", TotalRows);
            w.WriteStartArray("keys");
            foreach (ShardKey k in Keys)
            {
                w.WriteStartObject();
                w.WriteString("name", k.Name);
                w.WriteStartArray("shape");
                foreach (int d in k.RowShape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteString("dtype", DTypeName(k.DType));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("shards");
            foreach (ShardSpec s in Shards)
            {
                w.WriteStartObject();
                w.WriteString("file", s.File);
                w.WriteNumber("rows", s.Rows);
                if (s.Sha256 is not null) w.WriteString("sha256", s.Sha256);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads and checks <c>manifest.json</c> of <paramref name="directory"/>: its length against
    /// <see cref="ReadLimits.MaxJsonBytes"/> before reading it, its nesting against
    /// <see cref="ReadLimits.MaxJsonDepth"/> while parsing, and the arrays it declares (each key of each shard, and
    /// each shard's keys together) against <see cref="ReadLimits.MaxArrayBytes"/> and
    /// <see cref="ReadLimits.MaxTotalBytes"/>, with overflow-free arithmetic.
    /// </summary>
    public static ShardManifest Read(string directory, ReadLimits limits)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"Sharded dataset: {directory} has no {FileName}; it is not a dataset written by "
                + "ShardedDatasetWriter (or the writer never finished a shard).", path);
        byte[] bytes;
        using (FileStream f = File.OpenRead(path))
        {
            if (f.Length > limits.MaxJsonBytes)
                throw new InvalidDataException($"{path}: the file is {f.Length} bytes; the limit is " +
                    $"{limits.MaxJsonBytes} (ReadLimits.MaxJsonBytes).");
            bytes = new byte[f.Length];
            int read = f.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (read < bytes.Length)
                throw new InvalidDataException($"{path}: the file shrank while being read ({read} of {bytes.Length}).");
        }
        try
        {
            using JsonDocument doc =
                JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = limits.MaxJsonDepth });
            return Parse(doc.RootElement, limits);
        }
        catch (JsonException e)
        {
            // The parser's message quotes the offending text, which may be binary or span lines.
            throw new InvalidDataException($"{path}: not valid JSON ({InputText.Sanitize(e.Message, 160)}).", e);
        }
        catch (ManifestException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    private static ShardManifest Parse(JsonElement root, ReadLimits limits)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new ManifestException($"expected a JSON object; found {root.ValueKind}.");
        string format = Property(root, "format", JsonValueKind.String).GetString()!;
        if (format != FormatName)
            throw new ManifestException($"format is '{InputText.Sanitize(format)}'; expected '{FormatName}'.");
        int version = Int(Property(root, "version", JsonValueKind.Number), "version");
        if (version != CurrentVersion)
            throw new ManifestException(
                $"version {version} is not supported; this reader reads version {CurrentVersion}.");

        var manifest = new ShardManifest();
        // The widest rows (in bytes and in elements) bound every shard's arrays; their sum bounds a whole shard.
        (ShardKey Key, long Size) widest = default, longest = default;
        Int128 rowBytesOfAllKeys = 0;
        foreach (JsonElement k in Property(root, "keys", JsonValueKind.Array).EnumerateArray())
        {
            string name = Property(k, "name", JsonValueKind.String).GetString()!;
            string quoted = InputText.Sanitize(name);
            var shape = new List<int>();
            foreach (JsonElement d in Property(k, "shape", JsonValueKind.Array).EnumerateArray())
            {
                int dim = d.ValueKind == JsonValueKind.Number ? Int(d, $"key '{quoted}' shape") : -1;
                if (dim < 0)
                    throw new ManifestException(
                        $"key '{quoted}' has shape element {Text(d)}; expected non-negative integers.");
                if (shape.Count == limits.MaxDimensions)
                    throw new ManifestException($"key '{quoted}' has more than {limits.MaxDimensions} dimensions; " +
                        "the limit is ReadLimits.MaxDimensions.");
                shape.Add(dim);
            }
            string dtype = Property(k, "dtype", JsonValueKind.String).GetString()!;
            var spec = new ShardKey(name, [.. shape], ParseDType(dtype, quoted));
            if (name.Length == 0 || !manifest.AddKey(spec))
                throw new ManifestException($"key name '{quoted}' is empty or listed twice.");
            int itemSize = NpyArray.ItemSize(spec.DType);
            long rowBytes = limits.CheckArrayBytes(Array.ConvertAll(spec.RowShape, d => (long)d), itemSize,
                $"key '{quoted}' with rows of shape {ShapeText.Format(spec.RowShape)}");
            if (rowBytes >= widest.Size) widest = (spec, rowBytes);
            if (rowBytes / itemSize >= longest.Size) longest = (spec, rowBytes / itemSize);
            rowBytesOfAllKeys += rowBytes;
        }
        foreach (JsonElement s in Property(root, "shards", JsonValueKind.Array).EnumerateArray())
        {
            string file = Property(s, "file", JsonValueKind.String).GetString()!;
            if (file.Length == 0 || file != Path.GetFileName(file) || file is "." or "..")
                throw new ManifestException(
                    $"shard file '{InputText.Sanitize(file)}' must be a plain file name inside the dataset folder.");
            int rows = Int(Property(s, "rows", JsonValueKind.Number), $"shard '{InputText.Sanitize(file)}' rows");
            if (rows < 0) throw new ManifestException($"shard '{InputText.Sanitize(file)}' has {rows} rows.");
            foreach (ShardKey? k in (ShardKey?[])[widest.Key, longest.Key])
                if (k is not null)
                    limits.CheckArrayBytes([rows, .. Array.ConvertAll(k.RowShape, d => (long)d)],
                        NpyArray.ItemSize(k.DType), $"shard '{InputText.Sanitize(file)}', key " +
                        $"'{InputText.Sanitize(k.Name)}' of {rows} rows of {ShapeText.Format(k.RowShape)}");
            if (rows * rowBytesOfAllKeys > limits.MaxTotalBytes)
                throw new ManifestException($"shard '{InputText.Sanitize(file)}' declares {rows} rows of " +
                    $"{rowBytesOfAllKeys} bytes ({rows * rowBytesOfAllKeys} bytes); the limit is " +
                    $"{limits.MaxTotalBytes} (ReadLimits.MaxTotalBytes).");
            string? sha256 = null;
            if (s.TryGetProperty("sha256", out JsonElement hash))
            {
                sha256 = hash.ValueKind == JsonValueKind.String ? hash.GetString()! : "";
                if (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigitLower))
                    throw new ManifestException($"shard '{InputText.Sanitize(file)}' has sha256 {Text(hash)}; " +
                        "expected 64 lower-case hex digits.");
            }
            manifest.AddShard(file, rows, sha256);
        }
        JsonElement total = Property(root, "total_rows", JsonValueKind.Number);
        if (!total.TryGetInt64(out long totalRows) || totalRows != manifest.TotalRows)
            throw new ManifestException(
                $"total_rows is {Text(total)}, but the shards listed hold {manifest.TotalRows} rows.");
        return manifest;
    }

    public static string DTypeName(NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => "float32",
        NpyDType.Float64 => "float64",
        NpyDType.Int32 => "int32",
        NpyDType.Int64 => "int64",
        _ => "bool",
    };

    private static NpyDType ParseDType(string text, string key) => text switch
    {
        "float32" => NpyDType.Float32,
        "float64" => NpyDType.Float64,
        "int32" => NpyDType.Int32,
        "int64" => NpyDType.Int64,
        "bool" => NpyDType.Bool,
        _ => throw new ManifestException(
            $"key '{key}' has dtype '{InputText.Sanitize(text)}'; expected float32, float64, int32, int64 or bool."),
    };

    private static JsonElement Property(JsonElement obj, string name, JsonValueKind kind)
    {
        if (obj.ValueKind != JsonValueKind.Object)
            throw new ManifestException($"expected an object holding '{name}'; found {obj.ValueKind} {Text(obj)}.");
        if (!obj.TryGetProperty(name, out JsonElement value))
            throw new ManifestException($"field '{name}' is missing.");
        if (value.ValueKind != kind)
            throw new ManifestException($"field '{name}' is {value.ValueKind} {Text(value)}; expected {kind}.");
        return value;
    }

    private static int Int(JsonElement e, string what) =>
        e.TryGetInt32(out int v) ? v : throw new ManifestException($"{what} is {Text(e)}; expected a 32-bit integer.");

    /// <summary>A value's JSON text, sanitized and cut short for a message.</summary>
    private static string Text(JsonElement e) => InputText.Sanitize(e.GetRawText());

    /// <summary>A problem in the manifest's content; <see cref="Read"/> rethrows it with the file's path.</summary>
    private sealed class ManifestException(string message) : Exception(message);

    /// <summary>
    /// Checks that a shard's arrays match the manifest: the same keys, dtypes, row count and row shapes.
    /// </summary>
    public void CheckShard(string path, int expectedRows, Dictionary<string, NpyArray> arrays) =>
        ShardArrays.Check(path, expectedRows, _keys, arrays, "the manifest");

    /// <summary>The SHA-256 of a file as 64 lower-case hex digits (read in one pass, nothing held).</summary>
    public static string Sha256(string path)
    {
        using FileStream f = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(f));
    }

    /// <summary>
    /// Checks shard <paramref name="path"/> against the SHA-256 its manifest entry records, if any: a shard changed
    /// in place or corrupted on disk (with shapes still valid) is refused naming the file.
    /// </summary>
    public static void CheckChecksum(string path, ShardSpec shard)
    {
        if (shard.Sha256 is null) return;
        string actual = Sha256(path);
        if (actual != shard.Sha256)
            throw new InvalidDataException($"{path}: its SHA-256 is {actual}; {FileName} says {shard.Sha256}. The " +
                "shard was changed or corrupted after it was written.");
    }
}
