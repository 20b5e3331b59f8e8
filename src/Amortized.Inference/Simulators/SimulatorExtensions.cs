using Amortized.Tensors;

namespace Amortized.Inference.Simulators;

/// <summary>Convenience overloads over <see cref="ISimulator"/>.</summary>
public static class SimulatorExtensions
{
    /// <summary>Samples with a seed drawn from <paramref name="rng"/> (so successive calls give new batches).</summary>
    public static SimulationBatch Sample(this ISimulator simulator, int batchSize, Rng rng,
        SampleOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        ArgumentNullException.ThrowIfNull(rng);
        ulong seed = ((ulong)rng.NextUInt32() << 32) | rng.NextUInt32();
        return simulator.Sample(batchSize, seed, options);
    }

    /// <summary>
    /// Samples <paramref name="total"/> rows in chunks of <paramref name="chunkSize"/>, yielding each chunk as it
    /// is done. Row streams use global row indices, so for per-row simulators the concatenated chunks equal one
    /// big <c>Sample</c>. Each chunk is simulated with <see cref="SampleOptions.ChunkSize"/> semantics.
    /// </summary>
    public static IEnumerable<SimulationBatch> SampleChunks(this Simulator simulator, int total, int chunkSize,
        ulong seed, SampleOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        options ??= new SampleOptions();
        var context = simulator.RunContext(seed, options);
        for (int start = 0; start < total; start += chunkSize)
        {
            int count = Math.Min(chunkSize, total - start);
            SimulationBatch? given = options.Given?.Slice(start, count);
            yield return simulator.SampleRows(start, count, seed, options with { Given = given }, context);
        }
    }
}
