namespace Amortized.Inference.Simulators;

/// <summary>What to do with rows whose outputs hold NaN or infinity.</summary>
public enum NonFiniteHandling
{
    /// <summary>Keep them and count them in <see cref="SimulationReport.NonFiniteRows"/>.</summary>
    Keep,
    /// <summary>Remove them (the batch gets smaller) and report how many were dropped.</summary>
    Drop,
    /// <summary>Throw an error that names the key and the row.</summary>
    Throw,
}
