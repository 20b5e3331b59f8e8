using Amortized.Inference.Adapters;

namespace Amortized.Inference.Tasks;

/// <summary>
/// The support of a task's prior, one interval shared by every parameter (null = unbounded on that side), and how
/// the default adapter keeps a trained posterior inside it (<see cref="AdapterMethod"/>).
/// </summary>
public readonly record struct ParameterSupport(double? Lower, double? Upper,
    ConstraintMethod Method = ConstraintMethod.Default)
{
    /// <summary>The whole real line.</summary>
    public static ParameterSupport Unbounded => default;

    /// <summary>Whether either side is bounded.</summary>
    public bool IsBounded => Lower is not null || Upper is not null;

    /// <summary>
    /// The constraint the default adapter applies: <see cref="Method"/> when a task chose one; otherwise rejection
    /// for an interval with two bounds and softplus for one bound. Rejection because a logit warps the posterior
    /// the flow must learn: on the accuracy benchmark (C2ST, 10 observations) it took gaussian_mixture at 10^4
    /// simulations from 0.650 to 0.588 and two_moons at 10^3 from 0.763 to 0.672
    /// (benchmarks/results/accuracy-2026-12-05-tuning.md).
    /// </summary>
    public ConstraintMethod AdapterMethod => Method != ConstraintMethod.Default ? Method
        : Lower is not null && Upper is not null ? ConstraintMethod.Reject : ConstraintMethod.Softplus;

    /// <summary>Whether <paramref name="value"/> lies in the support (bounds included).</summary>
    public bool Contains(double value) => (Lower is not { } l || value >= l) && (Upper is not { } u || value <= u);

    /// <summary>"(-inf, inf)", "[-1, 1]", "(0, inf)".</summary>
    public override string ToString() =>
        $"{(Lower is { } l ? $"[{l:G4}" : "(-inf")}, {(Upper is { } u ? $"{u:G4}]" : "inf)")}";
}
