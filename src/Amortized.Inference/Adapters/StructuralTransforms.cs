using System.Text.Json;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.Adapters;

/// <summary>Renames a key; the inverse renames it back.</summary>
internal sealed class RenameTransform(string from, string to) : IAdapterTransform
{
    public string From { get; } = from;
    public string To { get; } = to;
    public string TypeName => "rename";
    public void Forward(AdapterContext c) => Move(c, From, To);
    public void Inverse(AdapterContext c) => Move(c, To, From);
    public IEnumerable<string> NamedKeys => [From, To];

    public void TraceBack(InputTrace trace)
    {
        if (trace.Remove(To, out int[]? shape)) trace.Add(From, shape);
    }

    private void Move(AdapterContext c, string a, string b)
    {
        if (!c.Require(a, TypeName)) return;
        if (c.Data.Contains(b))
            throw new InvalidOperationException($"Adapter.rename: cannot rename '{a}' to '{b}'; key '{b}' already " +
                $"exists in {ShapeText.Keys(c.Data.Keys)}.");
        c.Data.SetCore(b, c.Data.Get(a), c.Data.Shape(a).ToArray(), c.Data.IsInteger(a));
        c.Data.Remove(a);
        c.MoveLogDet(a, b);
    }

    public void Write(Utf8JsonWriter w)
    {
        w.WriteString("from", From);
        w.WriteString("to", To);
    }
}

/// <summary>Removes keys (forward only; the inverse does nothing).</summary>
internal sealed class DropTransform(string[] keys) : IAdapterTransform
{
    public string[] Keys { get; } = keys;
    public string TypeName => "drop";
    public IEnumerable<string> NamedKeys => Keys;

    public void Forward(AdapterContext c)
    {
        foreach (string k in Keys)
            if (c.Require(k, TypeName)) c.Data.Remove(k);
    }

    public void Inverse(AdapterContext c) { }
    public void Write(Utf8JsonWriter w) => AdapterJson.WriteStrings(w, "keys", Keys);
}

/// <summary>Keeps only the listed keys (forward only; the inverse does nothing).</summary>
internal sealed class KeepTransform(string[] keys) : IAdapterTransform
{
    public string[] Keys { get; } = keys;
    public string TypeName => "keep";
    public IEnumerable<string> NamedKeys => Keys;

    public void Forward(AdapterContext c)
    {
        foreach (string k in Keys) c.Require(k, TypeName);
        foreach (string k in c.Data.Keys)
            if (Array.IndexOf(Keys, k) < 0) c.Data.Remove(k);
    }

    public void Inverse(AdapterContext c) { }
    public void Write(Utf8JsonWriter w) => AdapterJson.WriteStrings(w, "keys", Keys);
}

/// <summary>Marks keys as integer-free float32 (all data is float32 already; this clears the integer flag).</summary>
internal sealed class ToFloat32Transform(string[] keys) : IAdapterTransform
{
    public string[] Keys { get; } = keys;
    public string TypeName => "to_float32";
    public IEnumerable<string> NamedKeys => Keys;

    public void Forward(AdapterContext c)
    {
        foreach (string k in Keys)
            if (c.Require(k, TypeName)) c.Data.SetCore(k, c.Data.Get(k), c.Data.Shape(k).ToArray(), false);
    }

    public void Inverse(AdapterContext c) { }
    public void Write(Utf8JsonWriter w) => AdapterJson.WriteStrings(w, "keys", Keys);
}

/// <summary>
/// (B, N) to (B, N, 1) so a set or a time series has a feature axis; (B, N, D) stays. The inverse restores the
/// original rank.
/// </summary>
internal sealed class AsSetTransform(string[] keys, string typeName) : IAdapterTransform
{
    public string[] Keys { get; } = keys;
    public string TypeName { get; } = typeName;
    /// <summary>Original rank per key, recorded by the forward pass (2 or 3).</summary>
    public Dictionary<string, int> Ranks { get; } = new(StringComparer.Ordinal);
    public IEnumerable<string> NamedKeys => Keys;

    public void TraceBack(InputTrace trace)
    {
        foreach (string k in Keys)
        {
            // (N) became (N, 1). Without the recorded rank either reading has the same floats, so keep it.
            if (Ranks.GetValueOrDefault(k) == 2)
                trace.Reshape(k, s => s is [var n, 1 or -1] ? [n] : s);
        }
    }

    public void Forward(AdapterContext c)
    {
        foreach (string k in Keys)
        {
            if (!c.Require(k, TypeName)) continue;
            int[] shape = c.Data.Shape(k).ToArray();
            if (shape.Length is not (2 or 3))
                throw new ArgumentException($"Adapter.{TypeName}: key '{k}' has shape {ShapeText.Format(shape)}; " +
                    "expected (B, N) or (B, N, D).");
            Ranks[k] = shape.Length;
            if (shape.Length == 2) c.Data.SetCore(k, c.Data.Get(k), [.. shape, 1], c.Data.IsInteger(k));
        }
    }

    public void Inverse(AdapterContext c)
    {
        foreach (string k in Keys)
        {
            if (!c.Data.Contains(k) || Ranks.GetValueOrDefault(k) != 2) continue;
            int[] shape = c.Data.Shape(k).ToArray();
            if (shape[^1] == 1) c.Data.SetCore(k, c.Data.Get(k), shape[..^1], c.Data.IsInteger(k));
        }
    }

    public void Write(Utf8JsonWriter w)
    {
        AdapterJson.WriteStrings(w, "keys", Keys);
        w.WriteStartObject("ranks");
        foreach (var (k, r) in Ranks) w.WriteNumber(k, r);
        w.WriteEndObject();
    }
}

/// <summary>
/// Inserts an axis of length 1 at <c>axis</c> (in the output's coordinates; negative counts from the end).
/// </summary>
internal sealed class ExpandDimsTransform(string[] keys, int axis) : IAdapterTransform
{
    public string[] Keys { get; } = keys;
    public int Axis { get; } = axis;
    public string TypeName => "expand_dims";
    public IEnumerable<string> NamedKeys => Keys;

    public void TraceBack(InputTrace trace)
    {
        foreach (string k in Keys) trace.Reshape(k, s => InputTrace.RemoveAxis(s, Axis));
    }
    public void Forward(AdapterContext c) => Reshape.ForKeys(c, Keys, TypeName, s => Reshape.Insert(s, Axis, TypeName));
    public void Inverse(AdapterContext c) => Reshape.ForKeys(c, Keys, null, s => Reshape.Remove(s, Axis, TypeName));

    public void Write(Utf8JsonWriter w)
    {
        AdapterJson.WriteStrings(w, "keys", Keys);
        w.WriteNumber("axis", Axis);
    }
}

/// <summary>Removes the axis of length 1 at <c>axis</c> (negative counts from the end).</summary>
internal sealed class SqueezeTransform(string[] keys, int axis) : IAdapterTransform
{
    public string[] Keys { get; } = keys;
    public int Axis { get; } = axis;
    public string TypeName => "squeeze";
    public IEnumerable<string> NamedKeys => Keys;

    public void TraceBack(InputTrace trace)
    {
        foreach (string k in Keys) trace.Reshape(k, s => InputTrace.InsertAxis(s, Axis));
    }
    public void Forward(AdapterContext c) => Reshape.ForKeys(c, Keys, TypeName, s => Reshape.Remove(s, Axis, TypeName));
    public void Inverse(AdapterContext c) => Reshape.ForKeys(c, Keys, null, s => Reshape.Insert(s, Axis, TypeName));

    public void Write(Utf8JsonWriter w)
    {
        AdapterJson.WriteStrings(w, "keys", Keys);
        w.WriteNumber("axis", Axis);
    }
}

/// <summary>Shape-only helpers for the reshaping transforms.</summary>
internal static class Reshape
{
    /// <summary>
    /// Applies a shape change to each key; <paramref name="strictName"/> null means skip missing keys.
    /// </summary>
    public static void ForKeys(AdapterContext c, string[] keys, string? strictName, Func<int[], int[]> change)
    {
        foreach (string k in keys)
        {
            if (strictName is null ? !c.Data.Contains(k) : !c.Require(k, strictName)) continue;
            int[] shape;
            try { shape = change(c.Data.Shape(k).ToArray()); }
            catch (ArgumentException e) { throw new ArgumentException($"key '{k}': {e.Message}", e); }
            c.Data.SetCore(k, c.Data.Get(k), shape, c.Data.IsInteger(k));
        }
    }

    public static int[] Insert(int[] shape, int axis, string name)
    {
        int rank = shape.Length + 1, a = axis < 0 ? rank + axis : axis;
        if (a < 1 || a >= rank)
            throw new ArgumentException($"Adapter.{name}: axis {axis} is invalid for shape " +
                $"{ShapeText.Format(shape)}; expected 1..{rank - 1} (axis 0 is the batch).");
        return [.. shape[..a], 1, .. shape[a..]];
    }

    public static int[] Remove(int[] shape, int axis, string name)
    {
        int a = axis < 0 ? shape.Length + axis : axis;
        if (a < 1 || a >= shape.Length || shape[a] != 1)
            throw new ArgumentException($"Adapter.{name}: cannot remove axis {axis} of shape " +
                $"{ShapeText.Format(shape)}; expected an axis of length 1 other than the batch axis.");
        return [.. shape[..a], .. shape[(a + 1)..]];
    }
}
