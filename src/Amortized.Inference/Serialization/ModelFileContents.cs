namespace Amortized.Inference.Serialization;

/// <summary>
/// What <see cref="ModelFile.Read(string, bool, ModelFileKey, ModelFileLimits)"/> returns: the format version the file was written with, the
/// library version that wrote it, the manifest (JSON text, already checked to parse) and the tensors by name,
/// in ordinal name order. Files of older format versions are migrated to the current layout on reading.
/// </summary>
public sealed record ModelFileContents(
    int FormatVersion,
    string LibraryVersion,
    string ManifestJson,
    IReadOnlyDictionary<string, TensorEntry> Tensors);
