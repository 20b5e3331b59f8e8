using System.Buffers.Binary;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Amortized.Inference.Serialization;

/// <summary>
/// The model file: a JSON manifest plus named tensors in one file, in the safetensors layout so Python's
/// <c>safetensors</c> (and anything else that reads it) can open it:
/// <code>
/// [8 bytes]  N, the header length, unsigned little-endian
/// [N bytes]  the UTF-8 JSON header (see ModelFileHeader), padded with spaces to a multiple of 8
/// [rest]     the raw little-endian tensor data, back to back in ordinal name order, 8-byte aligned
/// </code>
/// The manifest (our own JSON: networks, adapter, standardisation, names, ...) travels as a string in the
/// header's <c>__metadata__</c>, beside the format name and version, the library version and a SHA-256 checksum
/// over all of these, the tensor table and the data (see ModelFileChecksum).
/// </summary>
/// <remarks>
/// Reading never trusts the file: a truncated, corrupted or foreign file, or one of a newer format version, throws
/// <see cref="InvalidDataException"/> naming the file and the problem. Tensor arrays are allocated only once the
/// data is known to be there (the header itself is capped at <see cref="MaxHeaderBytes"/>), and the checksum turns
/// any flipped bit that still parses into an error rather than different weights. Files of older format versions
/// load through the migration switch in <c>Migrate</c>. The checksum only detects accidents: anyone can edit a file
/// and recompute it. To trust a model from elsewhere, save it with a <see cref="ModelFileKey"/> and load it with the
/// same key (HMAC-SHA-256). See https://github.com/huggingface/safetensors.
/// </remarks>
public static class ModelFile
{
    /// <summary>The format version this library writes, and the newest it reads.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>The value of the header's <c>format</c> metadata field.</summary>
    public const string FormatName = "amortized";

    /// <summary>Headers longer than this are refused as corrupt (safetensors' own limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private static readonly UTF8Encoding s_strictUtf8 =
        new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>This library's version, as written into every file (the assembly's informational version).</summary>
    public static string LibraryVersion { get; } =
        typeof(ModelFile).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? "unknown";

    /// <summary>
    /// Writes a model file atomically: everything is checked first (<see cref="Validate"/>), then written to a
    /// temporary file beside <paramref name="path"/>, flushed to disk and renamed over it, so a reader (or a crash)
    /// sees the old file or the new one, never a torn one. On any failure the temporary file is deleted and an
    /// existing file at <paramref name="path"/> is left untouched.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="manifestJson">The manifest; must be valid JSON.</param>
    /// <param name="tensors">The tensors by name (any non-empty string except <c>__metadata__</c>).</param>
    /// <param name="rejectNonFinite">Refuse NaN or infinite float values (the default: never save NaN weights).</param>
    /// <param name="key">When given, the file is signed: it carries an HMAC-SHA-256 of its contents under this key,
    /// which a reader holding the key checks (see <see cref="ModelFileKey"/>).</param>
    /// <exception cref="ArgumentException">Invalid manifest, names or values (nothing is written).</exception>
    public static void Write(string path, string manifestJson, IReadOnlyDictionary<string, TensorEntry> tensors,
        bool rejectNonFinite = true, ModelFileKey? key = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        KeyValuePair<string, TensorEntry>[] sorted = Validate(manifestJson, tensors, rejectNonFinite);
        byte[] header = BuildHeader(manifestJson, sorted, key);
        ReplaceFile(path, stream => WriteBody(stream, header, sorted));
    }

    /// <summary>Writes a model file to <paramref name="stream"/> (not atomic; see the path overload).</summary>
    /// <inheritdoc cref="Write(string, string, IReadOnlyDictionary{string, TensorEntry}, bool, ModelFileKey)"/>
    public static void Write(Stream stream, string manifestJson, IReadOnlyDictionary<string, TensorEntry> tensors,
        bool rejectNonFinite = true, ModelFileKey? key = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        KeyValuePair<string, TensorEntry>[] sorted = Validate(manifestJson, tensors, rejectNonFinite);
        WriteBody(stream, BuildHeader(manifestJson, sorted, key), sorted);
    }

    /// <summary>
    /// Checks what <see cref="Write(string, string, IReadOnlyDictionary{string, TensorEntry}, bool, ModelFileKey)"/> would
    /// write: the manifest parses as JSON; names are non-empty, valid UTF-16 and not <c>__metadata__</c>; with
    /// <paramref name="rejectNonFinite"/>, every float value is finite. Returns the tensors in ordinal name order.
    /// </summary>
    /// <exception cref="ArgumentException">The first problem found, naming the tensor and element.</exception>
    public static KeyValuePair<string, TensorEntry>[] Validate(string manifestJson,
        IReadOnlyDictionary<string, TensorEntry> tensors, bool rejectNonFinite = true)
    {
        ArgumentNullException.ThrowIfNull(manifestJson);
        ArgumentNullException.ThrowIfNull(tensors);
        try
        {
            s_strictUtf8.GetByteCount(manifestJson);
            using var _ = JsonDocument.Parse(manifestJson);
        }
        catch (Exception e) when (e is JsonException or EncoderFallbackException)
        {
            throw new ArgumentException($"ModelFile: the manifest is not valid JSON ({e.Message}).",
                nameof(manifestJson), e);
        }
        KeyValuePair<string, TensorEntry>[] sorted = [.. tensors];
        Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach ((string name, TensorEntry entry) in sorted)
        {
            if (name.Length == 0 || name == ModelFileHeader.MetadataKey)
                throw new ArgumentException($"ModelFile: '{name}' cannot name a tensor.", nameof(tensors));
            try { s_strictUtf8.GetByteCount(name); }
            catch (EncoderFallbackException e)
            {
                throw new ArgumentException($"ModelFile: tensor name '{name}' is not valid UTF-16.",
                    nameof(tensors), e);
            }
            if (entry is null)
                throw new ArgumentException($"ModelFile: tensor '{name}' is null.", nameof(tensors));
            if (rejectNonFinite && ModelFileData.FirstNonFinite(entry.Values) is (int index, string value))
                throw new ArgumentException($"ModelFile: tensor '{name}' {entry} holds {value} at element {index}; " +
                    "refusing to save non-finite values.", nameof(tensors));
        }
        return sorted;
    }

    /// <summary>Reads a model file; the file must end where its last tensor ends.</summary>
    /// <param name="path">The file.</param>
    /// <param name="rejectNonFinite">Treat NaN or infinite float values as corruption (the default).</param>
    /// <param name="key">When given, the file must be signed with this key: an unsigned file, or one whose HMAC
    /// does not match, is refused (see <see cref="ModelFileKey"/>). Without a key the HMAC is ignored.</param>
    /// <param name="limits">Bounds on the header (the number of tensors); <see cref="ModelFileLimits.Default"/>
    /// when null.</param>
    /// <exception cref="InvalidDataException">The file is truncated, corrupted, not a model file, of a newer
    /// format version, beyond <paramref name="limits"/> or not signed with <paramref name="key"/>; the message
    /// names the file and the problem.</exception>
    public static ModelFileContents Read(string path, bool rejectNonFinite = true, ModelFileKey? key = null,
        ModelFileLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16,
            FileOptions.SequentialScan);
        ModelFileContents contents = ReadCore(stream, rejectNonFinite, path, key, limits ?? ModelFileLimits.Default);
        if (stream.Position != stream.Length)
            throw Invalid(path, $"{stream.Length - stream.Position} bytes follow the last tensor; the file is " +
                "damaged or not a model file");
        return contents;
    }

    /// <summary>
    /// Reads a model file from the current position of <paramref name="stream"/>, leaving it just after the last
    /// tensor. <paramref name="sourceName"/> names the stream in error messages.
    /// </summary>
    /// <inheritdoc cref="Read(string, bool, ModelFileKey, ModelFileLimits)"/>
    public static ModelFileContents Read(Stream stream, bool rejectNonFinite = true, string? sourceName = null,
        ModelFileKey? key = null, ModelFileLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return ReadCore(stream, rejectNonFinite, sourceName ?? "(stream)", key, limits ?? ModelFileLimits.Default);
    }

    private static ModelFileContents ReadCore(Stream stream, bool rejectNonFinite, string source, ModelFileKey? key,
        ModelFileLimits limits)
    {
        Span<byte> prefix = stackalloc byte[8];
        int got = stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
        if (got < 8)
            throw Invalid(source, $"it is {got} bytes long; a model file starts with an 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength < 2 || headerLength > MaxHeaderBytes)
            throw Invalid(source, $"the header length field reads {headerLength}; expected 2 to {MaxHeaderBytes} " +
                "(the file is corrupted or not a model file)");
        long? remaining = stream.CanSeek ? stream.Length - stream.Position : null;
        if (remaining < (long)headerLength)
            throw Truncated(source, $"the header length field says {headerLength} bytes of header follow, but only " +
                $"{remaining} bytes remain");

        byte[] header = ReadHeader(stream, (int)headerLength, source);
        ModelFileHeader.Parsed parsed = ModelFileHeader.Parse(header, source, limits);
        if (key is not null && parsed.Hmac is null)
            throw Invalid(source, $"it is not signed (no \"{ModelFileHeader.HmacField}\" metadata field), but a key " +
                "was given; only a file saved with that key is accepted");

        SortedDictionary<string, TensorEntry> tensors;
        using (var checksum =
               new ModelFileChecksum(parsed.FormatVersionText, parsed.LibraryVersion, parsed.ManifestJson, key))
        {
            foreach (ModelFileHeader.Slot s in parsed.Slots.OrderBy(s => s.Name, StringComparer.Ordinal))
                checksum.AddTensor(s.Name, s.DType, s.Shape, s.Begin, s.End);
            tensors = ModelFileData.ReadTensors(stream, parsed, checksum, source);
            string actual = checksum.Finish();
            if (actual != parsed.Checksum)
                throw Invalid(source, $"checksum mismatch: the header records '{parsed.Checksum}' but the contents " +
                    $"hash to '{actual}'; the file is corrupted");
            if (key is not null) CheckHmac(parsed.Hmac!, checksum.FinishHmac(), source);
        }
        if (rejectNonFinite)
            foreach (ModelFileHeader.Slot slot in parsed.Slots)
                if (ModelFileData.FirstNonFinite(tensors[slot.Name].Values) is (int index, string value))
                    throw Invalid(source, $"tensor '{slot.Name}' {tensors[slot.Name]} holds {value} at element " +
                        $"{index}; pass rejectNonFinite: false to load it anyway");
        try { using var _ = JsonDocument.Parse(parsed.ManifestJson); }
        catch (JsonException e) { throw Invalid(source, $"the manifest is not valid JSON ({e.Message})", e); }

        var contents = new ModelFileContents(parsed.FormatVersion, parsed.LibraryVersion, parsed.ManifestJson, tensors);
        return Migrate(contents, source);
    }

    /// <summary>
    /// Brings a file of an older format version to the current layout. Each new version adds a case that converts
    /// from its predecessor and falls through to the next, so every old file keeps loading. Today only version 1
    /// exists. <see cref="ModelFileContents.FormatVersion"/> keeps the version the file was written with.
    /// </summary>
    private static ModelFileContents Migrate(ModelFileContents contents, string source) => contents.FormatVersion switch
    {
        CurrentFormatVersion => contents,
        // When version 2 arrives: 1 => Migrate(FromVersion1(contents), source) with FromVersion1 rewriting the
        // manifest or renaming tensors as needed.
        _ => throw Invalid(source, $"format version {contents.FormatVersion} is not one this library knows"),
    };

    /// <summary>
    /// The header: <paramref name="length"/> bytes, already checked against the cap and, for a seekable stream, against
    /// what remains. A stream of unknown length is read in growing steps, so a length field claiming far more than
    /// the stream holds costs about what the stream holds, not the claimed size.
    /// </summary>
    private static byte[] ReadHeader(Stream stream, int length, string source)
    {
        const int Step = 1 << 20;
        if (stream.CanSeek || length <= Step)
        {
            var header = new byte[length];
            int got = stream.ReadAtLeast(header, length, throwOnEndOfStream: false);
            if (got < length)
                throw Truncated(source, $"the header should be {length} bytes, but the stream ends after {got}");
            return header;
        }
        var buffer = new MemoryStream();
        var chunk = new byte[Step];
        while (buffer.Length < length)
        {
            int want = (int)Math.Min(Step, length - buffer.Length);
            int got = stream.ReadAtLeast(chunk.AsSpan(0, want), want, throwOnEndOfStream: false);
            buffer.Write(chunk, 0, got);
            if (got < want)
                throw Truncated(source,
                    $"the header should be {length} bytes, but the stream ends after {buffer.Length}");
        }
        return buffer.ToArray();
    }

    /// <summary>Compares the recorded HMAC with the one computed under the reader's key, in constant time (a
    /// comparison that stops at the first differing byte would let an attacker guess a valid HMAC byte by byte).
    /// </summary>
    private static void CheckHmac(string recorded, byte[] computed, string source)
    {
        byte[]? stored = null;
        if (recorded.StartsWith(ModelFileChecksum.HmacPrefix, StringComparison.Ordinal)
            && recorded.Length == ModelFileChecksum.HmacPrefix.Length + 2 * computed.Length)
        {
            try { stored = Convert.FromHexString(recorded.AsSpan(ModelFileChecksum.HmacPrefix.Length)); }
            catch (FormatException) { }
        }
        if (stored is null)
            throw Invalid(source, $"its \"{ModelFileHeader.HmacField}\" field is not " +
                $"'{ModelFileChecksum.HmacPrefix}' followed by {2 * computed.Length} hex digits");
        if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(stored, computed))
            throw Invalid(source, "its HMAC does not match the key: the file was changed after it was signed, or " +
                "it was signed with another key; it cannot be trusted");
    }

    /// <summary>The header for tensors in ordinal name order, with the checksum over them (one extra pass over the
    /// data in memory, so the header can precede the data it describes), and with a key the HMAC too.</summary>
    private static byte[] BuildHeader(string manifestJson, KeyValuePair<string, TensorEntry>[] sorted,
        ModelFileKey? key)
    {
        string version = CurrentFormatVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var checksum = new ModelFileChecksum(version, LibraryVersion, manifestJson, key);
        long offset = 0;
        foreach ((string name, TensorEntry entry) in sorted)
        {
            long end = offset + (long)entry.Values.Length * TensorEntry.ItemSize(entry.DType);
            checksum.AddTensor(name, entry.DType, entry.Shape, offset, end);
            offset = end;
        }
        foreach ((_, TensorEntry entry) in sorted)
            checksum.AddData(ModelFileData.LittleEndianBytes(entry.Values));
        string? hmac = key is null ? null
            : ModelFileChecksum.HmacPrefix + Convert.ToHexStringLower(checksum.FinishHmac());
        return ModelFileHeader.Build(manifestJson, LibraryVersion, checksum.Finish(), hmac, sorted);
    }

    private static void WriteBody(Stream stream, byte[] header, KeyValuePair<string, TensorEntry>[] sorted)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach ((_, TensorEntry entry) in sorted)
            stream.Write(ModelFileData.LittleEndianBytes(entry.Values));
    }

    /// <summary>
    /// Replaces <paramref name="path"/> with what <paramref name="write"/> produces: a uniquely named temporary file
    /// in the same directory (so the final rename stays on one volume), flushed to disk, then moved over the target.
    /// On any exception the temporary file is deleted and the target left as it was.
    /// </summary>
    internal static void ReplaceFile(string path, Action<Stream> write) => FileFormats.AtomicFile.Write(path, write);

    internal static InvalidDataException Invalid(string source, string problem, Exception? inner = null) =>
        new($"Model file '{source}': {problem}.", inner);

    internal static InvalidDataException Truncated(string source, string problem) =>
        Invalid(source, $"{problem}; the file is truncated (an interrupted copy or download?)");
}
