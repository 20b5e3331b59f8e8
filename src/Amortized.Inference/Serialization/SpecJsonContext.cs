using System.Text.Json.Serialization;
using Amortized.Inference.Approximators;

namespace Amortized.Inference.Serialization;

/// <summary>
/// Source-generated JSON for the specs and options records (no reflection, so it stays AOT- and trim-clean).
/// Enums are written by name so files stay readable and robust to reordering.
/// </summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ApproximatorSpec))]
[JsonSerializable(typeof(PointApproximatorSpec))]
[JsonSerializable(typeof(ModelComparisonSpec))]
internal sealed partial class SpecJsonContext : JsonSerializerContext
{
}
