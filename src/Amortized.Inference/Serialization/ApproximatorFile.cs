using System.Text;
using System.Text.Json;
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;

namespace Amortized.Inference.Serialization;

/// <summary>
/// Saves and loads a <see cref="ContinuousApproximator"/> as one model file (safetensors layout, see
/// <see cref="ModelFile"/>): the manifest holds the spec (network kinds, sizes, options, construction seed),
/// the adapter and free-form metadata; the tensors hold every parameter ("param/NAME", F32) and the
/// standardisation statistics ("state/NAME", F64), and when one is stored the misspecification reference
/// ("misspecification/reference_summaries", F32 (M, D_s)). Loading rebuilds the networks from the spec and checks that
/// every stored parameter matches, so a file never half-loads.
/// </summary>
public static class ApproximatorFile
{
    private const string Kind = "continuous_approximator";

    /// <summary>
    /// The optional misspecification reference (M, D_s), F32. Readers that predate it ignore it (they read only
    /// "param/" and "state/" entries), and files without it load with no reference, so the format version stays 1.
    /// </summary>
    internal const string ReferenceTensor = "misspecification/reference_summaries";

    /// <summary>Writes the approximator atomically; refuses non-finite weights.</summary>
    public static void Save(string path, ContinuousApproximator approximator,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(approximator);
        var spec = approximator.Spec ?? throw new InvalidOperationException(
            "ApproximatorFile.Save: the approximator was not built from a spec (use ContinuousApproximator.Build or " +
            "BasicWorkflow), so it could not be rebuilt on load.");
        var tensors = Tensors(approximator.Store.Parameters, approximator.ExportState());
        if (approximator.MisspecificationReference is { } reference)
            tensors[ReferenceTensor] = TensorEntry.Float32(reference.ToArray(), reference.Count, reference.Dim);
        ModelFile.Write(path, Manifest(spec, approximator.Adapter, metadata), tensors);
    }

    /// <summary>Reads a file written by <see cref="Save"/>.</summary>
    public static ContinuousApproximator Load(string path) => Load(path, out _);

    /// <summary>Reads a file written by <see cref="Save"/>, returning its metadata too.</summary>
    public static ContinuousApproximator Load(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        var contents = ModelFile.Read(path);
        using var manifest = JsonDocument.Parse(contents.ManifestJson);
        var root = manifest.RootElement;
        if (!root.TryGetProperty("kind", out var kind) || kind.GetString() != Kind)
            throw new InvalidDataException($"Model file '{path}': not an approximator file (manifest kind is " +
                $"{(root.TryGetProperty("kind", out var k) ? k.ToString() : "missing")}).");
        ApproximatorSpec spec;
        Adapter adapter;
        try
        {
            spec = root.GetProperty("spec").Deserialize(SpecJsonContext.Default.ApproximatorSpec)
                ?? throw new InvalidDataException($"Model file '{path}': the spec is null.");
            adapter = Adapter.FromJson(root.GetProperty("adapter").GetRawText());
        }
        catch (Exception ex)
            when (ex is JsonException or KeyNotFoundException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"Model file '{path}': the manifest could not be read: {ex.Message}", ex);
        }
        var approximator = ContinuousApproximator.Build(spec, adapter);
        try
        {
            ImportTensors(contents.Tensors, approximator.Store, approximator.ImportState);
            if (contents.Tensors.TryGetValue(ReferenceTensor, out var reference))
                ImportReference(reference, approximator);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"Model file '{path}': {ex.Message}", ex);
        }
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object)
            foreach (var p in m.EnumerateObject()) meta[p.Name] = p.Value.ToString();
        metadata = meta;
        return approximator;
    }

    private static string Manifest(ApproximatorSpec spec, Adapter adapter,
        IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", Kind);
            w.WritePropertyName("spec");
            JsonSerializer.Serialize(w, spec, SpecJsonContext.Default.ApproximatorSpec);
            w.WritePropertyName("adapter");
            w.WriteRawValue(adapter.ToJson());
            if (metadata is not null)
            {
                w.WriteStartObject("metadata");
                foreach (var (key, value) in metadata) w.WriteString(key, value);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Parameters as "param/NAME" and extra state as "state/NAME".</summary>
    internal static Dictionary<string, TensorEntry> Tensors(IReadOnlyList<Tensors.Tensor> parameters,
        IReadOnlyDictionary<string, double[]> state)
    {
        var tensors = new Dictionary<string, TensorEntry>(StringComparer.Ordinal);
        foreach (var p in parameters) tensors["param/" + p.Name] = TensorEntry.Float32(p.ToArray(), p.Shape.ToArray());
        foreach (var (key, values) in state) tensors["state/" + key] = TensorEntry.Float64(values, values.Length);
        return tensors;
    }

    /// <summary>Stores the file's reference on the approximator; throws ArgumentException if it does not fit.</summary>
    private static void ImportReference(TensorEntry entry, ContinuousApproximator approximator)
    {
        if (entry.DType != TensorDType.Float32 || entry.Shape.Length != 2)
            throw new ArgumentException(
                $"tensor '{ReferenceTensor}' is {entry}; expected F32 (M, {approximator.SummarySpaceDim}).");
        approximator.SetMisspecificationReference(entry.AsFloat32(), entry.Shape[0], entry.Shape[1]);
    }

    /// <summary>Checks every stored parameter matches the store, then loads values and state.</summary>
    internal static void ImportTensors(IReadOnlyDictionary<string, TensorEntry> tensors, Networks.ParameterStore store,
        Action<IReadOnlyDictionary<string, double[]>> importState)
    {
        var values = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var state = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var (name, entry) in tensors)
        {
            if (name.StartsWith("param/", StringComparison.Ordinal))
                values[name["param/".Length..]] = entry.AsFloat32();
            else if (name.StartsWith("state/", StringComparison.Ordinal))
                state[name["state/".Length..]] = entry.AsFloat64();
        }
        if (values.Count != store.Parameters.Count)
            throw new ArgumentException($"the file holds {values.Count} parameters but the rebuilt networks have " +
                $"{store.Parameters.Count}.");
        store.ImportValues(values);
        importState(state);
    }
}
