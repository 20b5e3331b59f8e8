namespace Amortized.Inference.Approximators;

/// <summary>The Markov chain kernel a <see cref="LikelihoodPosterior"/> runs.</summary>
public enum McmcMethod
{
    /// <summary>
    /// Coordinate-wise slice sampling with stepping out and shrinkage (Neal 2003): no gradients, no tuning
    /// needed for correctness, every update moves.
    /// </summary>
    Slice,

    /// <summary>Random-walk Metropolis with a Gaussian proposal whose scale adapts during warm-up.</summary>
    RandomWalkMetropolis,
}
