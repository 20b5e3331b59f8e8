namespace Amortized.Inference.Approximators;

/// <summary>
/// A <see cref="PointApproximator"/>'s estimates for a batch of data sets, one entry per scoring rule.
/// </summary>
public sealed class PointEstimates
{
    private readonly Dictionary<string, ScoringRuleEstimate> _byRule = new(StringComparer.Ordinal);
    private readonly List<string> _rules = [];

    internal PointEstimates(int batchSize) => BatchSize = batchSize;

    /// <summary>B, the number of data sets.</summary>
    public int BatchSize { get; }

    /// <summary>The rules' names, in the approximator's order.</summary>
    public IReadOnlyList<string> Rules => _rules;

    /// <summary>The estimates of one rule.</summary>
    public ScoringRuleEstimate this[string rule] => _byRule.TryGetValue(rule, out var e) ? e
        : throw new KeyNotFoundException($"PointEstimates: no rule '{rule}'; have {string.Join(", ", _rules)}.");

    internal void Add(ScoringRuleEstimate estimate)
    {
        _byRule.Add(estimate.Rule, estimate);
        _rules.Add(estimate.Rule);
    }
}
