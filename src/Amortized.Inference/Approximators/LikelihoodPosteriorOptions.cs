namespace Amortized.Inference.Approximators;

/// <summary>
/// Options of <see cref="LikelihoodPosterior.Sample(ReadOnlySpan{float}, LikelihoodPosteriorOptions?)"/>.
/// </summary>
public sealed record LikelihoodPosteriorOptions
{
    /// <summary>The kernel; slice sampling by default.</summary>
    public McmcMethod Method { get; init; } = McmcMethod.Slice;

    /// <summary>C: chains advanced together; each step evaluates the likelihood of all of them in one batch.</summary>
    public int NumChains { get; init; } = 20;

    /// <summary>Kept draws over all chains; each chain keeps ceil(NumSamples / NumChains).</summary>
    public int NumSamples { get; init; } = 1000;

    /// <summary>Steps per chain discarded before draws are kept; the step sizes adapt during them only.</summary>
    public int WarmupSteps { get; init; } = 200;

    /// <summary>Keep every Thin-th step after warm-up.</summary>
    public int Thin { get; init; } = 1;

    /// <summary>
    /// Slice bracket width (or random-walk proposal standard deviation) per coordinate at the start. Null: taken
    /// from the spread of the chains' starting points (1 when they all start at one point).
    /// </summary>
    public double? InitialWidth { get; init; }

    /// <summary>Slice sampling: the most brackets of the current width one stepping out may add (Neal's m).</summary>
    public int MaxSteppingOut { get; init; } = 20;

    /// <summary>Random-walk Metropolis: the acceptance rate the warm-up adaptation aims at.</summary>
    public double TargetAcceptance { get; init; } = 0.234;

    /// <summary>
    /// Start every chain here (length P) instead of at a prior draw. Not with <see cref="InitialPoints"/>.
    /// </summary>
    public float[]? InitialPoint { get; init; }

    /// <summary>
    /// Start chain c at row c of this (C, P) row-major array (e.g. importance-resampled points) instead of at a
    /// prior draw; every row needs a positive posterior density. Not with <see cref="InitialPoint"/>.
    /// </summary>
    public float[]? InitialPoints { get; init; }

    /// <summary>Seed of every random choice: the same seed gives the same draws.</summary>
    public ulong Seed { get; init; }
}
