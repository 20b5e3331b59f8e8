using System.Text.Json;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.Adapters;

/// <summary>
/// Repeats a per-row key (B, k) (or (B)) across the middle axes of <c>to</c> (B, N, ..., D), giving
/// (B, N, ..., k), e.g. a set size beside every set element. The inverse takes the first copy.
/// </summary>
internal sealed class BroadcastTransform(string[] keys, string to) : IAdapterTransform
{
    public string[] Keys { get; } = keys;
    public string To { get; } = to;
    public Dictionary<string, int[]> Shapes { get; } = new(StringComparer.Ordinal);
    public string TypeName => "broadcast";
    public IEnumerable<string> NamedKeys => [.. Keys, To];

    public void TraceBack(InputTrace trace)
    {
        bool any = false;
        foreach (string k in Keys)
        {
            if (!trace.Remove(k, out _)) continue;
            any = true;
            trace.Add(k, Shapes.TryGetValue(k, out int[]? shape) ? (int[])shape.Clone() : null);
        }
        // Broadcasting reads the target's shape, so the target must be present as well.
        if (any) trace.Add(To, null);
    }

    public void Forward(AdapterContext c)
    {
        if (!c.Require(To, TypeName)) return;
        int[] target = c.Data.Shape(To).ToArray();
        int copies = ShapeText.Product(target.AsSpan(1, Math.Max(target.Length - 2, 0)));
        foreach (string k in Keys)
        {
            if (!c.Require(k, TypeName)) continue;
            int[] shape = c.Data.Shape(k).ToArray();
            if (shape.Length > 2)
                throw new ArgumentException(
                    $"Adapter.broadcast: key '{k}' has shape {ShapeText.Format(shape)}; expected (B) or (B, k).");
            int width = shape.Length == 1 ? 1 : shape[1], b = shape[0];
            float[] src = c.Data.Get(k);
            var data = new float[b * copies * width];
            for (int r = 0; r < b; r++)
                for (int j = 0; j < copies; j++) Array.Copy(src, r * width, data, (r * copies + j) * width, width);
            Shapes[k] = shape[1..];
            int[] newShape = target.Length >= 2 ? [.. target[..^1], width] : [b, width];
            c.Data.SetCore(k, data, newShape, c.Data.IsInteger(k));
        }
    }

    public void Inverse(AdapterContext c)
    {
        foreach (string k in Keys)
        {
            if (!c.Data.Contains(k) || !Shapes.TryGetValue(k, out int[]? rowShape)) continue;
            int b = c.Data.BatchSize, width = ShapeText.Product(rowShape), perRow = c.Data.RowLength(k);
            float[] src = c.Data.Get(k);
            var data = new float[b * width];
            for (int r = 0; r < b; r++) Array.Copy(src, r * perRow, data, r * width, width);
            c.Data.SetCore(k, data, [b, .. rowShape], c.Data.IsInteger(k));
        }
    }

    public void Write(Utf8JsonWriter w)
    {
        AdapterJson.WriteStrings(w, "keys", Keys);
        w.WriteString("to", To);
        w.WriteStartObject("shapes");
        foreach (var (k, s) in Shapes) AdapterJson.WriteInts(w, k, s);
        w.WriteEndObject();
    }
}

/// <summary>Integer class labels (..) to one-hot vectors (.., K); the inverse takes the argmax.</summary>
internal sealed class OneHotTransform(string key, int numClasses) : IAdapterTransform
{
    public string Key { get; } = key;
    public int NumClasses { get; } = numClasses > 0 ? numClasses : throw new ArgumentOutOfRangeException(
        nameof(numClasses), $"Adapter.OneHot: numClasses must be > 0; got {numClasses}.");
    public string TypeName => "one_hot";
    public IEnumerable<string> NamedKeys => [Key];
    public void TraceBack(InputTrace trace) => trace.Reshape(Key, s => s.Length == 0 ? null : s[..^1]);

    public void Forward(AdapterContext c)
    {
        if (!c.Require(Key, TypeName)) return;
        float[] src = c.Data.Get(Key);
        var data = new float[src.Length * NumClasses];
        for (int i = 0; i < src.Length; i++)
        {
            float v = src[i];
            if (!(v >= 0 && v < NumClasses && MathF.Round(v) == v))
                throw new ArgumentException($"Adapter.one_hot: key '{Key}' element {i} is {v}; expected an integer " +
                    $"class in [0, {NumClasses}).");
            data[i * NumClasses + (int)v] = 1;
        }
        c.Data.SetCore(Key, data, [.. c.Data.Shape(Key), NumClasses], false);
    }

    public void Inverse(AdapterContext c)
    {
        if (!c.Data.Contains(Key)) return;
        int[] shape = c.Data.Shape(Key).ToArray();
        if (shape[^1] != NumClasses)
            throw new ArgumentException($"Adapter.one_hot: key '{Key}' has shape {ShapeText.Format(shape)}; expected " +
                $"a last axis of {NumClasses}.");
        float[] src = c.Data.Get(Key);
        var data = new float[src.Length / NumClasses];
        for (int i = 0; i < data.Length; i++)
        {
            int best = 0;
            for (int k = 1; k < NumClasses; k++) if (src[i * NumClasses + k] > src[i * NumClasses + best]) best = k;
            data[i] = best;
        }
        c.Data.SetCore(Key, data, shape.Length == 1 ? [shape[0]] : shape[..^1], true);
    }

    public void Write(Utf8JsonWriter w)
    {
        w.WriteString("key", Key);
        w.WriteNumber("num_classes", NumClasses);
    }
}

/// <summary>
/// Replaces NaN and infinities with a value; with a mask key, also adds a mask (1 where the value was finite,
/// 0 where replaced), and the inverse puts NaN back where the mask is 0 and removes the mask.
/// </summary>
internal sealed class NanToNumTransform(string key, float value, string? maskKey) : IAdapterTransform
{
    public string Key { get; } = key;
    public float Value { get; } = value;
    public string? MaskKey { get; } = maskKey;
    public string TypeName => "nan_to_num";
    public IEnumerable<string> NamedKeys => MaskKey is null ? [Key] : [Key, MaskKey];

    public void TraceBack(InputTrace trace)
    {
        if (MaskKey is not null && trace.Remove(MaskKey, out int[]? mask)) trace.Add(Key, mask);
    }

    public void Forward(AdapterContext c)
    {
        if (!c.Require(Key, TypeName)) return;
        float[] src = c.Data.Get(Key);
        var data = new float[src.Length];
        float[]? mask = MaskKey is null ? null : new float[src.Length];
        for (int i = 0; i < src.Length; i++)
        {
            bool finite = float.IsFinite(src[i]);
            data[i] = finite ? src[i] : Value;
            if (mask is not null) mask[i] = finite ? 1 : 0;
        }
        int[] shape = c.Data.Shape(Key).ToArray();
        c.Data.SetCore(Key, data, shape, c.Data.IsInteger(Key));
        if (mask is not null) c.Data.SetCore(MaskKey!, mask, shape, false);
    }

    public void Inverse(AdapterContext c)
    {
        if (MaskKey is null || !c.Data.Contains(Key) || !c.Data.Contains(MaskKey)) return;
        float[] src = c.Data.Get(Key), mask = c.Data.Get(MaskKey);
        if (mask.Length != src.Length)
            throw new ArgumentException($"Adapter.nan_to_num: mask '{MaskKey}' has {mask.Length} values; expected " +
                $"{src.Length} like '{Key}'.");
        var data = new float[src.Length];
        for (int i = 0; i < src.Length; i++) data[i] = mask[i] == 0 ? float.NaN : src[i];
        c.Data.SetCore(Key, data, c.Data.Shape(Key).ToArray(), false);
        c.Data.Remove(MaskKey);
    }

    public void Write(Utf8JsonWriter w)
    {
        w.WriteString("key", Key);
        w.WriteNumber("value", Value);
        if (MaskKey is not null) w.WriteString("mask_key", MaskKey);
    }
}

/// <summary>Selects indices along an axis (forward only); with <c>sampleSize</c>, a random subset instead.</summary>
internal sealed class TakeTransform : IAdapterTransform
{
    public TakeTransform(string key, int[]? indices, int axis, int sampleSize)
    {
        if (axis == 0)
            throw new ArgumentException("Adapter.Take: axis 0 is the batch axis; expected another axis.", nameof(axis));
        Key = key;
        Indices = indices;
        Axis = axis;
        SampleSize = sampleSize;
    }

    public string Key { get; }
    public int[]? Indices { get; }
    public int Axis { get; }
    /// <summary>Nonzero for random_subsample: the number of indices drawn without replacement.</summary>
    public int SampleSize { get; }
    public string TypeName => Indices is null ? "random_subsample" : "take";
    public IEnumerable<string> NamedKeys => [Key];

    public void TraceBack(InputTrace trace) => trace.Reshape(Key, s =>
    {
        int a = (Axis < 0 ? s.Length + 1 + Axis : Axis) - 1;
        if (a < 0 || a >= s.Length) return null;
        int[] before = (int[])s.Clone();
        before[a] = -1;   // the length before the selection is not recorded
        return before;
    });

    public void Forward(AdapterContext c)
    {
        if (!c.Require(Key, TypeName)) return;
        int[] shape = c.Data.Shape(Key).ToArray();
        int a = Axis < 0 ? shape.Length + Axis : Axis;
        if (a < 1 || a >= shape.Length)
            throw new ArgumentException($"Adapter.{TypeName}: axis {Axis} is invalid for key '{Key}' of shape " +
                $"{ShapeText.Format(shape)}.");
        int n = shape[a];
        int[] idx = Indices ?? Subsample(c, n);
        foreach (int i in idx)
            if ((uint)i >= (uint)n)
                throw new ArgumentException($"Adapter.{TypeName}: index {i} is outside [0, {n}) on axis {Axis} of " +
                    $"key '{Key}' (shape {ShapeText.Format(shape)}).");
        int outer = ShapeText.Product(shape.AsSpan(0, a)), inner = ShapeText.Product(shape.AsSpan(a + 1));
        float[] src = c.Data.Get(Key);
        var data = new float[outer * idx.Length * inner];
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < idx.Length; j++)
                Array.Copy(src, (o * n + idx[j]) * inner, data, (o * idx.Length + j) * inner, inner);
        shape[a] = idx.Length;
        c.Data.SetCore(Key, data, shape, c.Data.IsInteger(Key));
    }

    private int[] Subsample(AdapterContext c, int n)
    {
        if (c.Rng is null)
            throw new InvalidOperationException(
                $"Adapter.random_subsample: key '{Key}' needs an Rng; pass one to Forward.");
        if (SampleSize > n)
            throw new ArgumentException($"Adapter.random_subsample: sample size {SampleSize} exceeds the {n} " +
                $"elements of key '{Key}' on axis {Axis}.");
        var perm = new int[n];
        c.Rng.Permutation(perm);
        int[] chosen = perm[..SampleSize];
        Array.Sort(chosen); // keep the original order (time series stay ordered)
        return chosen;
    }

    public void Inverse(AdapterContext c) { }

    public void Write(Utf8JsonWriter w)
    {
        w.WriteString("key", Key);
        if (Indices is not null) AdapterJson.WriteInts(w, "indices", Indices);
        w.WriteNumber("axis", Axis);
        if (Indices is null) w.WriteNumber("sample_size", SampleSize);
    }
}
