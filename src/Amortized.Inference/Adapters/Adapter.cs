using System.Buffers;
using System.Text;
using System.Text.Json;
using Amortized.Inference.Simulators;
using Amortized.Tensors;

namespace Amortized.Inference.Adapters;

/// <summary>
/// An ordered list of invertible transforms with a fluent builder (BayesFlow's <c>Adapter</c>). Forward maps
/// simulation outputs to network inputs (<see cref="Keys"/>); inverse maps network outputs (samples) back.
/// Training-time use is strict (a missing key is an error that lists the keys present); inference-time use is
/// lenient and skips transforms whose keys are absent (the parameters are unknown when sampling).
/// Drop, keep, take, random_subsample and to_float32 are one-way: their inverse does nothing.
/// </summary>
public sealed class Adapter
{
    private readonly List<IAdapterTransform> _transforms = [];

    /// <summary>Number of transforms.</summary>
    public int Count => _transforms.Count;

    /// <summary>The transforms' type names in order.</summary>
    public IReadOnlyList<string> TransformNames => _transforms.ConvertAll(t => t.DisplayName);

    /// <summary>
    /// Whether a constraint of <see cref="ConstraintMethod.Reject"/> marks draws outside its bounds as NaN on the
    /// way back, so that samplers must draw those rows again.
    /// </summary>
    public bool RejectsOutsideSupport =>
        _transforms.Exists(t => t is ConstrainTransform { Method: ConstraintMethod.Reject });

    private Adapter Add(IAdapterTransform t)
    {
        _transforms.Add(t);
        return this;
    }

    /// <summary>Renames <paramref name="from"/> to <paramref name="to"/>.</summary>
    public Adapter Rename(string from, string to) => Add(new RenameTransform(from, to));
    /// <summary>Removes keys.</summary>
    public Adapter Drop(params string[] keys) => Add(new DropTransform(keys));
    /// <summary>Keeps only these keys.</summary>
    public Adapter Keep(params string[] keys) => Add(new KeepTransform(keys));
    /// <summary>Joins keys along the last axis into <paramref name="into"/> ((B) keys count as (B, 1)).</summary>
    public Adapter Concatenate(IReadOnlyList<string> keys, string into) =>
        Add(new ConcatenateTransform([.. keys], into));
    /// <summary>Splits <paramref name="key"/> along the last axis into keys of the given sizes.</summary>
    public Adapter Split(string key, IReadOnlyList<string> into, IReadOnlyList<int> sizes) =>
        Add(new SplitTransform(key, [.. into], [.. sizes]));
    /// <summary>(x - mean) / std with fixed mean and std (scalars).</summary>
    public Adapter Standardize(string key, double mean, double std) =>
        Add(new StandardizeTransform([key], [mean], [std]));
    /// <summary>(x - mean) / std with one mean and std per feature of the last axis.</summary>
    public Adapter Standardize(string key, double[] mean, double[] std) =>
        Add(new StandardizeTransform([key], mean, std));
    /// <summary>log(x).</summary>
    public Adapter Log(params string[] keys) => Add(new LogTransform(keys, false));
    /// <summary>log(1 + x).</summary>
    public Adapter Log1p(params string[] keys) => Add(new LogTransform(keys, true));
    /// <summary>sqrt(x).</summary>
    public Adapter Sqrt(params string[] keys) => Add(new SqrtTransform(keys));
    /// <summary>scale * x.</summary>
    public Adapter Scale(string key, double scale) => Add(new ScaleTransform([key], scale));
    /// <summary>x + shift.</summary>
    public Adapter Shift(string key, double shift) => Add(new ShiftTransform([key], shift));
    /// <summary>
    /// Maps a bounded key to the real line (bounds widened by <paramref name="epsilon"/>, relative), or with
    /// <see cref="ConstraintMethod.Reject"/> keeps it and rejects draws outside the bounds.
    /// </summary>
    public Adapter Constrain(string key, double? lower = null, double? upper = null,
        ConstraintMethod method = ConstraintMethod.Default, double epsilon = 1e-6) =>
        Add(new ConstrainTransform([key], lower, upper, method, epsilon));
    /// <summary>(B, N) to (B, N, 1) for a summary network over sets.</summary>
    public Adapter AsSet(params string[] keys) => Add(new AsSetTransform(keys, "as_set"));
    /// <summary>(B, T) to (B, T, 1) for a summary network over time series.</summary>
    public Adapter AsTimeSeries(params string[] keys) => Add(new AsSetTransform(keys, "as_time_series"));
    /// <summary>
    /// Gathers <paramref name="keys"/> into the group <paramref name="into"/> (BayesFlow's <c>group</c>): key K
    /// becomes the flat key "into/M" (<see cref="Keys.GroupMember"/>), M being K without <paramref name="prefix"/>.
    /// Grouping sets and series into <see cref="Keys.SummaryVariables"/> (and their masks into
    /// <see cref="Keys.SummaryMask"/> with matching member names) feeds a fusion summary network, one backbone per
    /// member. The inverse moves the members back.
    /// </summary>
    public Adapter Group(IReadOnlyList<string> keys, string into, string prefix = "") =>
        Add(new GroupTransform([.. keys], into, prefix));

    /// <summary>
    /// Flattens the group <paramref name="key"/>: every member "key/M" becomes <paramref name="prefix"/> + M
    /// (BayesFlow's <c>ungroup</c>); the inverse regroups them.
    /// </summary>
    public Adapter Ungroup(string key, string prefix = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(prefix);
        return Add(new UngroupTransform(key, prefix));
    }

    /// <summary>Repeats per-row keys across the middle axes of <paramref name="to"/>.</summary>
    public Adapter Broadcast(IReadOnlyList<string> keys, string to) => Add(new BroadcastTransform([.. keys], to));
    /// <summary>Inserts an axis of length 1.</summary>
    public Adapter ExpandDims(string key, int axis) => Add(new ExpandDimsTransform([key], axis));
    /// <summary>Removes an axis of length 1.</summary>
    public Adapter Squeeze(string key, int axis) => Add(new SqueezeTransform([key], axis));
    /// <summary>Integer labels to one-hot vectors of <paramref name="numClasses"/>.</summary>
    public Adapter OneHot(string key, int numClasses) => Add(new OneHotTransform(key, numClasses));
    /// <summary>
    /// NaN and infinities to <paramref name="value"/>, optionally recording a mask under <paramref name="maskKey"/>.
    /// </summary>
    public Adapter NanToNum(string key, float value = 0, string? maskKey = null) =>
        Add(new NanToNumTransform(key, value, maskKey));
    /// <summary>Selects <paramref name="indices"/> along <paramref name="axis"/>.</summary>
    public Adapter Take(string key, int[] indices, int axis = -1) => Add(new TakeTransform(key, indices, axis, 0));
    /// <summary>
    /// A random subset of <paramref name="sampleSize"/> elements along <paramref name="axis"/> (needs an Rng).
    /// </summary>
    public Adapter RandomSubsample(string key, int sampleSize, int axis = 1) =>
        Add(new TakeTransform(key, null, axis, sampleSize));
    /// <summary>Marks keys as plain float32 (clears the integer flag).</summary>
    public Adapter ToFloat32(params string[] keys) => Add(new ToFloat32Transform(keys));

    /// <summary>
    /// A user elementwise bijection on <paramref name="key"/>: y = <paramref name="forward"/>(x), x =
    /// <paramref name="inverse"/>(y), with log|dy/dx| = <paramref name="logAbsDerivative"/>(x) so that densities
    /// (log_prob, likelihoods) stay right; without it, passes that need the log-Jacobian fail and name the
    /// transform. Model files store <paramref name="name"/> and the key; a program that loads one registers the
    /// same delegates first with <see cref="AdapterTransforms.RegisterElementwise"/>.
    /// </summary>
    public Adapter Transform(string key, Func<double, double> forward, Func<double, double> inverse,
        Func<double, double>? logAbsDerivative, string name)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(inverse);
        AdapterTransformRegistry.CheckName(name);
        return Add(new DelegateTransform([key], name, forward, inverse, logAbsDerivative));
    }

    /// <summary>
    /// A user transform implementing <see cref="ICustomAdapterTransform"/> (structural ones: reshaping, joining,
    /// fitted parameters). A program that loads a model file containing it registers a factory under its
    /// <see cref="ICustomAdapterTransform.Name"/> first with <see cref="AdapterTransforms.Register"/>.
    /// </summary>
    public Adapter Transform(ICustomAdapterTransform transform)
    {
        ArgumentNullException.ThrowIfNull(transform);
        AdapterTransformRegistry.CheckName(transform.Name);
        return Add(new CustomTransform(transform));
    }

    /// <summary>Simulation outputs to network inputs. The input batch is not modified.</summary>
    public SimulationBatch Forward(SimulationBatch data, bool strict = true, Rng? rng = null) =>
        Run(data, strict, false, rng, inverse: false).Data;

    /// <summary>Forward with the log-det-Jacobian of every key it changed.</summary>
    public AdapterResult ForwardWithLogDet(SimulationBatch data, bool strict = true, Rng? rng = null) =>
        Run(data, strict, true, rng, inverse: false);

    /// <summary>Network outputs back to simulation space (lenient by default).</summary>
    public SimulationBatch Inverse(SimulationBatch data, bool strict = false) =>
        Run(data, strict, false, null, inverse: true).Data;

    /// <summary>Inverse with the log-det-Jacobian of the inverse map.</summary>
    public AdapterResult InverseWithLogDet(SimulationBatch data, bool strict = false) =>
        Run(data, strict, true, null, inverse: true);

    /// <summary>
    /// Inverse in which a <see cref="ConstraintMethod.Reject"/> constraint clamps values outside its bounds onto
    /// them instead of marking them NaN (the sampler's fallback when redrawing does not fill a data set).
    /// </summary>
    internal SimulationBatch InverseClampingRejected(SimulationBatch data) =>
        Run(data, false, false, null, inverse: true, clampRejected: true).Data;

    private AdapterResult Run(SimulationBatch data, bool strict, bool logDet, Rng? rng, bool inverse,
        bool clampRejected = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        var work = new SimulationBatch(data.BatchSize);
        foreach (string k in data.Keys) work.SetCore(k, data.Get(k), data.Shape(k).ToArray(), data.IsInteger(k));
        var context = new AdapterContext(work, strict, logDet, rng) { ClampRejected = clampRejected };
        if (!inverse) foreach (var t in _transforms) t.Forward(context);
        else for (int i = _transforms.Count - 1; i >= 0; i--) _transforms[i].Inverse(context);
        return new AdapterResult(work, context.LogDet ?? new Dictionary<string, float[]>());
    }

    /// <summary>
    /// The raw keys that produce <paramref name="outputs"/> (keys a network reads, with their shapes after the
    /// adapter), traced backwards through the transforms, each of which knows what it read: the keys in order of
    /// first mention in the adapter (then any never mentioned), each with its per-data-set shape where the
    /// transforms fix it (-1 for an open dimension, null when even the rank is unknown). Optional outputs that no
    /// transform produces are left out. Shapes some transforms learn in Forward (concatenate's sizes, broadcast's
    /// shapes, as_set's ranks) are known after one Forward call or in a loaded adapter.
    /// </summary>
    public List<KeyValuePair<string, int[]?>> RawInputs(IEnumerable<AdapterKeyShape> outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var list = outputs.ToList();
        var trace = new InputTrace(list);
        for (int i = _transforms.Count - 1; i >= 0; i--) _transforms[i].TraceBack(trace);
        var order = new List<string>();
        foreach (var t in _transforms)
            foreach (string k in t.NamedKeys)
                if (!order.Contains(k)) order.Add(k);
        order.AddRange(list.Select(o => o.Key));
        return trace.Result(order);
    }

    /// <summary>
    /// JSON: <c>{"transforms": [{"type": "standardize", "keys": [...], ...}, ...]}</c>, including fitted state.
    /// </summary>
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("version", 1);
            w.WriteStartArray("transforms");
            foreach (var t in _transforms)
            {
                w.WriteStartObject();
                w.WriteString("type", t.TypeName);
                t.Write(w);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// Reads an adapter written by <see cref="ToJson"/>; custom transforms are rebuilt by the factories of
    /// <paramref name="registry"/> (default <see cref="AdapterTransformRegistry.Default"/>).
    /// </summary>
    /// <exception cref="FormatException">The JSON is malformed, or names a custom transform that is not registered
    /// (the message names it and how to register it).</exception>
    public static Adapter FromJson(string json, AdapterTransformRegistry? registry = null)
    {
        registry ??= AdapterTransformRegistry.Default;
        using JsonDocument doc = JsonDocument.Parse(json);
        var adapter = new Adapter();
        if (!doc.RootElement.TryGetProperty("transforms", out JsonElement list))
            throw new FormatException("Adapter JSON: expected an object with a 'transforms' array.");
        foreach (JsonElement e in list.EnumerateArray()) adapter.Add(AdapterTransformReader.Read(e, registry));
        return adapter;
    }

    /// <inheritdoc/>
    public override string ToString() => $"Adapter({string.Join(" -> ", TransformNames)})";
}
