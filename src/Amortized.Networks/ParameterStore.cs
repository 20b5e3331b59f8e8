using Amortized.Tensors;

namespace Amortized.Networks;

/// <summary>
/// All parameters of a model in one contiguous float buffer and their gradients in a second one (after
/// llm.c), so zeroing gradients is one clear and an optimizer step is one flat loop. Parameters are
/// <see cref="Tensor"/> views into the buffer whose <see cref="Tensor.Grad"/> is the matching view of the
/// gradient buffer.
/// </summary>
public sealed class ParameterStore
{
    private readonly List<Tensor> _parameters = [];
    private readonly HashSet<string> _names = [];
    private float[] _values = new float[1024];
    private float[] _gradients = new float[1024];
    private int _count;

    /// <summary>Number of scalar parameters.</summary>
    public int Count => _count;

    /// <summary>The parameter tensors in creation order.</summary>
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>All parameter values, contiguous.</summary>
    public Span<float> Values => _values.AsSpan(0, _count);

    /// <summary>All gradients, contiguous and aligned with <see cref="Values"/>.</summary>
    public Span<float> Gradients => _gradients.AsSpan(0, _count);

    /// <summary>
    /// Adds a parameter of the given shape, initialised by <paramref name="initializer"/>. Names must be unique
    /// within the store (modules use their path, e.g. "flow.coupling0.subnet.dense1.kernel").
    /// </summary>
    public Tensor Add(string name, Shape shape, Initializer initializer, Rng rng)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(rng);
        if (!_names.Add(name))
            throw new ArgumentException($"ParameterStore: a parameter named '{name}' already exists.", nameof(name));
        int size = shape.Size;
        // Each parameter starts on a 16-float boundary so the SIMD kernels read it aligned.
        int offset = (_count + 15) & ~15;
        EnsureCapacity(offset + size);
        var value = Tensor.Wrap(_values, offset, shape);
        value.Name = name;
        value.RequiresGrad = true;
        value.Grad = Tensor.Wrap(_gradients, offset, shape);
        Initializers.Fill(initializer, value.Span, shape, rng);
        _parameters.Add(value);
        _count = offset + size;
        return value;
    }

    /// <summary>Sets every gradient to zero.</summary>
    public void ZeroGrad() => Array.Clear(_gradients, 0, _count);

    /// <summary>Finds a parameter by name, or null.</summary>
    public Tensor? Find(string name)
    {
        foreach (var p in _parameters) if (p.Name == name) return p;
        return null;
    }

    /// <summary>A copy of every parameter's values keyed by name (what a model file stores).</summary>
    public Dictionary<string, float[]> ExportValues()
    {
        var result = new Dictionary<string, float[]>(_parameters.Count, StringComparer.Ordinal);
        foreach (var p in _parameters) result[p.Name!] = p.ToArray();
        return result;
    }

    /// <summary>
    /// Loads values by name into this store's parameters. Every parameter must be present with the right size;
    /// nothing is changed unless all of them match, so a wrong file never leaves a half-loaded model.
    /// </summary>
    public void ImportValues(IReadOnlyDictionary<string, float[]> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (var p in _parameters)
        {
            if (!values.TryGetValue(p.Name!, out var v))
                throw new ArgumentException($"ParameterStore: no values for parameter '{p.Name}' {p.Shape}; got {values.Count} entries.", nameof(values));
            if (v.Length != p.Size)
                throw new ArgumentException($"ParameterStore: parameter '{p.Name}' has shape {p.Shape} ({p.Size} values) but {v.Length} values were given.", nameof(values));
        }
        foreach (var p in _parameters) values[p.Name!].CopyTo(p.Span);
    }

    private void EnsureCapacity(int needed)
    {
        if (needed <= _values.Length) return;
        int capacity = Math.Max(needed, _values.Length * 2);
        var values = new float[capacity];
        var gradients = new float[capacity];
        _values.AsSpan(0, _count).CopyTo(values);
        _gradients.AsSpan(0, _count).CopyTo(gradients);
        // Views keep their offsets; only the arrays behind them move.
        foreach (var p in _parameters)
        {
            p.Rebind(values, p.Offset);
            p.Grad!.Rebind(gradients, p.Offset);
        }
        _values = values;
        _gradients = gradients;
    }
}
