using Amortized.Tensors;

namespace Amortized.Inference.Simulators;

/// <summary>What an already-batched function sees: the batch so far and a batch-level random stream.</summary>
public sealed class BatchContext
{
    private readonly IReadOnlyDictionary<string, FixedValue>? _fixed;

    internal BatchContext(SimulationBatch batch, Rng rng, IReadOnlyDictionary<string, FixedValue>? fixedValues)
    {
        Batch = batch;
        Rng = rng;
        _fixed = fixedValues;
    }

    /// <summary>
    /// Everything drawn so far, with the batch axis first (read it; add outputs through <see cref="Set"/>).
    /// </summary>
    public SimulationBatch Batch { get; }

    /// <summary>Number of rows B.</summary>
    public int BatchSize => Batch.BatchSize;

    /// <summary>The batch-level random stream.</summary>
    public Rng Rng { get; }

    /// <summary>Adds an output of shape (B, ...); a key with a fixed value keeps the fixed value.</summary>
    public void Set(string key, float[] data, params int[] shape)
    {
        if (_fixed is not null && _fixed.ContainsKey(key)) return;
        Batch.Set(key, data, shape);
    }
}
