using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;

namespace Amortized.Inference.Serialization;

// Point and model-comparison approximators, and the kind dispatch every loader goes through.
public static partial class ApproximatorFile
{
    private const string PointKind = "point_approximator";
    private const string ModelComparisonKind = "model_comparison_approximator";

    /// <summary>Writes a point approximator atomically (manifest kind <c>point_approximator</c>); refuses non-finite
    /// weights. With <paramref name="key"/>, the file is signed (HMAC-SHA-256, see <see cref="ModelFileKey"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The approximator was not built from a spec.</exception>
    public static void Save(string path, PointApproximator approximator,
        IReadOnlyDictionary<string, string>? metadata = null, ModelFileKey? key = null)
    {
        ArgumentNullException.ThrowIfNull(approximator);
        var spec = approximator.Spec ?? throw new InvalidOperationException(
            "ApproximatorFile.Save: the point approximator was not built from a spec (use PointApproximator.Build or " +
            "BasicWorkflow), so it could not be rebuilt on load.");
        ModelFile.Write(path, Manifest(PointKind,
                w => JsonSerializer.Serialize(w, spec, SpecJsonContext.Default.PointApproximatorSpec),
                approximator.Adapter, metadata),
            Tensors(approximator.Store.Parameters, approximator.ExportState()), key: key);
    }

    /// <summary>Writes a model-comparison approximator atomically (manifest kind
    /// <c>model_comparison_approximator</c>); refuses non-finite weights. With <paramref name="key"/>, the file is
    /// signed.</summary>
    /// <exception cref="InvalidOperationException">The approximator was not built from a spec.</exception>
    public static void Save(string path, ModelComparisonApproximator approximator,
        IReadOnlyDictionary<string, string>? metadata = null, ModelFileKey? key = null)
    {
        ArgumentNullException.ThrowIfNull(approximator);
        var spec = approximator.Spec ?? throw new InvalidOperationException(
            "ApproximatorFile.Save: the model-comparison approximator was not built from a spec (use " +
            "ModelComparisonApproximator.Build or BasicWorkflow), so it could not be rebuilt on load.");
        ModelFile.Write(path, Manifest(ModelComparisonKind,
                w => JsonSerializer.Serialize(w, spec, SpecJsonContext.Default.ModelComparisonSpec),
                approximator.Adapter, metadata),
            Tensors(approximator.Store.Parameters, approximator.ExportState()), key: key);
    }

    /// <summary>
    /// Reads a point-approximator file written by <see cref="Save(string, PointApproximator,
    /// IReadOnlyDictionary{string, string}, ModelFileKey)"/>; key and limits as for
    /// <see cref="Load(string, out IReadOnlyDictionary{string, string}, ModelFileKey, ModelFileLimits)"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">As for the continuous loader, or the file holds another kind.
    /// </exception>
    public static PointApproximator LoadPoint(string path, out IReadOnlyDictionary<string, string> metadata,
        ModelFileKey? key = null, ModelFileLimits? limits = null)
    {
        limits ??= ModelFileLimits.Default;
        return LoadPoint(Open(path, key, limits, ApproximatorKind.Point), limits, out metadata);
    }

    /// <summary>
    /// Reads a model-comparison file written by <see cref="Save(string, ModelComparisonApproximator,
    /// IReadOnlyDictionary{string, string}, ModelFileKey)"/>; key and limits as for the continuous loader.
    /// </summary>
    /// <exception cref="InvalidDataException">As for the continuous loader, or the file holds another kind.
    /// </exception>
    public static ModelComparisonApproximator LoadModelComparison(string path,
        out IReadOnlyDictionary<string, string> metadata, ModelFileKey? key = null, ModelFileLimits? limits = null)
    {
        limits ??= ModelFileLimits.Default;
        return LoadModelComparison(Open(path, key, limits, ApproximatorKind.ModelComparison), limits, out metadata);
    }

    /// <summary>
    /// Reads an approximator file of any kind (the file is read and checked once); the result's type says which:
    /// <see cref="ContinuousApproximator"/>, <see cref="PointApproximator"/> or
    /// <see cref="ModelComparisonApproximator"/>.
    /// </summary>
    public static Approximator LoadAny(string path, out IReadOnlyDictionary<string, string> metadata,
        ModelFileKey? key = null, ModelFileLimits? limits = null)
    {
        limits ??= ModelFileLimits.Default;
        var opened = Open(path, key, limits, expected: null);
        return opened.Kind switch
        {
            ApproximatorKind.Point => LoadPoint(opened, limits, out metadata),
            ApproximatorKind.ModelComparison => LoadModelComparison(opened, limits, out metadata),
            _ => LoadContinuous(opened, limits, out metadata),
        };
    }

    private static PointApproximator LoadPoint(OpenedFile opened, ModelFileLimits limits,
        out IReadOnlyDictionary<string, string> metadata)
    {
        var (spec, adapter) = ReadSpec(opened, SpecJsonContext.Default.PointApproximatorSpec);
        SpecBounds.Check(spec, limits, opened.Path);
        var tensors = opened.Contents.Tensors;
        var approximator = BuildWithin(tensors, limits, opened.Path,
            store => PointApproximator.Build(spec, adapter, store));
        Import(opened, approximator);
        metadata = opened.Metadata;
        return approximator;
    }

    private static ModelComparisonApproximator LoadModelComparison(OpenedFile opened, ModelFileLimits limits,
        out IReadOnlyDictionary<string, string> metadata)
    {
        var (spec, adapter) = ReadSpec(opened, SpecJsonContext.Default.ModelComparisonSpec);
        SpecBounds.Check(spec, limits, opened.Path);
        var approximator = BuildWithin(opened.Contents.Tensors, limits, opened.Path,
            store => ModelComparisonApproximator.Build(spec, adapter, store));
        Import(opened, approximator);
        metadata = opened.Metadata;
        return approximator;
    }

    private static void Import(OpenedFile opened, Approximator approximator)
    {
        try
        {
            ImportTensors(opened.Contents.Tensors, approximator.Store, approximator.ImportState);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"Model file '{opened.Path}': {ex.Message}", ex);
        }
    }

    /// <summary>A model file read and checked, with its manifest parsed and its kind known.</summary>
    private sealed record OpenedFile(string Path, ModelFileContents Contents, JsonElement Root, ApproximatorKind Kind,
        IReadOnlyDictionary<string, string> Metadata);

    /// <summary>
    /// Reads and checks the file, and its manifest's kind; with <paramref name="expected"/>, a file of another kind
    /// is refused naming the kind it holds and the loader for it.
    /// </summary>
    private static OpenedFile Open(string path, ModelFileKey? key, ModelFileLimits limits, ApproximatorKind? expected)
    {
        var contents = ModelFile.Read(path, key: key, limits: limits);
        using var manifest = JsonDocument.Parse(contents.ManifestJson);
        var root = manifest.RootElement.Clone();
        JsonElement kind = default;
        ApproximatorKind? parsed = null;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("kind", out kind)
            && kind.ValueKind == JsonValueKind.String)
            parsed = kind.GetString() switch
            {
                Kind => ApproximatorKind.Continuous,
                PointKind => ApproximatorKind.Point,
                ModelComparisonKind => ApproximatorKind.ModelComparison,
                _ => null,
            };
        if (parsed is not { } found)
            throw new InvalidDataException($"Model file '{path}': not an approximator file (manifest kind is " +
                $"{(kind.ValueKind == JsonValueKind.Undefined ? "missing" : kind.GetRawText())}).");
        if (expected is { } want && want != found)
            throw new InvalidDataException($"Model file '{path}': it holds {Describe(found)} (manifest kind " +
                $"\"{KindName(found)}\"), not {Describe(want)}; load it with {Loader(found)} (or with " +
                "ApproximatorFile.LoadAny or BasicWorkflow.Load, which load every kind).");
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object)
            foreach (var p in m.EnumerateObject()) meta[p.Name] = p.Value.ToString();
        return new OpenedFile(path, contents, root, found, meta);
    }

    /// <summary>The manifest's kind string of <paramref name="kind"/>.</summary>
    internal static string KindName(ApproximatorKind kind) => kind switch
    {
        ApproximatorKind.Point => PointKind,
        ApproximatorKind.ModelComparison => ModelComparisonKind,
        _ => Kind,
    };

    private static string Describe(ApproximatorKind kind) => kind switch
    {
        ApproximatorKind.Point => "a point approximator (point estimates)",
        ApproximatorKind.ModelComparison => "a model-comparison approximator (model probabilities)",
        _ => "a continuous approximator (posterior or likelihood)",
    };

    private static string Loader(ApproximatorKind kind) => kind switch
    {
        ApproximatorKind.Point => "ApproximatorFile.LoadPoint",
        ApproximatorKind.ModelComparison => "ApproximatorFile.LoadModelComparison",
        _ => "ApproximatorFile.Load",
    };

    /// <summary>The manifest's spec and adapter; any problem reading them is an <see cref="InvalidDataException"/>.
    /// </summary>
    private static (T Spec, Adapter Adapter) ReadSpec<T>(OpenedFile opened, JsonTypeInfo<T> type) where T : class
    {
        try
        {
            var spec = opened.Root.GetProperty("spec").Deserialize(type)
                ?? throw new InvalidDataException($"Model file '{opened.Path}': the spec is null.");
            var adapter = Adapter.FromJson(opened.Root.GetProperty("adapter").GetRawText());
            return (spec, adapter);
        }
        catch (Exception ex)
            when (ex is JsonException or KeyNotFoundException or ArgumentException or InvalidOperationException
                      or FormatException)
        {
            throw new InvalidDataException($"Model file '{opened.Path}': the manifest could not be read: {ex.Message}",
                ex);
        }
    }
}
