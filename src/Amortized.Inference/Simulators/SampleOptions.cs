namespace Amortized.Inference.Simulators;

/// <summary>Options of <see cref="ISimulator.Sample"/>.</summary>
public sealed record SampleOptions
{
    /// <summary>Index of this batch within a run; row streams derive from (seed, batch index, row).</summary>
    public ulong BatchIndex { get; init; }

    /// <summary>Maximum threads for the per-row functions (-1: all cores). Results do not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    /// <summary>Values that override whatever the simulator draws for these keys, in every row.</summary>
    public IReadOnlyDictionary<string, FixedValue>? FixedValues { get; init; }

    /// <summary>Per-row inputs (B rows) every function sees by name, and which are kept in the output.</summary>
    public SimulationBatch? Given { get; init; }

    /// <summary>Rows for which this returns false are simulated again (from the row's own stream).</summary>
    public Func<BatchRow, bool>? Accept { get; init; }

    /// <summary>Attempts per row before rejection sampling gives up.</summary>
    public int MaxAttempts { get; init; } = 1000;

    /// <summary>What to do with NaN or infinite outputs.</summary>
    public NonFiniteHandling NonFinite { get; init; } = NonFiniteHandling.Keep;

    /// <summary>Rows simulated at a time (0: all at once); bounds the per-row scratch memory for large n.</summary>
    public int ChunkSize { get; init; }
}
