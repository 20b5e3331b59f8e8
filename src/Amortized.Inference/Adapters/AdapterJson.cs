using System.Text.Json;

namespace Amortized.Inference.Adapters;

/// <summary>Hand-written JSON helpers (no reflection, so the library stays AOT-clean).</summary>
internal static class AdapterJson
{
    public static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (string v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    public static void WriteNumbers(Utf8JsonWriter w, string name, IEnumerable<double> values)
    {
        w.WriteStartArray(name);
        foreach (double v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    public static void WriteInts(Utf8JsonWriter w, string name, IEnumerable<int> values)
    {
        w.WriteStartArray(name);
        foreach (int v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    public static JsonElement Property(JsonElement e, string name, string type)
    {
        if (!e.TryGetProperty(name, out JsonElement p))
            throw new FormatException($"Adapter JSON: transform '{type}' lacks the field '{name}'.");
        return p;
    }

    public static string[] Strings(JsonElement e, string name, string type)
    {
        var list = new List<string>();
        foreach (JsonElement v in Property(e, name, type).EnumerateArray()) list.Add(v.GetString()!);
        return [.. list];
    }

    public static double[] Numbers(JsonElement e, string name, string type)
    {
        var list = new List<double>();
        foreach (JsonElement v in Property(e, name, type).EnumerateArray()) list.Add(v.GetDouble());
        return [.. list];
    }

    public static int[] Ints(JsonElement e, string name, string type)
    {
        var list = new List<int>();
        foreach (JsonElement v in Property(e, name, type).EnumerateArray()) list.Add(v.GetInt32());
        return [.. list];
    }

    public static double? OptionalNumber(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement p) && p.ValueKind == JsonValueKind.Number ? p.GetDouble() : null;
}
