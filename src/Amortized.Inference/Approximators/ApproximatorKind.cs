namespace Amortized.Inference.Approximators;

/// <summary>Which approximator a model file or a workflow holds.</summary>
public enum ApproximatorKind
{
    /// <summary>A <see cref="ContinuousApproximator"/>: a density (posterior or likelihood) you sample.</summary>
    Continuous,
    /// <summary>A <see cref="PointApproximator"/>: point estimates from scoring rules.</summary>
    Point,
    /// <summary>A <see cref="ModelComparisonApproximator"/>: posterior model probabilities.</summary>
    ModelComparison,
}
