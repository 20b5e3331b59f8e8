using Amortized.Tensors;

namespace Amortized.Inference.Simulators;

/// <summary>
/// What a context, prior or likelihood function sees: its own random stream, everything drawn before it by
/// name, and <c>Set</c> to add outputs. A context function runs once per batch (<see cref="Row"/> is -1); prior
/// and likelihood functions run once per row.
/// </summary>
public sealed class RowContext
{
    private readonly OrderedDictionary<string, RowValue> _values = new(StringComparer.Ordinal);
    private readonly SimulationBatch? _inputs;
    private readonly int _inputRow;
    private readonly IReadOnlyDictionary<string, RowValue>? _context;
    private readonly IReadOnlyDictionary<string, FixedValue>? _fixed;
    private readonly HashSet<string>? _protected;

    internal RowContext(Rng rng, int row, SimulationBatch? inputs, int inputRow,
        IReadOnlyDictionary<string, RowValue>? context, IReadOnlyDictionary<string, FixedValue>? fixedValues,
        HashSet<string>? protectedKeys = null)
    {
        _protected = protectedKeys;
        Rng = rng;
        Row = row;
        _inputs = inputs;
        _inputRow = inputRow;
        _context = context;
        _fixed = fixedValues;
    }

    /// <summary>This row's random stream (derived from (seed, batch, row)).</summary>
    public Rng Rng { get; }

    /// <summary>Global row index, or -1 in a context function.</summary>
    public int Row { get; }

    internal OrderedDictionary<string, RowValue> Values => _values;

    /// <summary>Standard normal draw.</summary>
    public float Normal() => Rng.Normal();

    /// <summary>Normal draw.</summary>
    public float Normal(float mean, float std) => Rng.Normal(mean, std);

    /// <summary>Uniform on [low, high).</summary>
    public float Uniform(float low, float high) => Rng.Uniform(low, high);

    /// <summary>Uniform on [0, 1).</summary>
    public float NextFloat() => Rng.NextFloat();

    /// <summary>Uniform integer on [low, highExclusive).</summary>
    public int Integer(int low, int highExclusive) => Rng.Integer(low, highExclusive);

    /// <summary>Sets a scalar output; returns this context, so that calls chain.</summary>
    public RowContext Set(string key, float value) => SetCore(key, new RowValue([value], [], false));

    /// <summary>Sets an integer output (kept exact); returns this context, so that calls chain.</summary>
    public RowContext Set(string key, int value)
    {
        if (Math.Abs((long)value) > SimulationBatch.MaxExactInteger)
            throw new ArgumentException(
                $"Set: key '{key}' is {value}; integers are kept exact only up to |2^24|.", nameof(value));
        return SetCore(key, new RowValue([value], [], true));
    }

    /// <summary>Sets a vector output of shape (values.Length); returns this context, so that calls chain.</summary>
    public RowContext Set(string key, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return SetCore(key, new RowValue(values, [values.Length], false));
    }

    /// <summary>Sets an output of the given per-row shape; returns this context, so that calls chain.</summary>
    public RowContext Set(string key, float[] values, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (ShapeText.Product(shape) != values.Length)
            throw new ArgumentException($"Set: key '{key}' row {Row}: shape {ShapeText.Format(shape)} holds " +
                $"{ShapeText.Product(shape)} values, but {values.Length} were given.", nameof(values));
        return SetCore(key, new RowValue(values, shape, false));
    }

    /// <summary>Whether <paramref name="key"/> has been drawn (or given, or fixed).</summary>
    public bool Has(string key) => TryFind(key, out _);

    /// <summary>The scalar value of <paramref name="key"/>.</summary>
    public float Get(string key)
    {
        ReadOnlySpan<float> v = GetArray(key);
        if (v.Length != 1)
            throw new InvalidOperationException(
                $"Get: key '{key}' holds {v.Length} values; expected a scalar. Use GetArray.");
        return v[0];
    }

    /// <summary>The value of <paramref name="key"/> as an int (it must be an exact integer).</summary>
    public int GetInt(string key)
    {
        float v = Get(key);
        if (MathF.Round(v) != v)
            throw new InvalidOperationException($"GetInt: key '{key}' is {v}; expected an integer.");
        return (int)v;
    }

    /// <summary>The values of <paramref name="key"/>.</summary>
    public ReadOnlySpan<float> GetArray(string key)
    {
        if (TryFind(key, out ReadOnlySpan<float> v)) return v;
        throw new KeyNotFoundException(
            $"Get: no key '{key}' at row {Row}; available: {ShapeText.Keys(AvailableKeys())}.");
    }

    private RowContext SetCore(string key, RowValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        // A fixed or given value overrides the draw (the function still draws, so its stream stays aligned).
        if (_fixed is not null && _fixed.ContainsKey(key)) return this;
        if (_protected is not null && _protected.Contains(key)) return this;
        _values[key] = value;
        return this;
    }

    private bool TryFind(string key, out ReadOnlySpan<float> value)
    {
        if (_fixed is not null && _fixed.TryGetValue(key, out FixedValue? f)) { value = f.Data; return true; }
        if (_values.TryGetValue(key, out RowValue? r)) { value = r.Data; return true; }
        if (_inputs is not null && _inputs.Contains(key)) { value = _inputs.Row(key, _inputRow); return true; }
        if (_context is not null && _context.TryGetValue(key, out RowValue? c)) { value = c.Data; return true; }
        value = default;
        return false;
    }

    private List<string> AvailableKeys()
    {
        var keys = new List<string>(_values.Keys);
        if (_inputs is not null) keys.AddRange(_inputs.Keys);
        if (_context is not null) keys.AddRange(_context.Keys);
        if (_fixed is not null) keys.AddRange(_fixed.Keys);
        return keys;
    }
}

/// <summary>One output of one row: flat values, per-row shape, integer flag.</summary>
internal sealed record RowValue(float[] Data, int[] Shape, bool IsInteger);
