namespace Amortized.Inference.Simulators;

/// <summary>Anything that produces batches of simulations.</summary>
public interface ISimulator
{
    /// <summary>
    /// Simulates <paramref name="batchSize"/> rows. The result is a pure function of (seed, options): row r draws
    /// from a stream derived from (seed, options.BatchIndex, r), so it does not depend on the thread count.
    /// </summary>
    SimulationBatch Sample(int batchSize, ulong seed, SampleOptions? options = null);
}
