namespace Amortized.Inference.Approximators;

/// <summary>Which scoring rule a <see cref="ScoringRuleSpec"/> builds.</summary>
public enum ScoringRuleKind
{
    /// <summary>A <see cref="MeanScore"/>: the posterior mean.</summary>
    Mean,
    /// <summary>A <see cref="MedianScore"/>: the posterior median.</summary>
    Median,
    /// <summary>A <see cref="QuantileScore"/>: posterior quantiles at <see cref="ScoringRuleSpec.Levels"/>.</summary>
    Quantiles,
    /// <summary>A <see cref="MultivariateNormalScore"/>: a Gaussian fit (mean and covariance).</summary>
    MultivariateNormal,
}

/// <summary>
/// A scoring rule as data, so a <see cref="PointApproximator"/> built from a <see cref="PointApproximatorSpec"/> can be
/// saved and rebuilt: the kind, the head's name (default the rule's own: "mean", "median", "quantiles", "mvn") and,
/// for quantiles, the levels (default 0.1, 0.5, 0.9).
/// </summary>
public sealed record ScoringRuleSpec
{
    /// <summary>The rule.</summary>
    public ScoringRuleKind Kind { get; init; }

    /// <summary>The head's and the estimates' name; null for the rule's default name.</summary>
    public string? Name { get; init; }

    /// <summary>Quantile levels, strictly increasing in (0, 1) (Quantiles only; null for 0.1, 0.5, 0.9).</summary>
    public IReadOnlyList<float>? Levels { get; init; }

    /// <summary>The posterior mean.</summary>
    public static ScoringRuleSpec Mean() => new() { Kind = ScoringRuleKind.Mean };

    /// <summary>The posterior median.</summary>
    public static ScoringRuleSpec Median() => new() { Kind = ScoringRuleKind.Median };

    /// <summary>Posterior quantiles at <paramref name="levels"/> (default 0.1, 0.5, 0.9).</summary>
    public static ScoringRuleSpec Quantiles(params IReadOnlyList<float>? levels) =>
        new() { Kind = ScoringRuleKind.Quantiles, Levels = levels is { Count: > 0 } ? [.. levels] : null };

    /// <summary>A multivariate normal fit.</summary>
    public static ScoringRuleSpec MultivariateNormal() => new() { Kind = ScoringRuleKind.MultivariateNormal };

    /// <summary>Creates the rule.</summary>
    /// <exception cref="ArgumentException">Levels given for a rule other than quantiles, or invalid levels.</exception>
    public ScoringRule Create()
    {
        if (Levels is not null && Kind != ScoringRuleKind.Quantiles)
            throw new ArgumentException($"ScoringRuleSpec: Levels are given for a {Kind} rule; only Quantiles has levels.");
        return Kind switch
        {
            ScoringRuleKind.Mean => Name is null ? new MeanScore() : new MeanScore(Name),
            ScoringRuleKind.Median => Name is null ? new MedianScore() : new MedianScore(Name),
            ScoringRuleKind.Quantiles => Name is null ? new QuantileScore(Levels) : new QuantileScore(Levels, Name),
            ScoringRuleKind.MultivariateNormal =>
                Name is null ? new MultivariateNormalScore() : new MultivariateNormalScore(Name),
            _ => throw new ArgumentException($"ScoringRuleSpec: Kind is {(int)Kind}; expected one of " +
                $"{string.Join(", ", Enum.GetNames<ScoringRuleKind>())}."),
        };
    }
}
