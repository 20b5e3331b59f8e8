using Amortized.Tensors;

namespace Amortized.Inference.Approximators;

/// <summary>
/// A strictly proper scoring rule for a <see cref="PointApproximator"/> head (BayesFlow's <c>ScoringRule</c>): it
/// says how many raw outputs the head needs, how raw outputs map to estimates (the link) and how an estimate is
/// scored against the true variables. Minimising the expected score over the joint simulations gives the
/// functional of the posterior the rule elicits (mean, median, quantiles, a Gaussian fit). All tensors live in
/// the approximator's standardised space. Shapes: B batch, D inference variables, H = <see cref="HeadDim"/>.
/// </summary>
/// <remarks>Gneiting and Raftery (2007), Strictly proper scoring rules, prediction, and estimation, JASA 102.</remarks>
public abstract class ScoringRule
{
    /// <summary>Creates the rule; <paramref name="name"/> names its head and its estimates.</summary>
    protected ScoringRule(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>The rule's name, unique within one approximator (e.g. "median").</summary>
    public string Name { get; }

    /// <summary>H: raw head outputs needed for D variables.</summary>
    public abstract int HeadDim(int dimension);

    /// <summary>
    /// The score per row (B) of raw head outputs (B, H) against true variables (B, D); differentiable.
    /// </summary>
    public abstract Tensor Score(Tensor head, Tensor target);

    /// <summary>
    /// The estimate from raw head outputs (B, H): (B, D) for a single point, (B, Q, D) for Q quantile levels; its
    /// last axis is the variables, so it can be destandardised and passed through the adapter's inverse.
    /// </summary>
    public abstract Tensor Estimate(Tensor head, int dimension);

    /// <summary>Throws unless <paramref name="head"/> is (B, H) and <paramref name="target"/> is (B, D).</summary>
    protected void CheckShapes(Tensor head, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(target);
        if (target.Rank != 2 || head.Rank != 2 || head.Shape[0] != target.Shape[0]
            || head.Shape[1] != HeadDim(target.Shape[1]))
            throw new ArgumentException($"{GetType().Name} '{Name}': head is {head.Shape} and target is " +
                $"{target.Shape}; expected (B, {(target.Rank == 2 ? HeadDim(target.Shape[1]) : "H")}) and (B, D).");
    }

    /// <summary>Throws unless <paramref name="head"/> is (B, H) for D = <paramref name="dimension"/>.</summary>
    protected void CheckHead(Tensor head, int dimension)
    {
        ArgumentNullException.ThrowIfNull(head);
        if (head.Rank != 2 || head.Shape[1] != HeadDim(dimension))
            throw new ArgumentException($"{GetType().Name} '{Name}': head is {head.Shape}; expected (B, " +
                $"{HeadDim(dimension)}) for {dimension} variables.", nameof(head));
    }
}
