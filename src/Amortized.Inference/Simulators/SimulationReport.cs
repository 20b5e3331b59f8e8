namespace Amortized.Inference.Simulators;

/// <summary>What happened while a batch was simulated.</summary>
/// <param name="Requested">Rows asked for.</param>
/// <param name="Rejected">Rows re-simulated because the acceptance predicate refused them (counted
/// per attempt).</param>
/// <param name="NonFiniteRows">Per key, rows holding NaN or infinity (counted before any dropping).</param>
/// <param name="Dropped">Rows removed because they held NaN or infinity (<see cref="NonFiniteHandling.Drop"/>).</param>
public sealed record SimulationReport(
    int Requested,
    int Rejected,
    IReadOnlyDictionary<string, int> NonFiniteRows,
    int Dropped)
{
    /// <summary>Total rows with at least one non-finite value.</summary>
    public int NonFiniteTotal { get; init; }
}
