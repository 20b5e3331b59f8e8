namespace Amortized.Inference.Adapters;

/// <summary>How <see cref="Adapter.Constrain"/> maps a bounded variable to the real line.</summary>
public enum ConstraintMethod
{
    /// <summary>Sigmoid for two bounds, softplus for one.</summary>
    Default,
    /// <summary>Two bounds: y = logit((x - lower) / (upper - lower)).</summary>
    Sigmoid,
    /// <summary>One bound: y = log(exp(x - lower) - 1) (inverse softplus), or of (upper - x).</summary>
    Softplus,
    /// <summary>One bound: y = log(x - lower), or log(upper - x).</summary>
    Exp,
    /// <summary>
    /// One or two bounds: the network learns the raw value, and draws outside the bounds are rejected and drawn
    /// again when sampling (sbi's handling of a bounded prior). The posterior keeps its shape near the bounds
    /// instead of being warped by a logit; the price is the redraws, in proportion to the mass the network puts
    /// outside the support. Densities are zero outside the bounds and not renormalised inside.
    /// </summary>
    Reject,
}
