namespace Amortized.Testing;

/// <summary>Step and tolerances of <see cref="GradCheck"/>; the defaults are its named constants.</summary>
public sealed record GradCheckOptions
{
    /// <summary>Relative step: x_j is moved by +-Step * max(1, |x_j|).</summary>
    public double Step { get; init; } = GradCheck.DefaultStep;

    /// <summary>Absolute tolerance on each gradient element.</summary>
    public double Atol { get; init; } = GradCheck.DefaultAtol;

    /// <summary>Relative tolerance on each gradient element (times |numeric gradient|).</summary>
    public double Rtol { get; init; } = GradCheck.DefaultRtol;

    /// <summary>Seed of the output weights r.</summary>
    public ulong WeightSeed { get; init; } = TestSeeds.GradCheckWeights;
}
