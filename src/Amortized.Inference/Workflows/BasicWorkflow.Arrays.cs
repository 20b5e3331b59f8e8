using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.Workflows;

public sealed partial class BasicWorkflow
{
    /// <summary>
    /// One data set (B = 1) from plain arrays keyed by name, each shaped as the model reads it: the adapter is
    /// traced back from the network inputs (<see cref="Adapter.RawInputs"/>), so a key the model reads as a scalar
    /// becomes (1), a set of open size n with F features (1, n, F) with n = length / F, and a fixed shape is checked.
    /// Keys the model does not read (or whose rank it leaves open) become vectors (1, length). For shapes the model
    /// cannot tell, build the batch with <see cref="SimulationBatch.From"/>.
    /// </summary>
    public SimulationBatch Observation(IReadOnlyDictionary<string, float[]> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var expected = new Dictionary<string, int[]?>(StringComparer.Ordinal);
        foreach (var (key, shape) in Adapter.RawInputs((Built.Spec ?? Spec).NetworkInputs()))
            expected[key] = shape;
        var batch = new SimulationBatch(1);
        foreach (var (key, values) in data)
        {
            ArgumentNullException.ThrowIfNull(values, $"data[\"{key}\"]");
            int[] shape = expected.TryGetValue(key, out int[]? model) && model is not null
                ? Resolve(key, model, values.Length) : [values.Length];
            batch.Set(key, values, [1, .. shape]);
        }
        return batch;
    }

    /// <summary>The per-data-set shape of <paramref name="length"/> values for a model shape with -1 for open axes.</summary>
    private static int[] Resolve(string key, int[] model, int length)
    {
        int open = -1, known = 1;
        for (int a = 0; a < model.Length; a++)
        {
            if (model[a] >= 0) known *= model[a];
            else if (open < 0) open = a;
            else throw new ArgumentException($"BasicWorkflow.Observation: key '{key}' has more than one open axis " +
                $"in the model's shape ({string.Join(", ", model.Select(d => d < 0 ? "n" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}); " +
                "build the batch with SimulationBatch.From and explicit shapes.", nameof(key));
        }
        int[] shape = (int[])model.Clone();
        if (open >= 0)
        {
            if (known == 0 || length % known != 0)
                throw new ArgumentException($"BasicWorkflow.Observation: key '{key}' has {length} values; the model " +
                    $"reads it as (n{string.Concat(model.Where(d => d >= 0).Select(d => $", {d}"))}), so a multiple of " +
                    $"{known} is expected.", nameof(key));
            shape[open] = length / known;
        }
        else if (length != known)
            throw new ArgumentException($"BasicWorkflow.Observation: key '{key}' has {length} values; the model reads " +
                $"it with shape ({string.Join(", ", model)}), {known} value{(known == 1 ? "" : "s")}.", nameof(key));
        return shape;
    }
}

/// <summary>Plain arrays into <see cref="BasicWorkflow"/>'s sampling.</summary>
public static class BasicWorkflowArrays
{
    /// <summary>
    /// Posterior draws for one data set given as plain arrays keyed by name, as the simulator writes one row (no
    /// batch axis): <c>workflow.Sample(new Dictionary&lt;string, float[]&gt; { ["x"] = xs, ["n"] = [40] }, 2000)</c>.
    /// Each parameter key comes back shaped (1, numSamples, ...). Shapes are read off the model
    /// (<see cref="BasicWorkflow.Observation"/>).
    /// </summary>
    public static SimulationBatch Sample(this BasicWorkflow workflow, IReadOnlyDictionary<string, float[]> data,
        int numSamples, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        return workflow.Sample(workflow.Observation(data), numSamples, seed);
    }
}
