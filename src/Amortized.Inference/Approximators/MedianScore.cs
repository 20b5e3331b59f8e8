using Amortized.Tensors;

namespace Amortized.Inference.Approximators;

/// <summary>
/// Absolute error sum_d |theta_d - m_d|: elicits the posterior median of each variable. Head (B, D), estimate
/// (B, D). Medians commute with monotone maps, so they stay medians through the adapter's inverse.
/// </summary>
public sealed class MedianScore : ScoringRule
{
    /// <summary>Creates the rule; its estimates are named <paramref name="name"/>.</summary>
    public MedianScore(string name = "median") : base(name)
    {
    }

    /// <inheritdoc />
    public override int HeadDim(int dimension) => dimension;

    /// <inheritdoc />
    public override Tensor Score(Tensor head, Tensor target)
    {
        CheckShapes(head, target);
        return (target - head).Abs().Sum(1);
    }

    /// <inheritdoc />
    public override Tensor Estimate(Tensor head, int dimension)
    {
        CheckHead(head, dimension);
        return head;
    }
}
