using Amortized.Inference.Adapters;

namespace Amortized.Inference.Tasks;

/// <summary>
/// The support of a task's prior, one interval shared by every parameter (null = unbounded on that side), and the
/// map the default adapter uses to send it to the real line, so a trained posterior never puts mass outside it.
/// </summary>
public readonly record struct ParameterSupport(double? Lower, double? Upper,
    ConstraintMethod Method = ConstraintMethod.Default)
{
    /// <summary>The whole real line.</summary>
    public static ParameterSupport Unbounded => default;

    /// <summary>Whether either side is bounded.</summary>
    public bool IsBounded => Lower is not null || Upper is not null;

    /// <summary>Whether <paramref name="value"/> lies in the support (bounds included).</summary>
    public bool Contains(double value) => (Lower is not { } l || value >= l) && (Upper is not { } u || value <= u);

    /// <summary>"(-inf, inf)", "[-1, 1]", "(0, inf)".</summary>
    public override string ToString() =>
        $"{(Lower is { } l ? $"[{l:G4}" : "(-inf")}, {(Upper is { } u ? $"{u:G4}]" : "inf)")}";
}
