using System.Text;
using Amortized.Inference.Adapters;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.Diagnostics;

/// <summary>
/// How the D scalar parameters of the diagnostics are laid out over named batch keys: keys in order, each with its
/// per-data-set shape (no batch or draw axis), flattened in C order and concatenated, as the adapter's
/// <c>concatenate</c> builds <c>inference_variables</c>. A key <c>beta</c> of shape (2,) and a scalar <c>sigma</c>
/// give D = 3 and the names <c>beta[0]</c>, <c>beta[1]</c>, <c>sigma</c>; a key <c>W</c> of shape (2, 2) gives
/// <c>W[0,0]</c> .. <c>W[1,1]</c>; a key of one element (shape () or (1,)) keeps its bare name.
/// </summary>
public sealed class ParameterLayout
{
    private readonly string[] _keys;
    private readonly int[][] _shapes;
    private readonly int[] _offsets;
    private readonly string[] _names;

    /// <summary>A layout of <paramref name="keys"/> with their per-data-set shapes (no batch axis).</summary>
    /// <param name="keys">Keys with shapes; () is a scalar. At least one key, no key twice.</param>
    public ParameterLayout(IReadOnlyList<(string Key, int[] Shape)> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
            throw new ArgumentException("ParameterLayout: expected at least one parameter key.", nameof(keys));
        _keys = new string[keys.Count];
        _shapes = new int[keys.Count][];
        _offsets = new int[keys.Count + 1];
        var names = new List<string>();
        for (int k = 0; k < keys.Count; k++)
        {
            var (key, shape) = keys[k];
            ArgumentException.ThrowIfNullOrEmpty(key);
            ArgumentNullException.ThrowIfNull(shape);
            if (Array.IndexOf(_keys, key, 0, k) >= 0)
                throw new ArgumentException($"ParameterLayout: key '{key}' is given twice.", nameof(keys));
            foreach (int d in shape)
                if (d < 1) throw new ArgumentException($"ParameterLayout: key '{key}' has shape " +
                    $"{ShapeText.Format(shape)}; every dimension must be at least 1.", nameof(keys));
            _keys[k] = key;
            _shapes[k] = (int[])shape.Clone();
            int size = ShapeText.Product(shape);
            _offsets[k + 1] = _offsets[k] + size;
            for (int i = 0; i < size; i++) names.Add(ElementName(key, shape, i));
        }
        _names = [.. names];
    }

    /// <summary>The keys in layout order.</summary>
    public IReadOnlyList<string> Keys => _keys;

    /// <summary>The per-data-set shape of key <paramref name="index"/> (no batch axis; () for a scalar).</summary>
    public ReadOnlySpan<int> Shape(int index) => _shapes[index];

    /// <summary>D, the number of scalar parameters over all keys.</summary>
    public int Dimension => _offsets[^1];

    /// <summary>One name per scalar parameter (D), from the keys: <c>beta[0]</c>, <c>sigma</c>, <c>W[0,1]</c>.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>
    /// The raw keys the adapter concatenates into <c>inference_variables</c> (the parameters of a posterior model),
    /// traced backwards through its transforms (<see cref="Adapter.RawInputs"/>), in order of first mention in the
    /// adapter. An adapter that does not build <c>inference_variables</c> reads it as given, so that key is then
    /// the one parameter key.
    /// </summary>
    public static IReadOnlyList<string> InferenceKeys(Adapter adapter)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        var keys = adapter.RawInputs([new AdapterKeyShape(Adapters.Keys.InferenceVariables, null)])
            .Select(p => p.Key).ToList();
        if (keys.Count == 0)
            throw new InvalidOperationException("ParameterLayout: the adapter produces no " +
                $"'{Adapters.Keys.InferenceVariables}'; concatenate the parameter keys into it.");
        return keys;
    }

    /// <summary>
    /// The layout of <paramref name="keys"/> as they are stored in <paramref name="batch"/>, each key shaped
    /// (B, ...) when <paramref name="leadingAxes"/> is 1 (truths) or (B, S, ...) when it is 2 (draws).
    /// </summary>
    public static ParameterLayout FromBatch(SimulationBatch batch, IReadOnlyList<string> keys, int leadingAxes = 1)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(keys);
        if (leadingAxes is not (1 or 2))
            throw new ArgumentOutOfRangeException(nameof(leadingAxes), leadingAxes,
                "ParameterLayout.FromBatch: expected 1 (B, ...) or 2 (B, S, ...) leading axes.");
        var shapes = new List<(string, int[])>(keys.Count);
        foreach (string key in keys)
        {
            if (!batch.Contains(key))
                throw new ArgumentException($"ParameterLayout: the batch has no parameter key '{key}'; it has " +
                    $"{ShapeText.Keys(batch.Keys)}.", nameof(keys));
            ReadOnlySpan<int> shape = batch.Shape(key);
            if (shape.Length < leadingAxes)
                throw new ArgumentException($"ParameterLayout: key '{key}' has shape {ShapeText.Format(shape)}; " +
                    $"expected {(leadingAxes == 1 ? "(B, ...)" : "(B, S, ...)")}.", nameof(batch));
            shapes.Add((key, shape[leadingAxes..].ToArray()));
        }
        return new ParameterLayout(shapes);
    }

    /// <summary>
    /// The parameters of <paramref name="batch"/> (each key (B, ...) with this layout's per-row shape) as one
    /// row-major array (B, D).
    /// </summary>
    public float[] Flatten(SimulationBatch batch) => Gather(batch, 1, out _);

    /// <summary>
    /// Posterior draws (N, S, D) from a sampled batch whose keys are shaped (N, S, ...) with this layout's per-draw
    /// shapes, named by <see cref="Names"/> (or <paramref name="names"/>, D of them).
    /// </summary>
    public PosteriorDraws Draws(SimulationBatch sampled, IReadOnlyList<string>? names = null)
    {
        float[] values = Gather(sampled, 2, out int draws);
        return new PosteriorDraws(values, sampled.BatchSize, draws, Dimension, names ?? _names);
    }

    /// <summary>Rows (B or B x S) of every key, each row's keys side by side: (rows, D).</summary>
    private float[] Gather(SimulationBatch batch, int leadingAxes, out int draws)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int d = Dimension;
        draws = 1;
        for (int k = 0; k < _keys.Length; k++)
        {
            string key = _keys[k];
            if (!batch.Contains(key))
                throw new ArgumentException($"ParameterLayout: the batch has no parameter key '{key}'; it has " +
                    $"{ShapeText.Keys(batch.Keys)}.", nameof(batch));
            ReadOnlySpan<int> shape = batch.Shape(key);
            bool ok = shape.Length == leadingAxes + _shapes[k].Length
                && ShapeText.Equal(shape[leadingAxes..], _shapes[k]);
            if (ok && leadingAxes == 2)
            {
                if (k == 0) draws = shape[1];
                else ok = shape[1] == draws;
            }
            if (!ok)
                throw new ArgumentException($"ParameterLayout: key '{key}' has shape {ShapeText.Format(shape)}; " +
                    $"expected {(leadingAxes == 1 ? "(B" : "(B, S")}{string.Concat(_shapes[k].Select(s => $", {s}"))})" +
                    (leadingAxes == 2 && k > 0 ? $" with S = {draws} as in '{_keys[0]}'." : "."), nameof(batch));
        }
        int rows = batch.BatchSize * draws;
        var result = new float[(long)rows * d];
        for (int k = 0; k < _keys.Length; k++)
        {
            float[] source = batch.Get(_keys[k]);
            int size = _offsets[k + 1] - _offsets[k], offset = _offsets[k];
            for (int r = 0; r < rows; r++)
                Array.Copy(source, (long)r * size, result, (long)r * d + offset, size);
        }
        return result;
    }

    /// <summary>
    /// The name of element <paramref name="flatIndex"/> (C order) of a key of per-row shape
    /// <paramref name="shape"/>: the bare key for one element, <c>key[i]</c> for a vector, <c>key[i,j]</c> beyond.
    /// </summary>
    public static string ElementName(string key, ReadOnlySpan<int> shape, int flatIndex)
    {
        int size = ShapeText.Product(shape);
        if ((uint)flatIndex >= (uint)size)
            throw new ArgumentOutOfRangeException(nameof(flatIndex), flatIndex,
                $"ParameterLayout: key '{key}' of shape {ShapeText.Format(shape)} has {size} elements.");
        if (size == 1) return key;
        var index = new int[shape.Length];
        for (int a = shape.Length - 1, rest = flatIndex; a >= 0; a--)
        {
            index[a] = rest % shape[a];
            rest /= shape[a];
        }
        var text = new StringBuilder(key).Append('[');
        for (int a = 0; a < index.Length; a++) text.Append(a == 0 ? "" : ",").Append(index[a]);
        return text.Append(']').ToString();
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"ParameterLayout(D={Dimension}: {string.Join(", ", _keys.Select((k, i) => $"{k} {ShapeText.Format(_shapes[i])}"))})";
}
