using System.Text.Json.Serialization;
using Amortized.Inference.Approximators;

namespace Amortized.Native;

/// <summary>What amortized_info_json reports (see amortized.h); property names are written in snake_case.</summary>
internal sealed record ModelInfo(
    int AbiVersion,
    string LibraryVersion,
    IReadOnlyList<KeyInfo> Observations,
    int ObservationSize,
    string ObservationShapesSource,
    IReadOnlyList<KeyInfo> Parameters,
    int ParameterDim,
    IReadOnlyList<string> ParameterNames,
    ApproximatorSpec Spec,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>One raw key of a flat row.</summary>
internal sealed record KeyInfo(string Key, int[] Shape, int Offset, int Size, string[]? Names);

/// <summary>
/// Source-generated, so the info JSON needs no reflection under Native AOT. The spec is written with the
/// options of the model file's own spec JSON (snake_case, enums by name, nulls left out), so it reads the same.
/// </summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(ModelInfo))]
internal sealed partial class NativeJsonContext : JsonSerializerContext
{
}
