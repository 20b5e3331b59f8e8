namespace Amortized.Networks.Numerics;

/// <summary>Right-hand side f(t, y) written into <paramref name="dydt"/>.</summary>
public delegate void OdeFunction(double t, ReadOnlySpan<double> y, Span<double> dydt);

/// <summary>Options of <see cref="DormandPrince"/>.</summary>
public sealed record OdeOptions
{
    /// <summary>Relative tolerance (per component, scaled by max(|y_n|, |y_n+1|)).</summary>
    public double RelativeTolerance { get; init; } = 1e-6;

    /// <summary>Absolute tolerance.</summary>
    public double AbsoluteTolerance { get; init; } = 1e-9;

    /// <summary>First step size; 0 picks one from the initial derivative (Hairer, Norsett and Wanner II.4).</summary>
    public double InitialStep { get; init; }

    /// <summary>Largest step size.</summary>
    public double MaxStep { get; init; } = double.PositiveInfinity;

    /// <summary>Steps (accepted plus rejected) before giving up.</summary>
    public int MaxSteps { get; init; } = 100_000;
}
