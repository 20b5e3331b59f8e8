using Amortized.Inference;
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;

namespace Amortized.Cli;

/// <summary>
/// The K models of <c>fit --method model-comparison --models A,B,...</c>: built-in tasks whose data have the same key
/// and shape. Each is simulated with its parameters dropped (the models' parameters differ; only the data and the
/// model indicator are compared), with equal prior model probabilities.
/// </summary>
internal static class ModelChoices
{
    /// <summary>The tasks, their shared data key and its shape per data set; errors are usage errors.</summary>
    public static (BenchmarkTask[] Tasks, InputKey Data) Parse(IReadOnlyList<string> names, ulong seed)
    {
        if (names.Count < 2)
            throw new UsageException($"--models names {names.Count} task(s); model comparison needs at least 2 " +
                "(e.g. --models gaussian_linear,gaussian_linear_uniform).");
        var normalized = names.Select(TaskNames.Normalize).ToArray();
        if (normalized.Distinct().Count() != normalized.Length)
            throw new UsageException($"--models names a task twice ({string.Join(",", normalized)}); each model " +
                "must be a different task.");
        var tasks = names.Select(TaskNames.Create).ToArray();
        InputKey? data = null;
        foreach (var task in tasks)
        {
            var probe = Sample(task, 2, seed, new SampleOptions { BatchIndex = StreamRegistry.ShapeProbeBatch.First });
            if (!probe.Contains(task.DataKey))
                throw new UsageException($"task '{task.Name}' has no data key '{task.DataKey}'.");
            var key = new InputKey(task.DataKey, probe.Shape(task.DataKey)[1..].ToArray());
            if (data is null) data = key;
            else if (key.Name != data.Name || !key.RowShape.SequenceEqual(data.RowShape))
                throw new UsageException($"--models: the tasks' data differ: '{tasks[0].Name}' simulates " +
                    $"{data.Name} [{string.Join(", ", data.RowShape)}] but '{task.Name}' simulates {key.Name} " +
                    $"[{string.Join(", ", key.RowShape)}]; model comparison needs the same data shape " +
                    $"(e.g. gaussian_linear,gaussian_linear_uniform or two_moons,gaussian_mixture).");
        }
        return (tasks, data!);
    }

    /// <summary>The mixture over the tasks with equal probabilities, writing the one-hot model indicator.</summary>
    public static ModelComparisonSimulator Simulator(IReadOnlyList<BenchmarkTask> tasks) =>
        new([.. tasks.Select(t => (ISimulator)new DataOnly(t))]);

    /// <summary>The data as direct conditions (flat) or as a sequence of scalars for a summary network.</summary>
    public static Adapter Adapter(string dataKey, SummaryNetworkKind summary) => summary == SummaryNetworkKind.None
        ? new Adapter().Concatenate([dataKey], Keys.InferenceConditions)
        : new Adapter().ExpandDims(dataKey, -1).Rename(dataKey, Keys.SummaryVariables);

    private static SimulationBatch Sample(BenchmarkTask task, int rows, ulong seed, SampleOptions options) =>
        new DataOnly(task).Sample(rows, seed, options);

    /// <summary>A task's simulations without its parameters.</summary>
    private sealed class DataOnly(BenchmarkTask task) : ISimulator
    {
        public SimulationBatch Sample(int batchSize, ulong seed, SampleOptions? options = null)
        {
            var batch = task.Sample(batchSize, seed, options);
            batch.Remove(task.ParameterKey);
            return batch;
        }
    }
}
