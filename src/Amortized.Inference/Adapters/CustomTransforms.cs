using System.Text.Json;
using Amortized.Inference.Simulators;
using Amortized.Tensors;

namespace Amortized.Inference.Adapters;

/// <summary>
/// A user-defined adapter step for structural transforms (reshaping, joining keys, transforms with fitted
/// parameters). Add it with <see cref="Adapter.Transform(ICustomAdapterTransform)"/>; to load a model file that
/// contains it, register a factory under <see cref="Name"/> with <see cref="AdapterTransforms.Register"/>. The
/// model file stores the name and whatever <see cref="WriteParameters"/> writes, and the factory gets that object
/// back. For an elementwise bijection, three delegates are simpler:
/// <see cref="Adapter.Transform(string, Func{double, double}, Func{double, double}, Func{double, double}?, string)"/>.
/// </summary>
public interface ICustomAdapterTransform
{
    /// <summary>The registered name the model file stores (the key of the factory that rebuilds it).</summary>
    string Name { get; }

    /// <summary>The keys the transform reads or writes, in order (used to order <see cref="Adapter.RawInputs"/>).</summary>
    IReadOnlyList<string> Keys { get; }

    /// <summary>
    /// Simulation outputs to network inputs. Where the map changes densities, add log|det J| per row with
    /// <see cref="AdapterTransformContext.AddLogDet"/> when <see cref="AdapterTransformContext.TracksLogDet"/>.
    /// </summary>
    void Forward(AdapterTransformContext context);

    /// <summary>
    /// Network outputs (samples, keys may carry extra leading axes such as (B, S, D)) back to simulation space;
    /// add log|det J| of the inverse map where it changes densities.
    /// </summary>
    void Inverse(AdapterTransformContext context);

    /// <summary>
    /// Writes the transform's parameters as properties of an open JSON object (the caller writes the braces); the
    /// registered factory receives that object on load.
    /// </summary>
    void WriteParameters(Utf8JsonWriter writer);
}

/// <summary>One adapter pass as a <see cref="ICustomAdapterTransform"/> sees it.</summary>
public sealed class AdapterTransformContext
{
    private readonly AdapterContext _context;
    private readonly string _name;

    internal AdapterTransformContext(AdapterContext context, string name)
    {
        _context = context;
        _name = name;
    }

    /// <summary>The working data: read with Get/Shape, replace with Set, delete with Remove.</summary>
    public SimulationBatch Data => _context.Data;

    /// <summary>
    /// Training-time passes are strict (a missing key is an error); inference-time passes are lenient, and a
    /// transform skips keys that are absent (the parameters are unknown when sampling).
    /// </summary>
    public bool Strict => _context.Strict;

    /// <summary>Whether the caller asked for log|det J| (<see cref="Adapter.ForwardWithLogDet"/>).</summary>
    public bool TracksLogDet => _context.LogDet is not null;

    /// <summary>The pass's randomness (null when the caller gave none).</summary>
    public Rng? Rng => _context.Rng;

    /// <summary>
    /// True if <paramref name="key"/> is present; if not, throws in strict mode (naming the key and the keys present)
    /// and returns false in lenient mode so the transform skips it.
    /// </summary>
    public bool Require(string key) => _context.Require(key, _name);

    /// <summary>
    /// Adds log|det J| terms for <paramref name="key"/>, one per row of the key without its last axis ((B) for a
    /// (B, D) key, (B, S) for (B, S, D) draws). Terms for the same key add up across transforms.
    /// </summary>
    public void AddLogDet(string key, float[] terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        _context.AddLogDet(key, terms);
    }
}

/// <summary>
/// The names under which <see cref="Adapter.FromJson(string, AdapterTransformRegistry?)"/> (and so model loading)
/// rebuilds user transforms. Explicit factories instead of reflection keep loading trim- and AOT-safe.
/// <see cref="Default"/> is the registry model files load with; registration is thread-safe.
/// </summary>
public sealed class AdapterTransformRegistry
{
    private readonly Dictionary<string, Func<JsonElement, IAdapterTransform>> _factories = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>The process-wide registry that <see cref="Adapter.FromJson(string, AdapterTransformRegistry?)"/>
    /// uses when given none.</summary>
    public static AdapterTransformRegistry Default { get; } = new();

    /// <summary>The registered names, sorted.</summary>
    public IReadOnlyList<string> Names
    {
        get { lock (_lock) return [.. _factories.Keys.Order(StringComparer.Ordinal)]; }
    }

    /// <summary>Whether <paramref name="name"/> is registered.</summary>
    public bool Contains(string name)
    {
        lock (_lock) return _factories.ContainsKey(name);
    }

    /// <summary>
    /// Registers a structural transform: <paramref name="factory"/> receives the object its
    /// <see cref="ICustomAdapterTransform.WriteParameters"/> wrote and returns the transform, whose
    /// <see cref="ICustomAdapterTransform.Name"/> must be <paramref name="name"/>. The element is valid only during
    /// the call (the document is released after loading), so read the values out of it there.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty or already registered.</exception>
    public AdapterTransformRegistry Register(string name, Func<JsonElement, ICustomAdapterTransform> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return Add(name, e =>
        {
            ICustomAdapterTransform t = factory(AdapterJson.Property(e, "parameters", $"custom '{name}'"))
                ?? throw new FormatException($"Adapter JSON: the factory registered as '{name}' returned null.");
            if (t.Name != name)
                throw new FormatException($"Adapter JSON: the factory registered as '{name}' built a transform " +
                    $"named '{t.Name}'; expected '{name}'.");
            return new CustomTransform(t);
        });
    }

    /// <summary>
    /// Registers an elementwise bijection y = forward(x) with x = inverse(y) and log|dy/dx| =
    /// <paramref name="logAbsDerivative"/>(x), the same delegates given to
    /// <see cref="Adapter.Transform(string, Func{double, double}, Func{double, double}, Func{double, double}?, string)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty or already registered.</exception>
    public AdapterTransformRegistry RegisterElementwise(string name, Func<double, double> forward,
        Func<double, double> inverse, Func<double, double>? logAbsDerivative = null)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(inverse);
        return Add(name, e => new DelegateTransform(AdapterJson.Strings(e, "keys", $"custom '{name}'"), name,
            forward, inverse, logAbsDerivative));
    }

    private AdapterTransformRegistry Add(string name, Func<JsonElement, IAdapterTransform> factory)
    {
        CheckName(name);
        lock (_lock)
        {
            if (!_factories.TryAdd(name, factory))
                throw new ArgumentException($"AdapterTransformRegistry: a transform named '{name}' is already " +
                    "registered; give each transform its own name.", nameof(name));
        }
        return this;
    }

    internal static void CheckName(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException($"Adapter: a custom transform's name must be non-empty; got '{name}'.",
                nameof(name));
    }

    internal IAdapterTransform Create(JsonElement e)
    {
        string name = AdapterJson.Property(e, "name", "custom").GetString() ?? "";
        Func<JsonElement, IAdapterTransform>? factory;
        lock (_lock) _factories.TryGetValue(name, out factory);
        if (factory is null)
        {
            string known = Names.Count == 0 ? "none" : string.Join(", ", Names);
            throw new FormatException($"Adapter JSON: the custom transform '{name}' is not registered in this " +
                $"program (registered: {known}). Register it before loading, with AdapterTransforms.Register(\"{name}\", " +
                "parameters => new YourTransform(...)) for an ICustomAdapterTransform, or AdapterTransforms." +
                $"RegisterElementwise(\"{name}\", forward, inverse, logAbsDerivative) for an elementwise map.");
        }
        return factory(e);
    }
}

/// <summary>Registration shortcuts on <see cref="AdapterTransformRegistry.Default"/>, the registry model files load with.</summary>
public static class AdapterTransforms
{
    /// <inheritdoc cref="AdapterTransformRegistry.Register"/>
    public static AdapterTransformRegistry Register(string name, Func<JsonElement, ICustomAdapterTransform> factory) =>
        AdapterTransformRegistry.Default.Register(name, factory);

    /// <inheritdoc cref="AdapterTransformRegistry.RegisterElementwise"/>
    public static AdapterTransformRegistry RegisterElementwise(string name, Func<double, double> forward,
        Func<double, double> inverse, Func<double, double>? logAbsDerivative = null) =>
        AdapterTransformRegistry.Default.RegisterElementwise(name, forward, inverse, logAbsDerivative);
}

/// <summary>
/// An elementwise bijection from user delegates: JSON <c>{"type": "custom", "name": ..., "keys": [...]}</c>. The
/// delegates themselves come from the registry on load.
/// </summary>
internal sealed class DelegateTransform(string[] keys, string name, Func<double, double> forward,
    Func<double, double> inverse, Func<double, double>? logAbsDerivative) : ElementwiseTransform(keys)
{
    public string Name { get; } = name;
    public override string TypeName => "custom";
    public override string DisplayName => Name;
    internal override double ForwardValue(double x, int f) => forward(x);
    internal override double InverseValue(double y, int f) => inverse(y);

    internal override double LogDerivative(double x, int f) => logAbsDerivative is { } d ? d(x)
        : throw new InvalidOperationException($"Adapter: the custom transform '{Name}' on {string.Join(", ", Keys)} " +
            "has no log|dy/dx|, which densities (log_prob, likelihoods) need; pass logAbsDerivative to " +
            "Adapter.Transform and to RegisterElementwise.");

    protected override void WriteFields(Utf8JsonWriter w) => w.WriteString("name", Name);
}

/// <summary>
/// Wraps a user's <see cref="ICustomAdapterTransform"/>: JSON
/// <c>{"type": "custom", "name": ..., "parameters": {...}}</c>.
/// </summary>
internal sealed class CustomTransform(ICustomAdapterTransform inner) : IAdapterTransform
{
    public ICustomAdapterTransform Inner { get; } = inner;
    public string TypeName => "custom";
    public string DisplayName => Inner.Name;
    public IEnumerable<string> NamedKeys => Inner.Keys;
    public void Forward(AdapterContext context) => Inner.Forward(new AdapterTransformContext(context, Inner.Name));
    public void Inverse(AdapterContext context) => Inner.Inverse(new AdapterTransformContext(context, Inner.Name));

    public void Write(Utf8JsonWriter writer)
    {
        writer.WriteString("name", Inner.Name);
        writer.WriteStartObject("parameters");
        Inner.WriteParameters(writer);
        writer.WriteEndObject();
    }
}
