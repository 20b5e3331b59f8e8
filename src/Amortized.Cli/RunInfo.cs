using System.Text.Json;
using System.Text.Json.Serialization;
using Amortized.Inference.FileFormats;

namespace Amortized.Cli;

/// <summary>One raw input key of a model and the shape of one data set's value (empty for a scalar).</summary>
public sealed record InputKey(string Name, int[] RowShape)
{
    /// <summary>Values per data set.</summary>
    [JsonIgnore]
    public int RowLength => RowShape.Aggregate(1, (a, b) => a * b);
}

/// <summary>
/// What <c>fit</c> did, stored as <c>run.json</c> next to the model so that <c>sample</c>, <c>log-prob</c> and
/// <c>diagnose</c> know the task, the method, the input keys and the parameter names without asking again.
/// </summary>
public sealed record RunInfo
{
    /// <summary>The layout version this program writes and reads.</summary>
    internal const int CurrentFormatVersion = 1;

    /// <summary>Version of this file's layout.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;
    /// <summary>Built-in task name, or null for a run on data files.</summary>
    public string? Task { get; init; }
    /// <summary>The data files a run on data was trained on.</summary>
    public string? DataSource { get; init; }
    /// <summary>"posterior" (NPE), "likelihood" (NLE), "point" or "model-comparison".</summary>
    public string Method { get; init; } = "posterior";
    /// <summary>coupling, spline, flow-matching or free-form-flow; "none" for point and model-comparison runs.
    /// </summary>
    public string InferenceNetwork { get; init; } = "coupling";
    /// <summary>
    /// <see cref="Method"/> as the enum; a word the command does not know is an error naming the file.
    /// </summary>
    [JsonIgnore]
    internal FitMethod MethodKind => CliChoices.Methods.ParseField(Method, "run.json", "method");
    /// <summary><see cref="InferenceNetwork"/> as the enum; an unknown word is an error naming the file.</summary>
    [JsonIgnore]
    internal InferenceChoice InferenceKind =>
        CliChoices.InferenceNetworks.ParseField(InferenceNetwork, "run.json", "inference_network");
    /// <summary>none, deepset, set-transformer, time-series or time-series-transformer.</summary>
    public string SummaryNetwork { get; init; } = "none";
    /// <summary>
    /// Parameter keys whose posterior is learned (the task's parameters, also for NLE), with per-data-set shapes.
    /// </summary>
    public InputKey[] Parameters { get; init; } = [];
    /// <summary>One name per scalar parameter, in the order of the flattened parameter keys.</summary>
    public string[] ParameterNames { get; init; } = [];
    /// <summary>Raw keys an observation must provide, with their per-data-set shapes.</summary>
    public InputKey[] Inputs { get; init; } = [];
    /// <summary>Keys concatenated into the network's inference variables (runs on data).</summary>
    public string[]? InferenceVariables { get; init; }
    /// <summary>Keys concatenated into the network's direct conditions (runs on data).</summary>
    public string[]? InferenceConditions { get; init; }
    /// <summary>Keys concatenated into the summary network's input (runs on data).</summary>
    public string[]? SummaryVariables { get; init; }
    /// <summary>Simulation budget of offline training, or null for online training.</summary>
    public int? Simulations { get; init; }
    /// <summary>Epochs asked for.</summary>
    public int Epochs { get; init; }
    /// <summary>Batch size.</summary>
    public int BatchSize { get; init; }
    /// <summary>Batches per epoch (online training).</summary>
    public int BatchesPerEpoch { get; init; }
    /// <summary>Seed of everything random in the run.</summary>
    public ulong Seed { get; init; }
    /// <summary>Kernel threads used.</summary>
    public int Threads { get; init; }
    /// <summary>Optimiser steps taken.</summary>
    public long Steps { get; init; }
    /// <summary>Wall-clock seconds of training.</summary>
    public double TrainingSeconds { get; init; }
    /// <summary>Why training stopped (completed, early stopping, time budget, ...).</summary>
    public string StopReason { get; init; } = "";
    /// <summary>Trainable parameters.</summary>
    public long ParameterCount { get; init; }
    /// <summary>The network tree as text.</summary>
    public string Architecture { get; init; } = "";
    /// <summary>When the run finished (UTC, ISO 8601).</summary>
    public string Created { get; init; } = "";
    /// <summary>The machine it ran on (processor, cores, instruction set).</summary>
    public string Machine { get; init; } = "";
    /// <summary>Point runs: the scoring rules' names, in the model's order (e.g. mean, quantiles).</summary>
    public string[]? ScoringRules { get; init; }
    /// <summary>Point runs: the levels of the quantile rule.</summary>
    public float[]? QuantileLevels { get; init; }
    /// <summary>Model-comparison runs: the K built-in tasks compared, in the order of the model probabilities.
    /// </summary>
    public string[]? Models { get; init; }

    /// <summary>
    /// The parameter keys' values laid side by side as (rows, D) in the order of <see cref="ParameterNames"/>;
    /// <paramref name="valuesOf"/> gives each key's values, <paramref name="rows"/> rows of its row shape.
    /// </summary>
    public float[] FlattenParameters(Func<string, float[]> valuesOf, int rows)
    {
        int d = ParameterNames.Length;
        var result = new float[(long)rows * d];
        int offset = 0;
        foreach (var p in Parameters)
        {
            float[] values = valuesOf(p.Name);
            int len = p.RowLength;
            for (long i = 0; i < rows; i++) Array.Copy(values, i * len, result, i * d + offset, len);
            offset += len;
        }
        return result;
    }

    /// <summary>
    /// Checks what the file says about itself: its format version, its words (method, networks), the shapes, and
    /// one parameter name per scalar parameter. Errors are <see cref="InvalidDataException"/>s naming
    /// <paramref name="path"/> and the field.
    /// </summary>
    public void CheckFormat(string path)
    {
        if (FormatVersion != CurrentFormatVersion)
            throw new InvalidDataException($"run file '{path}': format_version is {FormatVersion}; this version of " +
                $"amortized reads format_version {CurrentFormatVersion} (refit with this version, or use the version " +
                "that wrote it).");
        var method = CliChoices.Methods.ParseField(Method, $"run file '{path}'", "method");
        if (CliChoices.IsDensity(method))
            _ = CliChoices.InferenceNetworks.ParseField(InferenceNetwork, $"run file '{path}'", "inference_network");
        if (method == FitMethod.ModelComparison && Models is not { Length: >= 2 })
            throw new InvalidDataException($"run file '{path}': models names {Models?.Length ?? 0} task(s); a " +
                "model-comparison run compares at least 2.");
        _ = CliChoices.SummaryNetworks.ParseField(SummaryNetwork, $"run file '{path}'", "summary_network");
        long values = 0;
        foreach (var p in Parameters) values = checked(values + Length(p, path, "parameters"));
        foreach (var i in Inputs) _ = Length(i, path, "inputs");
        if (ParameterNames.Length != values)
            throw new InvalidDataException($"run file '{path}': parameter_names has {ParameterNames.Length} " +
                $"names; parameters ({Describe(Parameters)}) have {values} values per data set.");
    }

    /// <summary>
    /// Checks the file against the model it sits next to: method, task and input shapes against the model's
    /// metadata, the parameter count and (for a posterior) the number of parameter names against the network, and
    /// the inference network's kind. A mismatch (a run.json of another run, or edited) is an
    /// <see cref="InvalidDataException"/> naming <paramref name="path"/>, the field and both values.
    /// </summary>
    public void CheckAgainst(string path, Amortized.Inference.Approximators.Approximator model,
        IReadOnlyDictionary<string, string> metadata)
    {
        string model_ = $"the model next to it ({RunFolder.ModelName})";
        void Fail(string field, string here, string there) => throw new InvalidDataException(
            $"run file '{path}': {field} is {here}, but {model_} has {there}; the two files belong to different " +
            "runs (refit, or restore the run's own run.json).");
        if (metadata.TryGetValue("method", out var method) && method != Method)
            Fail("method", $"'{Method}'", $"'{method}'");
        if (metadata.TryGetValue("task", out var task) && task != Task)
            Fail("task", Task is null ? "none" : $"'{Task}'", $"'{task}'");
        if (metadata.TryGetValue(Amortized.Inference.Serialization.ObservationShapes.MetadataKey, out var shapes))
        {
            string stored = Describe(Amortized.Inference.Serialization.ObservationShapes.Parse(shapes)
                .Select(kv => new InputKey(kv.Key, kv.Value)).ToArray());
            if (stored != Describe(Inputs)) Fail("inputs", $"'{Describe(Inputs)}'", $"'{stored}'");
        }
        if (ParameterCount != model.Store.Count)
            Fail("parameter_count", ParameterCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"{model.Store.Count} trainable parameters");
        string kind = model switch
        {
            Amortized.Inference.Approximators.PointApproximator => "point",
            Amortized.Inference.Approximators.ModelComparisonApproximator => "model-comparison",
            _ => "posterior or likelihood",
        };
        if (kind != (CliChoices.IsDensity(MethodKind) ? "posterior or likelihood" : Method))
            Fail("method", $"'{Method}'", $"a {kind} model");
        if (model is Amortized.Inference.Approximators.PointApproximator point)
        {
            if (point.Dimension != ParameterNames.Length)
                Fail("parameter_names", $"{ParameterNames.Length} names", $"{point.Dimension} estimated values per data set");
            return;
        }
        if (model is Amortized.Inference.Approximators.ModelComparisonApproximator classifier)
        {
            if (Models is not { } models || models.Length != classifier.ModelCount)
                Fail("models", $"{Models?.Length ?? 0} models", $"{classifier.ModelCount}");
            return;
        }
        CheckContinuous((Amortized.Inference.Approximators.ContinuousApproximator)model, Fail);
    }

    private void CheckContinuous(Amortized.Inference.Approximators.ContinuousApproximator model,
        Action<string, string, string> fail)
    {
        var spec = model.Spec;
        if (spec is null) return;
        if (CliChoices.Kind(InferenceKind) != spec.Inference)
            fail("inference_network", $"'{InferenceNetwork}'", $"a {spec.Inference} network");
        if (MethodKind == FitMethod.Posterior && spec.VariableDim != ParameterNames.Length)
            fail("parameter_names", $"{ParameterNames.Length} names",
                $"{spec.VariableDim} inferred values per data set");
    }

    /// <summary>Values per data set of <paramref name="key"/>, its shape checked.</summary>
    private static long Length(InputKey key, string path, string field)
    {
        if (key.RowShape is null || key.RowShape.Any(d => d <= 0))
            throw new InvalidDataException($"run file '{path}': {field} '{key.Name}' has shape " +
                $"[{string.Join(", ", key.RowShape ?? [])}]; every dimension must be positive.");
        long length = 1;
        foreach (int d in key.RowShape)
        {
            length *= d;   // at most int.MaxValue squared after the check below: no overflow
            if (length > int.MaxValue)
                throw new InvalidDataException($"run file '{path}': {field} '{key.Name}' has shape " +
                    $"[{string.Join(", ", key.RowShape)}], more than {int.MaxValue} values per data set.");
        }
        return length;
    }

    /// <summary>"theta [2], x [10, 2]": keys and shapes, for messages and comparisons.</summary>
    private static string Describe(IEnumerable<InputKey> keys) =>
        string.Join(", ", keys.Select(k => $"{k.Name} [{string.Join(", ", k.RowShape ?? [])}]"));

    /// <summary>Reads <c>run.json</c>.</summary>
    public static RunInfo Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException(
            $"run file '{path}' does not exist; is this a folder written by 'amortized fit'?", path);
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), CliJsonContext.Default.RunInfo)
                ?? throw new InvalidDataException($"run file '{path}' is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"run file '{path}' is not valid: {e.Message}");
        }
    }

    /// <summary>Writes <c>run.json</c> atomically.</summary>
    public void Save(string path) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, CliJsonContext.Default.RunInfo));
}

/// <summary>Source-generated JSON for the command's files (AOT-clean: no reflection).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RunInfo))]
[JsonSerializable(typeof(List<TaskDescription>))]
[JsonSerializable(typeof(Commands.AccuracyReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
}

/// <summary>A row of <c>amortized tasks --json</c>.</summary>
public sealed record TaskDescription(string Name, int Parameters, int Data, string Support,
    string SummaryNetwork, string[] ParameterNames);
