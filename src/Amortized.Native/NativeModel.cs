using System.Text;
using System.Text.Json;
using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;
using Amortized.Inference.Simulators;

namespace Amortized.Native;

/// <summary>
/// A loaded model behind a C handle: the approximator, the flat layouts of observations and draws, and the info
/// JSON, all fixed at load. Sampling and log densities go through one lock per model because
/// <see cref="ContinuousApproximator"/> switches its networks out of training mode for the duration of a call and
/// restores the previous mode afterwards, so every call writes state that all callers share, and the networks make
/// no promise about concurrent forward passes. The forward pass already spreads over all cores through the
/// kernels' worker pool, so the lock costs little throughput.
/// </summary>
internal sealed class NativeModel
{
    /// <summary>Version of the C interface (AMZ_ABI_VERSION in amortized.h).</summary>
    public const int AbiVersion = 1;

    private readonly Lock _gate = new();

    private NativeModel(ContinuousApproximator approximator, KeyLayout[] observations, KeyLayout[] parameters,
        string source, IReadOnlyDictionary<string, string> metadata)
    {
        Approximator = approximator;
        Observations = observations;
        Parameters = parameters;
        ObservationSize = observations.Sum(k => k.Size);
        ParameterDim = parameters.Sum(k => k.Size);
        ObservationShapesSource = source;
        var info = new ModelInfo(AbiVersion, ModelFile.LibraryVersion,
            [.. observations.Select(k => new KeyInfo(k.Key, k.Shape, k.Offset, k.Size, null))], ObservationSize, source,
            [.. parameters.Select(k => new KeyInfo(k.Key, k.Shape, k.Offset, k.Size, k.Names))], ParameterDim,
            [.. parameters.SelectMany(k => k.Names!)], approximator.Spec!, metadata);
        InfoJson = JsonSerializer.Serialize(info, NativeJsonContext.Default.ModelInfo);
        InfoJsonUtf8 = Encoding.UTF8.GetBytes(InfoJson + "\0");
    }

    public ContinuousApproximator Approximator { get; }

    /// <summary>The observation keys in flat order.</summary>
    public KeyLayout[] Observations { get; }

    /// <summary>The parameter keys in the order of the draws' columns.</summary>
    public KeyLayout[] Parameters { get; }

    /// <summary>Floats per data set.</summary>
    public int ObservationSize { get; }

    /// <summary>D: floats per draw.</summary>
    public int ParameterDim { get; }

    /// <summary>"argument", "metadata" or "adapter": where the observation layout came from.</summary>
    public string ObservationShapesSource { get; }

    public string InfoJson { get; }

    /// <summary>The info JSON as UTF-8 with its terminating NUL, ready to copy out.</summary>
    public byte[] InfoJsonUtf8 { get; }

    /// <summary>
    /// Loads a model file and fixes its layouts. <paramref name="shapesJson"/> (the load argument) overrides the
    /// file's metadata, which overrides the adapter trace; whichever is used is checked by sampling once from
    /// zeros, so a layout the networks cannot consume fails here and not at the first real call.
    /// </summary>
    /// <param name="path">The model file.</param>
    /// <param name="shapesJson">The layout argument, or null.</param>
    /// <param name="fileKey">When not null, the file must be signed with it (see <see cref="ModelFileKey"/>).</param>
    public static NativeModel Load(string path, string? shapesJson, ModelFileKey? fileKey = null)
    {
        if (path.Length == 0) throw new NativeException(Status.InvalidArgument, "amortized_load: the path is empty.");
        long maxObservationFloats = MaxObservationFloats();
        ContinuousApproximator approximator;
        IReadOnlyDictionary<string, string> metadata;
        try
        {
            approximator = ApproximatorFile.Load(path, out metadata, fileKey);
        }
        catch (Exception e)
            when (e is ArgumentException or KeyNotFoundException or InvalidOperationException or FormatException
                                   or JsonException or IndexOutOfRangeException or OverflowException)
        {
            // The path is the only argument and it was opened fine, so anything else wrong is the file's content.
            throw new NativeException(Status.Format, $"model file '{path}': {e.Message}", e);
        }
        List<KeyValuePair<string, int[]?>> traced;
        try
        {
            traced = AdapterKeyFlow.Trace(approximator.Adapter, approximator.Spec!);
        }
        catch (Exception e)
            when (e is KeyNotFoundException or InvalidOperationException or FormatException or JsonException)
        {
            throw new NativeException(Status.Format,
                $"model file '{path}': the adapter could not be traced: {e.Message}", e);
        }

        List<KeyValuePair<string, int[]>> observations;
        string source;
        // A layout the caller passed is the caller's error; one stored in or derived from the file is the file's.
        Status layoutError = shapesJson is not null ? Status.InvalidArgument : Status.Format;
        if (shapesJson is not null)
        {
            observations = ParseShapes(shapesJson, layoutError, "observation_shapes_json", maxObservationFloats);
            source = "argument";
        }
        else if (metadata.TryGetValue(ObservationShapes.MetadataKey, out string? stored))
        {
            observations = ParseShapes(stored, layoutError,
                $"model file '{path}': metadata '{ObservationShapes.MetadataKey}'", maxObservationFloats);
            source = "metadata";
        }
        else
        {
            var open = traced.Where(k => k.Value is null || k.Value.Any(d => d < 0)).ToList();
            if (open.Count > 0)
                throw new NativeException(Status.Format,
                    $"model file '{path}': the model does not fix the shape of " +
                    $"{string.Join(", ", open.Select(k => $"'{k.Key}' {KeyLayout.FormatShape(k.Value)}"))} " +
                    "(a summary network accepts sets or series of any length), so the flat " +
                    "observation layout is unknown. " +
                    $"Save the model with the metadata entry '{ObservationShapes.MetadataKey}' " +
                    $"(ObservationShapes.Format, e.g. {{\"x\": [100], \"n\": []}}) " +
                    "or load it with amortized_load_with_shapes.");
            observations = [.. traced.Select(k => new KeyValuePair<string, int[]>(k.Key, k.Value!))];
            try { ObservationShapes.CheckSize(observations, maxObservationFloats); }
            catch (FormatException e)
            {
                throw new NativeException(Status.Format, $"model file '{path}': the adapter's {e.Message}", e);
            }
            source = "adapter";
        }
        KeyLayout[] observationLayout = KeyLayout.Sequence(observations, withNames: false);
        if (source != "adapter") CheckKeys(observationLayout, traced, layoutError);

        SimulationBatch probe;
        try
        {
            probe =
                approximator.Sample(Batch(observationLayout, new float[observationLayout.Sum(k => k.Size)], 1), 1, 0);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new NativeException(layoutError,
                $"the observation layout [{KeyLayout.Describe(observationLayout)}] (from the {source}) does not fit " +
                $"the model: {e.Message}", e);
        }
        var parameters = new List<KeyValuePair<string, int[]>>();
        foreach (string key in probe.Keys)
        {
            int[] shape = probe.Shape(key).ToArray();
            if (shape.Length < 2)
                throw new NativeException(Status.Format, $"model file '{path}': the sampled key '{key}' has shape " +
                    $"{KeyLayout.FormatShape(shape)}; expected (data sets, samples, ...).");
            parameters.Add(new(key, shape[2..]));
        }
        return new NativeModel(approximator, observationLayout,
            KeyLayout.Sequence(parameters, withNames: true), source, metadata);
    }

    private static List<KeyValuePair<string, int[]>> ParseShapes(string json, Status status, string what,
        long maxElements)
    {
        try { return ObservationShapes.Parse(json, maxElements); }
        catch (FormatException e) { throw new NativeException(status, $"{what}: {e.Message}", e); }
    }

    /// <summary>The environment variable that raises (or lowers) the floats one data set may hold.</summary>
    public const string MaxObservationFloatsVariable = "AMORTIZED_MAX_OBSERVATION_FLOATS";

    /// <summary>
    /// The bound on the floats per data set of any layout (argument, metadata or adapter), checked before anything
    /// is allocated for it: <see cref="ObservationShapes.DefaultMaxElements"/>, or the value of
    /// <see cref="MaxObservationFloatsVariable"/> (1 to Array.MaxLength) for a host that needs larger data sets.
    /// </summary>
    private static long MaxObservationFloats()
    {
        string? text = Environment.GetEnvironmentVariable(MaxObservationFloatsVariable);
        if (string.IsNullOrEmpty(text)) return ObservationShapes.DefaultMaxElements;
        if (long.TryParse(text, System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out long value) && value >= 1
            && value <= Array.MaxLength)
            return value;
        throw new NativeException(Status.InvalidArgument, $"the environment variable {MaxObservationFloatsVariable} " +
            $"is '{text}'; expected an integer from 1 to {Array.MaxLength}.");
    }

    /// <summary>
    /// A given layout must name exactly the keys the adapter reads: a missing mask would silently change results.
    /// </summary>
    private static void CheckKeys(KeyLayout[] given, List<KeyValuePair<string, int[]?>> traced, Status status)
    {
        var names = given.Select(k => k.Key).ToHashSet(StringComparer.Ordinal);
        var missing = traced.Where(k => !names.Contains(k.Key)).Select(k => k.Key).ToList();
        var extra = given.Where(k => !traced.Any(t => t.Key == k.Key)).Select(k => k.Key).ToList();
        if (missing.Count == 0 && extra.Count == 0) return;
        throw new NativeException(status,
            $"the observation layout [{KeyLayout.Describe(given)}] does not match the keys the model reads " +
            $"[{string.Join(", ", traced.Select(k => k.Key))}]" +
            (missing.Count > 0 ? $"; missing: {string.Join(", ", missing)}" : "") +
            (extra.Count > 0 ? $"; not read by the model: {string.Join(", ", extra)}" : "") + ".");
    }

    /// <summary>
    /// Draws for <paramref name="datasets"/> data sets into <paramref name="draws"/> (datasets x samples x D),
    /// exactly <see cref="ContinuousApproximator.Sample"/>'s values.
    /// </summary>
    public void Sample(ReadOnlySpan<float> observations, int datasets, int samples, ulong seed, Span<float> draws)
    {
        SimulationBatch data = Batch(Observations, observations, datasets);
        SimulationBatch result;
        lock (_gate) result = Approximator.Sample(data, samples, seed);
        int rows = datasets * samples;
        foreach (KeyLayout k in Parameters)
        {
            float[] src = result.Get(k.Key);
            if (src.Length != rows * k.Size)
                throw new InvalidOperationException($"sample: key '{k.Key}' came back with {src.Length} values; " +
                    $"expected {datasets} x {samples} x {k.Size}.");
            for (int r = 0; r < rows; r++)
                src.AsSpan(r * k.Size, k.Size).CopyTo(draws.Slice(r * ParameterDim + k.Offset, k.Size));
        }
    }

    /// <summary>log q(theta_i | x_i) per data set into <paramref name="logProb"/>.</summary>
    public void LogProb(ReadOnlySpan<float> observations, ReadOnlySpan<float> parameters,
        int datasets, Span<float> logProb)
    {
        SimulationBatch data = Batch(Observations, observations, datasets);
        foreach (KeyLayout k in Parameters)
        {
            if (data.Contains(k.Key))
                throw new InvalidOperationException(
                    $"log_prob: the parameter key '{k.Key}' is also an observation key.");
            data.Set(k.Key, Gather(parameters, datasets, ParameterDim, k), [datasets, .. k.Shape]);
        }
        float[] result;
        lock (_gate) result = Approximator.LogProb(data);
        result.AsSpan(0, datasets).CopyTo(logProb);
    }

    /// <summary>Splits flat rows into one array per key, shaped (datasets, ...).</summary>
    private static SimulationBatch Batch(KeyLayout[] layout, ReadOnlySpan<float> rows, int datasets)
    {
        var batch = new SimulationBatch(datasets);
        int width = layout.Sum(k => k.Size);
        foreach (KeyLayout k in layout) batch.Set(k.Key, Gather(rows, datasets, width, k), [datasets, .. k.Shape]);
        return batch;
    }

    private static float[] Gather(ReadOnlySpan<float> rows, int count, int width, KeyLayout k)
    {
        var data = new float[count * k.Size];
        for (int i = 0; i < count; i++) rows.Slice(i * width + k.Offset, k.Size).CopyTo(data.AsSpan(i * k.Size));
        return data;
    }
}
