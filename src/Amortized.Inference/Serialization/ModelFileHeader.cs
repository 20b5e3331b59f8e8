using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.Serialization;

/// <summary>
/// The JSON header of a model file, in safetensors' layout:
/// <code>
/// {"__metadata__": {"format": "amortized", "format_version": "1", "library_version": "...", "manifest": "{...}",
///                   "checksum": "sha256:..."},
///  "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
/// </code>
/// Offsets count bytes from the start of the data section; tensors are laid out back to back (safetensors
/// forbids gaps and overlaps). Metadata values are strings because safetensors requires a string-to-string map.
/// </summary>
internal static class ModelFileHeader
{
    public const string MetadataKey = "__metadata__";

    /// <summary>The metadata field holding a signed file's HMAC (see <see cref="ModelFileKey"/>).</summary>
    public const string HmacField = "hmac";

    /// <summary>One tensor's header entry; Begin and End are offsets into the data section.</summary>
    public sealed record Slot(string Name, TensorDType DType, int[] Shape, long Begin, long End)
    {
        public int Count => (int)((End - Begin) / TensorEntry.ItemSize(DType));
    }

    /// <summary>A parsed header: metadata, and the slots sorted by offset, covering [0, DataLength).</summary>
    public sealed record Parsed(int FormatVersion, string FormatVersionText, string LibraryVersion,
        string ManifestJson, string Checksum, string? Hmac, Slot[] Slots, long DataLength);

    // Relaxed escaping keeps non-ASCII names and the manifest readable; the output is still valid JSON.
    private static readonly JsonWriterOptions s_writerOptions =
        new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The header bytes for <paramref name="tensors"/> (already sorted by name and validated), padded with spaces
    /// to a multiple of 8 bytes so the data section, which follows the 8-byte length, starts 8-byte aligned.
    /// <paramref name="hmac"/>, when not null, is written as the <see cref="HmacField"/> metadata field.
    /// </summary>
    public static byte[] Build(string manifestJson, string libraryVersion, string checksum, string? hmac,
        KeyValuePair<string, TensorEntry>[] tensors)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject(MetadataKey);
            json.WriteString("format", ModelFile.FormatName);
            json.WriteString("format_version", ModelFile.CurrentFormatVersion.ToString(CultureInfo.InvariantCulture));
            json.WriteString("library_version", libraryVersion);
            json.WriteString("manifest", manifestJson);
            json.WriteString("checksum", checksum);
            if (hmac is not null) json.WriteString(HmacField, hmac);
            json.WriteEndObject();
            long offset = 0;
            foreach ((string name, TensorEntry entry) in tensors)
            {
                long end = offset + (long)entry.Values.Length * TensorEntry.ItemSize(entry.DType);
                json.WriteStartObject(name);
                json.WriteString("dtype", TensorEntry.Code(entry.DType));
                json.WriteStartArray("shape");
                foreach (int d in entry.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }
            json.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    /// <summary>
    /// Parses and checks a header. Metadata comes first so that a file of a newer format version is reported as
    /// such before anything else about it is judged. Every problem throws <see cref="InvalidDataException"/>.
    /// </summary>
    public static Parsed Parse(byte[] header, string source, ModelFileLimits limits)
    {
        if (!System.Text.Unicode.Utf8.IsValid(header))
            throw ModelFile.Invalid(source, "the header is not valid UTF-8");
        try
        {
            using JsonDocument doc = JsonDocument.Parse(header);
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw ModelFile.Invalid(source, $"the header is a JSON {Kind(root)}, not an object");
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty p in root.EnumerateObject())
            {
                if (!names.Add(p.Name))
                    throw ModelFile.Invalid(source, $"the header names '{p.Name}' twice");
                // The metadata entry is not a tensor, hence the one extra entry allowed.
                if (names.Count > limits.MaxTensors + 1)
                    throw ModelFile.Invalid(source, $"the header lists more than {limits.MaxTensors} tensors; " +
                        $"allowed: at most {limits.MaxTensors} (ModelFileLimits.MaxTensors)");
            }
            if (!root.TryGetProperty(MetadataKey, out JsonElement metadata))
                throw ModelFile.Invalid(source,
                    $"the header has no \"{MetadataKey}\" (a safetensors file, but not an Amortized model file)");
            (int version, string versionText, Dictionary<string, string> fields) = ParseMetadata(metadata, source);

            var slots = new List<Slot>();
            foreach (JsonProperty p in root.EnumerateObject())
                if (p.Name != MetadataKey)
                    slots.Add(ParseSlot(p.Name, p.Value, source));
            Slot[] sorted = [.. slots.OrderBy(s => s.Begin).ThenBy(s => s.End)];
            long dataLength = CheckContiguous(sorted, source);
            return new Parsed(version, versionText, Field(fields, "library_version", source),
                Field(fields, "manifest", source), Field(fields, "checksum", source),
                fields.GetValueOrDefault(HmacField), sorted, dataLength);
        }
        catch (JsonException e)
        {
            throw ModelFile.Invalid(source, $"the header is not valid JSON ({e.Message})", e);
        }
        catch (InvalidOperationException e) // e.g. a string escape that decodes to invalid UTF-16
        {
            throw ModelFile.Invalid(source, $"the header holds an unreadable JSON value ({e.Message})", e);
        }
    }

    /// <summary>Checks format and version; returns them with all fields (unknown ones are allowed, ignored).</summary>
    private static (int Version, string VersionText, Dictionary<string, string> Fields) ParseMetadata(
        JsonElement metadata, string source)
    {
        if (metadata.ValueKind != JsonValueKind.Object)
            throw ModelFile.Invalid(source, $"\"{MetadataKey}\" is a JSON {Kind(metadata)}, not an object");
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty p in metadata.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw ModelFile.Invalid(source, $"metadata field '{p.Name}' is a JSON {Kind(p.Value)}, not a string");
            if (!fields.TryAdd(p.Name, p.Value.GetString()!))
                throw ModelFile.Invalid(source, $"metadata field '{p.Name}' appears twice");
        }
        string format = Field(fields, "format", source);
        if (format != ModelFile.FormatName)
            throw ModelFile.Invalid(source, $"format is '{format}'; expected '{ModelFile.FormatName}'");
        string versionText = Field(fields, "format_version", source);
        if (versionText.Length == 0 || !versionText.All(char.IsAsciiDigit))
            throw ModelFile.Invalid(source, $"format_version '{versionText}' is not a positive integer");
        // All digits but too long for an int is still a (much) newer version.
        if (!int.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out int version)
            || version > ModelFile.CurrentFormatVersion)
            throw ModelFile.Invalid(source, $"it was written by a newer version of Amortized (format version " +
                $"{versionText}; this library, {ModelFile.LibraryVersion}, reads format versions up to " +
                $"{ModelFile.CurrentFormatVersion}). Upgrade Amortized to load it");
        if (version < 1)
            throw ModelFile.Invalid(source, $"format_version '{versionText}' is not a positive integer");
        return (version, versionText, fields);
    }

    private static string Field(Dictionary<string, string> fields, string key, string source) =>
        fields.TryGetValue(key, out string? value) ? value
            : throw ModelFile.Invalid(source, $"the metadata has no \"{key}\" field");

    private static Slot ParseSlot(string name, JsonElement info, string source)
    {
        string what = $"tensor '{name}'";
        if (info.ValueKind != JsonValueKind.Object)
            throw ModelFile.Invalid(source, $"{what} is a JSON {Kind(info)}, not an object");
        string? code = null;
        long[]? shape = null, offsets = null;
        foreach (JsonProperty p in info.EnumerateObject())
        {
            bool duplicate = p.Name switch
            {
                "dtype" => code is not null,
                "shape" => shape is not null,
                "data_offsets" => offsets is not null,
                _ => throw ModelFile.Invalid(source, $"{what} has an unknown field '{p.Name}'"),
            };
            if (duplicate) throw ModelFile.Invalid(source, $"{what} has field '{p.Name}' twice");
            if (p.Name == "dtype")
                code = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()!
                    : throw ModelFile.Invalid(source, $"{what}: dtype is a JSON {Kind(p.Value)}, not a string");
            else if (p.Name == "shape") shape = Integers(p.Value, $"{what}: shape", source);
            else offsets = Integers(p.Value, $"{what}: data_offsets", source);
        }
        if (code is null || shape is null || offsets is null)
        {
            string missing = code is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw ModelFile.Invalid(source, $"{what} lacks '{missing}'");
        }
        if (!TensorEntry.TryParseCode(code, out TensorDType dtype))
            throw ModelFile.Invalid(source, $"{what} has dtype '{code}'; supported are F32, F64, I32 and I64");
        int[] dims = new int[shape.Length];
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] > int.MaxValue)
                throw ModelFile.Invalid(source,
                    $"{what}: dimension {i} is {shape[i]}, beyond the supported {int.MaxValue}");
            dims[i] = (int)shape[i];
            // Saturating product: a count above Array.MaxLength is rejected below whatever the later dims are,
            // unless one is 0, which makes the tensor empty.
            count = Math.Min(count * dims[i], (long)Array.MaxLength + 1);
        }
        if (dims.Contains(0)) count = 0;
        if (count > Array.MaxLength)
            throw ModelFile.Invalid(source,
                $"{what}: shape {ShapeText.Format(dims)} has more elements than an array can hold");
        if (offsets.Length != 2)
            throw ModelFile.Invalid(source,
                $"{what}: data_offsets has {offsets.Length} numbers; expected [begin, end]");
        long begin = offsets[0], end = offsets[1];
        long bytes = count * TensorEntry.ItemSize(dtype);
        if (end < begin || end - begin != bytes)
            throw ModelFile.Invalid(source, $"{what}: data_offsets [{begin}, {end}] span {end - begin} bytes, but " +
                $"{code} {ShapeText.Format(dims)} needs {bytes}");
        return new Slot(name, dtype, dims, begin, end);
    }

    /// <summary>A JSON array of non-negative integers.</summary>
    private static long[] Integers(JsonElement array, string what, string source)
    {
        if (array.ValueKind != JsonValueKind.Array)
            throw ModelFile.Invalid(source, $"{what} is a JSON {Kind(array)}, not an array");
        var values = new long[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long v) || v < 0)
                throw ModelFile.Invalid(source, $"{what}: item {i} is {item.GetRawText()}, not a non-negative integer");
            values[i++] = v;
        }
        return values;
    }

    /// <summary>Checks the slots (sorted by offset) tile [0, end) with no gap or overlap; returns end.</summary>
    private static long CheckContiguous(Slot[] sorted, string source)
    {
        long expected = 0;
        foreach (Slot s in sorted)
        {
            if (s.Begin != expected)
                throw ModelFile.Invalid(source, $"tensor '{s.Name}' starts at byte {s.Begin} of the data, but the " +
                    $"previous tensor ends at {expected} ({(s.Begin < expected ? "they overlap" : "a gap")}); " +
                    "tensors must be stored back to back");
            expected = s.End;
        }
        return expected;
    }

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();
}
