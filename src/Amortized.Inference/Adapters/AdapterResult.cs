using Amortized.Inference.Simulators;

namespace Amortized.Inference.Adapters;

/// <summary>
/// The adapted data and, per key, log|det J| of the map (shape: the key's shape without its last axis).
/// </summary>
public sealed record AdapterResult(SimulationBatch Data, IReadOnlyDictionary<string, float[]> LogDetJacobian);
