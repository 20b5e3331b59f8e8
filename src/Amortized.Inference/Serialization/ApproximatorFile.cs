using System.Text;
using System.Text.Json;
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;

namespace Amortized.Inference.Serialization;

/// <summary>
/// Saves and loads an approximator (<see cref="ContinuousApproximator"/>, <see cref="PointApproximator"/> or
/// <see cref="ModelComparisonApproximator"/>) as one model file (safetensors layout, see
/// <see cref="ModelFile"/>): the manifest holds the spec (network kinds, sizes, options, construction seed),
/// the adapter and free-form metadata; the tensors hold every parameter ("param/NAME", F32) and the
/// standardisation statistics ("state/NAME", F64), and when one is stored the misspecification reference
/// ("misspecification/reference_summaries", F32 (M, D_s)). Loading rebuilds the networks from the spec and checks that
/// every stored parameter matches, so a file never half-loads.
/// </summary>
/// <remarks>
/// A spec is checked against <see cref="ModelFileLimits"/> before anything is built, and the networks it describes
/// may hold no more parameters than the file stores (the store refuses the first parameter beyond that count before
/// allocating it), so an edited spec costs at most about the file's own size in memory. To trust a file from
/// elsewhere, save it with a <see cref="ModelFileKey"/> and load it with the same key.
/// The manifest's <c>kind</c> says which approximator a file holds (<c>continuous_approximator</c>,
/// <c>point_approximator</c> or <c>model_comparison_approximator</c>); files written before the other kinds existed
/// are continuous and load as before. <see cref="LoadAny"/> loads whichever kind a file holds; a loader of one kind
/// given a file of another names the kind the file holds and the loader to use.
/// </remarks>
public static partial class ApproximatorFile
{
    private const string Kind = "continuous_approximator";

    /// <summary>
    /// The optional misspecification reference (M, D_s), F32. Readers that predate it ignore it (they read only
    /// "param/" and "state/" entries), and files without it load with no reference, so the format version stays 1.
    /// </summary>
    internal const string ReferenceTensor = "misspecification/reference_summaries";

    /// <summary>Writes the approximator atomically; refuses non-finite weights. With <paramref name="key"/>, the file
    /// is signed (HMAC-SHA-256, see <see cref="ModelFileKey"/>).</summary>
    public static void Save(string path, ContinuousApproximator approximator,
        IReadOnlyDictionary<string, string>? metadata = null, ModelFileKey? key = null)
    {
        ArgumentNullException.ThrowIfNull(approximator);
        var spec = approximator.Spec ?? throw new InvalidOperationException(
            "ApproximatorFile.Save: the approximator was not built from a spec (use ContinuousApproximator.Build or " +
            "BasicWorkflow), so it could not be rebuilt on load.");
        var tensors = Tensors(approximator.Store.Parameters, approximator.ExportState());
        if (approximator.MisspecificationReference is { } reference)
            tensors[ReferenceTensor] = TensorEntry.Float32(reference.ToArray(), reference.Count, reference.Dim);
        ModelFile.Write(path, Manifest(spec, approximator.Adapter, metadata), tensors, key: key);
    }

    /// <summary>Reads a file written by <see cref="Save(string, ContinuousApproximator, IReadOnlyDictionary{string, string}, ModelFileKey)"/>.</summary>
    public static ContinuousApproximator Load(string path) => Load(path, out _);

    /// <summary>Reads a file written by <see cref="Save(string, ContinuousApproximator, IReadOnlyDictionary{string, string}, ModelFileKey)"/>, returning its metadata too.</summary>
    public static ContinuousApproximator Load(string path, out IReadOnlyDictionary<string, string> metadata) =>
        Load(path, out metadata, key: null);

    /// <summary>
    /// Reads a file written by <see cref="Save(string, ContinuousApproximator, IReadOnlyDictionary{string, string}, ModelFileKey)"/>, returning its metadata too. With <paramref name="key"/> the file
    /// must be signed with it; <paramref name="limits"/> (default <see cref="ModelFileLimits.Default"/>) bound its
    /// header and spec.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is damaged, not an approximator file, not signed with
    /// <paramref name="key"/>, or its spec is beyond <paramref name="limits"/> or describes other networks than the
    /// parameters it stores; the message names the file, the field and the declared and allowed values.</exception>
    public static ContinuousApproximator Load(string path, out IReadOnlyDictionary<string, string> metadata,
        ModelFileKey? key, ModelFileLimits? limits = null)
    {
        limits ??= ModelFileLimits.Default;
        var opened = Open(path, key, limits, ApproximatorKind.Continuous);
        return LoadContinuous(opened, limits, out metadata);
    }

    private static ContinuousApproximator LoadContinuous(OpenedFile opened, ModelFileLimits limits,
        out IReadOnlyDictionary<string, string> metadata)
    {
        string path = opened.Path;
        var (spec, adapter) = ReadSpec(opened, SpecJsonContext.Default.ApproximatorSpec);
        var approximator = BuildBounded(spec, adapter, opened.Contents.Tensors, limits, path);
        try
        {
            ImportTensors(opened.Contents.Tensors, approximator.Store, approximator.ImportState);
            if (opened.Contents.Tensors.TryGetValue(ReferenceTensor, out var reference))
                ImportReference(reference, approximator);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"Model file '{path}': {ex.Message}", ex);
        }
        metadata = opened.Metadata;
        return approximator;
    }

    /// <summary>
    /// Builds the spec's networks only once the spec is within <paramref name="limits"/>, in a store that refuses
    /// to grow beyond the parameter values the file stores, so the networks cost no more memory than the file's
    /// own weights. ImportTensors then checks every parameter's name and size, hence the counts agree exactly.
    /// </summary>
    private static ContinuousApproximator BuildBounded(ApproximatorSpec spec, Adapter adapter,
        IReadOnlyDictionary<string, TensorEntry> tensors, ModelFileLimits limits, string path)
    {
        SpecBounds.Check(spec, limits, path);
        return BuildWithin(tensors, limits, path, store => ContinuousApproximator.Build(spec, adapter, store));
    }

    /// <summary>
    /// Runs <paramref name="build"/> in a store that refuses to grow beyond the parameter values the file stores
    /// (once that count is itself within <paramref name="limits"/>), turning a refusal or a spec that cannot be built
    /// into <see cref="InvalidDataException"/>.
    /// </summary>
    private static T BuildWithin<T>(IReadOnlyDictionary<string, TensorEntry> tensors, ModelFileLimits limits,
        string path, Func<Networks.ParameterStore, T> build)
    {
        long stored = 0;
        foreach (var (name, entry) in tensors)
            if (name.StartsWith("param/", StringComparison.Ordinal)) stored += entry.Values.LongLength;
        if (stored > limits.MaxParameters)
            throw ModelFile.Invalid(path, $"it stores {stored} parameter values; allowed: at most " +
                $"{limits.MaxParameters} (ModelFileLimits.MaxParameters)");
        try
        {
            return build(new Networks.ParameterStore { MaxParameters = stored });
        }
        catch (Networks.ParameterLimitException e)
        {
            throw ModelFile.Invalid(path, $"the spec describes networks with more parameter values than the {stored} " +
                $"the file stores in its 'param/' tensors (parameter '{e.ParameterName}' is beyond them); the spec " +
                "was edited or does not belong to these weights", e);
        }
        catch (ArgumentException e)
        {
            throw ModelFile.Invalid(path, $"the spec cannot be built: {e.Message}", e);
        }
    }

    private static string Manifest(ApproximatorSpec spec, Adapter adapter,
        IReadOnlyDictionary<string, string>? metadata) =>
        Manifest(Kind, w => JsonSerializer.Serialize(w, spec, SpecJsonContext.Default.ApproximatorSpec), adapter,
            metadata);

    /// <summary>The manifest: {"kind", "spec", "adapter", "metadata"}.</summary>
    private static string Manifest(string kind, Action<Utf8JsonWriter> writeSpec, Adapter adapter,
        IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", kind);
            w.WritePropertyName("spec");
            writeSpec(w);
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
