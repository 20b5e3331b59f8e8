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
}
