using Amortized.Tensors;

namespace Amortized.Inference.Approximators;

/// <summary>Squared error sum_d (theta_d - m_d)^2: elicits the posterior mean. Head (B, D), estimate (B, D).</summary>
public sealed class MeanScore : ScoringRule
{
    /// <summary>Creates the rule; its estimates are named <paramref name="name"/>.</summary>
    public MeanScore(string name = "mean") : base(name)
    {
    }

    /// <inheritdoc />
    public override int HeadDim(int dimension) => dimension;

    /// <inheritdoc />
    public override Tensor Score(Tensor head, Tensor target)
    {
        CheckShapes(head, target);
        return (target - head).Square().Sum(1);
    }

    /// <inheritdoc />
    public override Tensor Estimate(Tensor head, int dimension)
    {
        CheckHead(head, dimension);
        return head;
    }
}
