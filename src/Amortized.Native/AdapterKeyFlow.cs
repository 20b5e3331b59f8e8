using System.Text.Json;
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;

namespace Amortized.Native;

/// <summary>
/// Finds the raw observation keys a model reads, and their per-data-set shapes where the model fixes them, by
/// tracing the network's inputs backwards through the adapter's transforms (read from the adapter's JSON, since
/// the transforms themselves are internal to Amortized.Inference). Shapes exclude the batch axis; -1 marks a
/// dimension the model leaves open (the size of a set), and a null shape a key whose rank is unknown too.
/// </summary>
/// <remarks>
/// The trace starts from what sampling consumes: <c>inference_conditions</c> (C,) when the spec has direct
/// conditions, <c>summary_variables</c> (N, F) with a summary network, and <c>summary_mask</c> (N,) if some
/// transform produces it (a mask that no transform produces is optional: the encoder uses it only if present).
/// Keys no transform produces are raw keys. The result is checked afterwards by pushing zeros through the real
/// adapter and networks, so a gap here shows up as a load error, never as a wrong layout.
/// </remarks>
internal static class AdapterKeyFlow
{
    private sealed class Need(int[]? shape, bool optional)
    {
        public int[]? Shape = shape;
        public bool Optional = optional;
    }

    /// <summary>The raw keys in order of first mention in the adapter (keys never mentioned last) with their shapes.</summary>
    public static List<KeyValuePair<string, int[]?>> Trace(Adapter adapter, ApproximatorSpec spec)
    {
        using var doc = JsonDocument.Parse(adapter.ToJson());
        JsonElement[] transforms = [.. doc.RootElement.GetProperty("transforms").EnumerateArray()];

        var needed = new Dictionary<string, Need>(StringComparer.Ordinal);
        if (spec.ConditionDim > 0) needed[Keys.InferenceConditions] = new([spec.ConditionDim], false);
        if (spec.Summary != SummaryNetworkKind.None)
        {
            needed[Keys.SummaryVariables] = new([-1, spec.SummaryInputDim], false);
            needed[Keys.SummaryMask] = new([-1], true);
        }
        for (int i = transforms.Length - 1; i >= 0; i--) Undo(transforms[i], needed);

        var order = new List<string>();
        foreach (JsonElement t in transforms)
            foreach (string k in Mentions(t))
                if (!order.Contains(k)) order.Add(k);
        order.AddRange([Keys.InferenceConditions, Keys.SummaryVariables, Keys.SummaryMask]);

        var result = new List<KeyValuePair<string, int[]?>>();
        foreach (string k in order)
            if (needed.Remove(k, out Need? n) && !n.Optional) result.Add(new(k, n.Shape));
        foreach (var (k, n) in needed)   // unreachable with the lists above; kept so no key is ever lost
            if (!n.Optional) result.Add(new(k, n.Shape));
        return result;
    }

    /// <summary>Replaces the keys a transform produced by the keys it read, with the shapes they had before it.</summary>
    private static void Undo(JsonElement t, Dictionary<string, Need> needed)
    {
        string type = t.GetProperty("type").GetString() ?? "";
        switch (type)
        {
            case "rename":
                if (needed.Remove(Str(t, "to"), out Need? renamed)) Add(needed, Str(t, "from"), renamed.Shape);
                break;
            case "concatenate":
            {
                if (!needed.Remove(Str(t, "into"), out Need? joined)) break;
                string[] keys = Strs(t, "keys");
                int[]? sizes = t.TryGetProperty("sizes", out _) ? Ints(t, "sizes") : null;
                bool[]? vector = t.TryGetProperty("vector", out JsonElement v) ? [.. v.EnumerateArray().Select(b => b.GetBoolean())] : null;
                int[]? lead = joined.Shape is { Length: > 0 } s ? s[..^1] : null;
                for (int j = 0; j < keys.Length; j++)
                {
                    int[]? shape = lead is null || sizes is null || vector is null ? null
                        : vector[j] ? lead : [.. lead, sizes[j]];
                    Add(needed, keys[j], shape);
                }
                break;
            }
            case "split":
            {
                int[]? lead = null;
                bool any = false;
                foreach (string k in Strs(t, "into"))
                    if (needed.Remove(k, out Need? part))
                    {
                        any = true;
                        if (part.Shape is { Length: > 0 } s) lead ??= s[..^1];
                    }
                if (any) Add(needed, Str(t, "key"), lead is null ? null : [.. lead, Ints(t, "sizes").Sum()]);
                break;
            }
            case "as_set" or "as_time_series":
                foreach (string k in Strs(t, "keys"))
                {
                    // (N) became (N, 1). Without the recorded rank either reading has the same floats, so keep it.
                    if (!needed.TryGetValue(k, out Need? n) || n.Shape is not { Length: 2 } s || s[1] is not (1 or -1)) continue;
                    if (t.TryGetProperty("ranks", out JsonElement ranks) && ranks.TryGetProperty(k, out JsonElement r) && r.GetInt32() == 2)
                        n.Shape = [s[0]];
                }
                break;
            case "broadcast":
            {
                bool any = false;
                foreach (string k in Strs(t, "keys"))
                {
                    if (!needed.Remove(k)) continue;
                    any = true;
                    int[]? shape = t.TryGetProperty("shapes", out JsonElement shapes) && shapes.TryGetProperty(k, out JsonElement sh)
                        ? [.. sh.EnumerateArray().Select(d => d.GetInt32())] : null;
                    Add(needed, k, shape);
                }
                // Broadcasting reads the target's shape, so the target must be present as well.
                if (any) Add(needed, Str(t, "to"), null);
                break;
            }
            case "expand_dims":
                foreach (string k in Strs(t, "keys")) Reshape(needed, k, s => RemoveAxis(s, t.GetProperty("axis").GetInt32()));
                break;
            case "squeeze":
                foreach (string k in Strs(t, "keys")) Reshape(needed, k, s => InsertAxis(s, t.GetProperty("axis").GetInt32()));
                break;
            case "one_hot":
                Reshape(needed, Str(t, "key"), s => s.Length == 0 ? null : s[..^1]);
                break;
            case "nan_to_num":
                if (t.TryGetProperty("mask_key", out JsonElement mk) && mk.GetString() is string mask && needed.Remove(mask, out Need? m))
                    Add(needed, Str(t, "key"), m.Shape);
                break;
            case "take" or "random_subsample":
                Reshape(needed, Str(t, "key"), s =>
                {
                    int axis = t.GetProperty("axis").GetInt32(), a = (axis < 0 ? s.Length + 1 + axis : axis) - 1;
                    if (a < 0 || a >= s.Length) return null;
                    int[] before = (int[])s.Clone();
                    before[a] = -1;   // the length before the selection is not recorded
                    return before;
                });
                break;
            default:
                // Elementwise transforms (standardize, log, sqrt, scale, shift, constrain) keep shapes; drop, keep
                // and to_float32 produce nothing the networks read.
                break;
        }
    }

    private static void Add(Dictionary<string, Need> needed, string key, int[]? shape)
    {
        if (!needed.TryGetValue(key, out Need? n))
        {
            needed[key] = new(shape, false);
            return;
        }
        n.Optional = false;
        if (n.Shape is null) n.Shape = shape;
        else if (shape is not null && shape.Length == n.Shape.Length)
            for (int i = 0; i < shape.Length; i++)
                if (n.Shape[i] < 0) n.Shape[i] = shape[i];
    }

    private static void Reshape(Dictionary<string, Need> needed, string key, Func<int[], int[]?> change)
    {
        if (needed.TryGetValue(key, out Need? n) && n.Shape is not null) n.Shape = change(n.Shape);
    }

    // Axes count the batch axis as 0, as in ExpandDims/Squeeze; per-data-set shapes do not hold it.
    private static int[]? RemoveAxis(int[] after, int axis)
    {
        int rank = after.Length + 1, a = axis < 0 ? rank + axis : axis;
        return a < 1 || a >= rank ? null : [.. after[..(a - 1)], .. after[a..]];
    }

    private static int[]? InsertAxis(int[] after, int axis)
    {
        int rank = after.Length + 2, a = axis < 0 ? rank + axis : axis;
        return a < 1 || a >= rank ? null : [.. after[..(a - 1)], 1, .. after[(a - 1)..]];
    }

    private static IEnumerable<string> Mentions(JsonElement t)
    {
        foreach (string field in (string[])["keys", "key", "from", "to", "into", "mask_key"])
        {
            if (!t.TryGetProperty(field, out JsonElement v)) continue;
            if (v.ValueKind == JsonValueKind.String) yield return v.GetString()!;
            else if (v.ValueKind == JsonValueKind.Array)
                foreach (JsonElement s in v.EnumerateArray())
                    if (s.ValueKind == JsonValueKind.String) yield return s.GetString()!;
        }
    }

    private static string Str(JsonElement t, string name) => t.GetProperty(name).GetString()!;
    private static string[] Strs(JsonElement t, string name) => [.. t.GetProperty(name).EnumerateArray().Select(e => e.GetString()!)];
    private static int[] Ints(JsonElement t, string name) => [.. t.GetProperty(name).EnumerateArray().Select(e => e.GetInt32())];
}
