namespace Amortized.Networks.Flows;

/// <summary>
/// A data-dependent initialisation (as Glow's ActNorm): rows of (x, conditions) are streamed in with
/// <see cref="Add"/>, in as many chunks as memory allows, then <see cref="Apply"/> sets the layer's parameters.
/// Shapes: x (rows, D), conditions (rows, C), both row-major on the host.
/// </summary>
public interface IDataInitializer
{
    /// <summary>Rows absorbed so far.</summary>
    long Rows { get; }

    /// <summary>Absorbs a chunk of rows.</summary>
    void Add(ReadOnlySpan<float> x, ReadOnlySpan<float> conditions, int rows);

    /// <summary>Sets the parameters from every row absorbed (a no-op without rows).</summary>
    void Apply();
}
