using System.Text.Json;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.Adapters;

/// <summary>
/// Joins keys along the last axis into one key, remembering the split sizes so the inverse can split network
/// outputs (with any leading axes, e.g. (B, S, D) samples) back into the original keys. A key of shape (B) is
/// treated as (B, 1) and given back as (B). Log-dets of the joined keys are summed into the new key.
/// </summary>
internal sealed class ConcatenateTransform(string[] keys, string into) : IAdapterTransform
{
    public string[] Keys { get; } = keys;
    public string Into { get; } = into;
    /// <summary>Last-axis size per key, recorded by the forward pass.</summary>
    public int[]? Sizes { get; set; }
    /// <summary>Whether each key was 1-D (B), recorded by the forward pass.</summary>
    public bool[]? Vector { get; set; }
    public string TypeName => "concatenate";
    public IEnumerable<string> NamedKeys => [.. Keys, Into];

    public void TraceBack(InputTrace trace)
    {
        if (!trace.Remove(Into, out int[]? joined)) return;
        int[]? lead = joined is { Length: > 0 } s ? s[..^1] : null;
        for (int j = 0; j < Keys.Length; j++)
        {
            int[]? shape = lead is null || Sizes is null || Vector is null
                ? null : Vector[j] ? lead : [.. lead, Sizes[j]];
            trace.Add(Keys[j], shape);
        }
    }

    public void Forward(AdapterContext c)
    {
        int present = 0;
        foreach (string k in Keys) if (c.Data.Contains(k)) present++;
        if (present == 0 && !c.Strict) return;
        foreach (string k in Keys) c.Require(k, TypeName);
        if (present < Keys.Length)
            throw new KeyNotFoundException($"Adapter.concatenate: only {present} of the keys {ShapeText.Keys(Keys)} " +
                $"are present; the data has {ShapeText.Keys(c.Data.Keys)}.");

        int[]? lead = null;
        var sizes = new int[Keys.Length];
        var vector = new bool[Keys.Length];
        for (int j = 0; j < Keys.Length; j++)
        {
            int[] shape = c.Data.Shape(Keys[j]).ToArray();
            vector[j] = shape.Length == 1;
            int[] l = vector[j] ? shape : shape[..^1];
            sizes[j] = vector[j] ? 1 : shape[^1];
            if (lead is null) lead = l;
            else if (!ShapeText.Equal(l, lead))
                throw new ArgumentException(
                    $"Adapter.concatenate: key '{Keys[j]}' has shape {ShapeText.Format(shape)}; its leading axes " +
                    $"{ShapeText.Format(l)} differ from {ShapeText.Format(lead)} of '{Keys[0]}'.");
        }
        int rows = ShapeText.Product(lead!), total = sizes.Sum();
        var data = new float[rows * total];
        int offset = 0;
        for (int j = 0; j < Keys.Length; j++)
        {
            float[] src = c.Data.Get(Keys[j]);
            for (int r = 0; r < rows; r++) Array.Copy(src, r * sizes[j], data, r * total + offset, sizes[j]);
            offset += sizes[j];
        }
        Sizes = sizes;
        Vector = vector;
        foreach (string k in Keys) c.Data.Remove(k);
        c.Data.SetCore(Into, data, [.. lead!, total], false);
        foreach (string k in Keys) c.MoveLogDet(k, Into);
    }

    public void Inverse(AdapterContext c)
    {
        if (!c.Data.Contains(Into)) return;
        if (Sizes is null || Vector is null)
            throw new InvalidOperationException($"Adapter.concatenate: the split sizes of '{Into}' are unknown; run " +
                "Forward once (or load a fitted adapter) before Inverse.");
        int[] shape = c.Data.Shape(Into).ToArray();
        int total = Sizes.Sum();
        if (shape.Length < 2 || shape[^1] != total)
            throw new ArgumentException($"Adapter.concatenate: key '{Into}' has shape {ShapeText.Format(shape)}; " +
                $"expected a last axis of {total} (sizes {string.Join(" + ", Sizes)}).");
        int[] lead = shape[..^1];
        int rows = ShapeText.Product(lead);
        float[] src = c.Data.Get(Into);
        c.Data.Remove(Into);
        int offset = 0;
        for (int j = 0; j < Keys.Length; j++)
        {
            var data = new float[rows * Sizes[j]];
            for (int r = 0; r < rows; r++) Array.Copy(src, r * total + offset, data, r * Sizes[j], Sizes[j]);
            offset += Sizes[j];
            c.Data.SetCore(Keys[j], data, Vector[j] ? lead : [.. lead, Sizes[j]], false);
        }
        c.MoveLogDet(Into, Keys[0]);
    }

    public void Write(Utf8JsonWriter w)
    {
        AdapterJson.WriteStrings(w, "keys", Keys);
        w.WriteString("into", Into);
        if (Sizes is not null) AdapterJson.WriteInts(w, "sizes", Sizes);
        if (Vector is not null)
        {
            w.WriteStartArray("vector");
            foreach (bool v in Vector) w.WriteBooleanValue(v);
            w.WriteEndArray();
        }
    }
}

/// <summary>Splits a key along its last axis into several keys of the given sizes; the inverse joins them.</summary>
internal sealed class SplitTransform : IAdapterTransform
{
    private readonly ConcatenateTransform _join;

    public SplitTransform(string key, string[] into, int[] sizes)
    {
        if (into.Length != sizes.Length || into.Length == 0)
            throw new ArgumentException($"Adapter.Split: {into.Length} output keys and {sizes.Length} sizes; " +
                "expected the same nonzero count.", nameof(sizes));
        Key = key;
        _join = new ConcatenateTransform(into, key) { Sizes = sizes, Vector = new bool[sizes.Length] };
    }

    public string Key { get; }
    public string[] Into => _join.Keys;
    public int[] Sizes => _join.Sizes!;
    public string TypeName => "split";
    public IEnumerable<string> NamedKeys => [Key, .. Into];

    public void TraceBack(InputTrace trace)
    {
        int[]? lead = null;
        bool any = false;
        foreach (string k in Into)
            if (trace.Remove(k, out int[]? part))
            {
                any = true;
                if (part is { Length: > 0 } s) lead ??= s[..^1];
            }
        if (any) trace.Add(Key, lead is null ? null : [.. lead, Sizes.Sum()]);
    }

    public void Forward(AdapterContext c)
    {
        if (!c.Require(Key, TypeName)) return;
        _join.Inverse(c);
    }

    public void Inverse(AdapterContext c)
    {
        foreach (string k in Into) if (!c.Data.Contains(k)) return;
        int[] sizes = (int[])Sizes.Clone();
        _join.Forward(c);
        _join.Sizes = sizes;
        _join.Vector = new bool[sizes.Length];
    }

    public void Write(Utf8JsonWriter w)
    {
        w.WriteString("key", Key);
        AdapterJson.WriteStrings(w, "into", Into);
        AdapterJson.WriteInts(w, "sizes", Sizes);
    }
}
