using Amortized.Tensors;

namespace Amortized.Inference.Approximators;

/// <summary>
/// Pinball loss sum_q sum_d rho_tau_q(theta_d - q_qd), rho_tau(e) = max(tau e, (tau - 1) e): elicits the posterior
/// quantiles at the given levels. Head (B, Q * D), estimate (B, Q, D) with Q = number of levels.
/// </summary>
/// <remarks>
/// The quantiles never cross: the head gives the anchor quantile (the level nearest 0.5) directly and every other
/// quantile as the anchor plus (above) or minus (below) a cumulative sum of softplus increments. Quantiles
/// commute with monotone maps, so they stay ordered through an increasing adapter inverse.
/// Koenker and Bassett (1978), Regression quantiles, Econometrica 46.
/// </remarks>
public sealed class QuantileScore : ScoringRule
{
    private readonly float[] _levels;
    private readonly Tensor _tau;   // (1, Q, 1)

    /// <summary>
    /// Creates the rule for strictly increasing <paramref name="levels"/> in (0, 1); default 0.1, 0.5, 0.9.
    /// </summary>
    public QuantileScore(IReadOnlyList<float>? levels = null, string name = "quantiles") : base(name)
    {
        _levels = levels is null ? [0.1f, 0.5f, 0.9f] : [.. levels];
        if (_levels.Length == 0)
            throw new ArgumentException($"QuantileScore '{name}': expected at least one level, got 0.", nameof(levels));
        for (int i = 0; i < _levels.Length; i++)
        {
            if (!(_levels[i] > 0f && _levels[i] < 1f) || (i > 0 && !(_levels[i] > _levels[i - 1])))
                throw new ArgumentException($"QuantileScore '{name}': levels ({string.Join(", ", _levels)}) must be " +
                    $"strictly increasing in (0, 1); level {i} is {_levels[i]}.", nameof(levels));
        }
        int anchor = 0;
        for (int i = 1; i < _levels.Length; i++)
            if (Math.Abs(_levels[i] - 0.5f) < Math.Abs(_levels[anchor] - 0.5f)) anchor = i;
        AnchorIndex = anchor;
        _tau = Tensor.FromArray(_levels, 1, _levels.Length, 1);
    }

    /// <summary>The quantile levels tau, increasing.</summary>
    public IReadOnlyList<float> Levels => _levels;

    /// <summary>Index of the level nearest 0.5, whose quantile the head outputs directly.</summary>
    public int AnchorIndex { get; }

    /// <inheritdoc />
    public override int HeadDim(int dimension) => _levels.Length * dimension;

    /// <inheritdoc />
    public override Tensor Score(Tensor head, Tensor target)
    {
        CheckShapes(head, target);
        int b = target.Shape[0], d = target.Shape[1];
        var q = Ordered(head, d);                                  // (B, Q, D)
        var e = target.Reshape(b, 1, d) - q;                       // theta - q
        // rho_tau(e) = tau e for e >= 0 and (tau - 1) e = tau e - e for e < 0, i.e. tau e + relu(-e).
        var pinball = _tau * e + (-e).Relu();
        return pinball.Sum(2).Sum(1);
    }

    /// <inheritdoc />
    public override Tensor Estimate(Tensor head, int dimension)
    {
        CheckHead(head, dimension);
        return Ordered(head, dimension);
    }

    /// <summary>Raw (B, Q * D) -> ordered quantiles (B, Q, D).</summary>
    private Tensor Ordered(Tensor head, int d)
    {
        int n = _levels.Length, a = AnchorIndex;
        var raw = head.Reshape(head.Shape[0], n, d);
        var parts = new Tensor[n];
        parts[a] = raw.Slice(1, a, 1);
        for (int k = a + 1; k < n; k++) parts[k] = parts[k - 1] + raw.Slice(1, k, 1).Softplus();
        for (int k = a - 1; k >= 0; k--) parts[k] = parts[k + 1] - raw.Slice(1, k, 1).Softplus();
        return n == 1 ? parts[0] : Tensor.Concat(parts, 1);
    }
}
