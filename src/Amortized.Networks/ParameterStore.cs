using Amortized.Kernels.Cpu;
using Amortized.Tensors;
using Amortized.Tensors.Backends;

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
    private long _scalars;   // sum of parameter sizes, without the alignment padding that _count includes
    private Tensor? _deviceValues, _deviceGradients;   // whole-store tensors while the store lives on an accelerator

    /// <summary>
    /// The most scalar parameters (sum of sizes, alignment padding not counted) the store accepts: <see cref="Add"/>
    /// refuses a parameter beyond it before allocating anything. A loader sets it to the number of values a file
    /// stores, so an edited spec cannot make it build networks larger than the file backs.
    /// </summary>
    public long MaxParameters { get; init; } = long.MaxValue;

    /// <summary>Number of scalar parameters.</summary>
    public int Count => _count;

    /// <summary>
    /// The backend whose memory holds the parameters and gradients (the CPU until <see cref="MoveTo"/>).
    /// </summary>
    public IBackend Backend { get; private set; } = CpuBackend.Instance;

    /// <summary>All parameter values as one flat tensor (Count) on <see cref="Backend"/>'s device.</summary>
    public Tensor ValuesTensor => _deviceValues ?? HostView(ref _hostValuesView, _values);

    /// <summary>All gradients as one flat tensor (Count), aligned with <see cref="ValuesTensor"/>.</summary>
    public Tensor GradientsTensor => _deviceGradients ?? HostView(ref _hostGradientsView, _gradients);

    // Cached so an optimizer step allocates nothing; rebuilt when the store grows.
    private Tensor? _hostValuesView, _hostGradientsView;

    private Tensor HostView(ref Tensor? cache, float[] array)
    {
        if (cache is null || cache.Size != _count || !cache.IsViewOf(array))
            cache = Tensor.Wrap(array, 0, new Shape(_count));
        return cache;
    }

    /// <summary>
    /// Moves every parameter and gradient to <paramref name="backend"/>'s memory (one upload), keeping the tensor
    /// objects, so a model built on the CPU trains on an accelerator through the same references; moving back to
    /// the CPU downloads the values. Gradients start at zero on the new device.
    /// </summary>
    public void MoveTo(IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (ReferenceEquals(backend, Backend)) return;
        if (_deviceValues is not null) _deviceValues.Backend.Download(_deviceValues, _values.AsSpan(0, _count));
        Array.Clear(_gradients, 0, _count);
        Tensor? values = null, gradients = null;
        if (backend is not CpuBackend)
        {
            values = backend.Allocate(new Shape(_count));
            gradients = backend.Allocate(new Shape(_count));   // zero-filled
            backend.Upload(_values.AsSpan(0, _count), values);
        }
        // A parameter's place in the store, measured from where the current storage starts (0 on the host).
        int valueBase = _deviceValues?.StorageOffset ?? 0, gradientBase = _deviceGradients?.StorageOffset ?? 0;
        values ??= Tensor.Wrap(_values, 0, new Shape(_values.Length));
        gradients ??= Tensor.Wrap(_gradients, 0, new Shape(_gradients.Length));
        foreach (var p in _parameters)
        {
            p.Rebind(values, p.StorageOffset - valueBase);
            p.Grad!.Rebind(gradients, p.Grad.StorageOffset - gradientBase);
        }
        bool onDevice = backend is not CpuBackend;
        _deviceValues = onDevice ? values : null;
        _deviceGradients = onDevice ? gradients : null;
        Backend = backend;
    }

    /// <summary>The parameter tensors in creation order.</summary>
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>All parameter values, contiguous (host stores only; see <see cref="ValuesTensor"/>).</summary>
    public Span<float> Values => _deviceValues is null ? _values.AsSpan(0, _count) : throw OnDevice(nameof(Values));

    /// <summary>
    /// All gradients, contiguous and aligned with <see cref="Values"/> (host stores only; see
    /// <see cref="GradientsTensor"/>).
    /// </summary>
    public Span<float> Gradients =>
        _deviceGradients is null ? _gradients.AsSpan(0, _count) : throw OnDevice(nameof(Gradients));

    private InvalidOperationException OnDevice(string what) =>
        new($"ParameterStore.{what}: the parameters live on {Backend.Device}; use {what}Tensor, or " +
            "MoveTo(CpuBackend.Instance) first.");

    /// <summary>
    /// Adds a parameter of the given shape, initialised by <paramref name="initializer"/>. Names must be unique
    /// within the store (modules use their path, e.g. "flow.coupling0.subnet.dense1.kernel").
    /// </summary>
    public Tensor Add(string name, Shape shape, Initializer initializer, Rng rng)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(rng);
        if (_deviceValues is not null)
            throw new InvalidOperationException($"ParameterStore: cannot add '{name}' while the store lives on " +
                $"{Backend.Device}; build the model on the CPU, then MoveTo the device.");
        if (!_names.Add(name))
            throw new ArgumentException($"ParameterStore: a parameter named '{name}' already exists.", nameof(name));
        long elements = 1;
        for (int i = 0; i < shape.Rank; i++) elements = Math.Min(elements * shape[i], (long)int.MaxValue + 1);
        if (elements > MaxParameters - _scalars)
            throw new ParameterLimitException(name, shape, _scalars, MaxParameters);
        int size = (int)elements;
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
        _scalars += size;
        return value;
    }

    /// <summary>Sets every gradient to zero.</summary>
    public void ZeroGrad()
    {
        if (_deviceGradients is null)
        {
            long start = KernelProfile.Start();
            Array.Clear(_gradients, 0, _count);
            KernelProfile.Stop(KernelFamily.Fill, start);
        }
        else Backend.Fill(_deviceGradients, 0f);
    }

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
                throw new ArgumentException($"ParameterStore: no values for parameter '{p.Name}' {p.Shape}; got " +
                    $"{values.Count} entries.", nameof(values));
            if (v.Length != p.Size)
                throw new ArgumentException($"ParameterStore: parameter '{p.Name}' has shape {p.Shape} ({p.Size} " +
                    $"values) but {v.Length} values were given.", nameof(values));
        }
        foreach (var p in _parameters) p.Backend.Upload(values[p.Name!], p);
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
        Tensor valueStorage = Tensor.Wrap(values, 0, new Shape(capacity));
        Tensor gradientStorage = Tensor.Wrap(gradients, 0, new Shape(capacity));
        foreach (var p in _parameters)
        {
            p.Rebind(valueStorage, p.StorageOffset);
            p.Grad!.Rebind(gradientStorage, p.StorageOffset);
        }
        _values = values;
        _gradients = gradients;
    }
}

/// <summary>
/// <see cref="ParameterStore.Add"/> refused a parameter because the store would exceed
/// <see cref="ParameterStore.MaxParameters"/>; nothing was allocated for it.
/// </summary>
public sealed class ParameterLimitException(string name, Shape shape, long existing, long limit)
    : InvalidOperationException($"ParameterStore: parameter '{name}' {shape} would bring the store from {existing} " +
        $"to more than its limit of {limit} scalar parameters.")
{
    /// <summary>The parameter that did not fit.</summary>
    public string ParameterName { get; } = name;

    /// <summary>The store's limit.</summary>
    public long Limit { get; } = limit;
}
