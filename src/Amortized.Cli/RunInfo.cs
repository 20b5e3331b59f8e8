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
    /// <summary>Version of this file's layout.</summary>
    public int FormatVersion { get; init; } = 1;
    /// <summary>Built-in task name, or null for a run on data files.</summary>
    public string? Task { get; init; }
    /// <summary>The data files a run on data was trained on.</summary>
    public string? DataSource { get; init; }
    /// <summary>"posterior" (NPE) or "likelihood" (NLE).</summary>
    public string Method { get; init; } = "posterior";
    /// <summary>coupling, spline or flow-matching.</summary>
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
    /// <summary>none, deepset, set-transformer or time-series.</summary>
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
