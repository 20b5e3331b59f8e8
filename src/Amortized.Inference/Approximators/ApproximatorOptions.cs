namespace Amortized.Inference.Approximators;

/// <summary>Options of a <see cref="ContinuousApproximator"/>.</summary>
public sealed record ApproximatorOptions
{
    /// <summary>Standardise the inference variables with running statistics (recommended).</summary>
    public bool StandardizeVariables { get; init; } = true;

    /// <summary>Standardise the direct inference conditions with running statistics.</summary>
    public bool StandardizeConditions { get; init; } = true;

    /// <summary>Standardise the summary network's inputs per feature (padding excluded).</summary>
    public bool StandardizeSummaryInputs { get; init; } = true;

    /// <summary>Largest number of rows pushed through the networks at once when sampling (bounds memory).</summary>
    public int SampleChunkRows { get; init; } = 65536;
}
