namespace Amortized.Networks.Summaries;

/// <summary>How a set of element embeddings (B, N, D) is reduced to one (B, D); padded rows take no part.</summary>
public enum SetPooling
{
    /// <summary>Mean over the observed elements (0 for a set with none).</summary>
    Mean,
    /// <summary>Elementwise maximum over the observed elements (0 for a set with none).</summary>
    Max,
}
