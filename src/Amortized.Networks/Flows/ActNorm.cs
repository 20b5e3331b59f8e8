using Amortized.Tensors;

namespace Amortized.Networks.Flows;

/// <summary>
/// Activation normalisation (Kingma and Dhariwal 2018): y = x * exp(logScale) + bias per feature, starting as
/// the identity (scale 1, bias 0). log|det| = sum(logScale) for every row. Shapes: x (B, D).
/// </summary>
public sealed class ActNorm : Module, IInvertibleLayer
{
    /// <summary>Creates the layer for D features.</summary>
    public ActNorm(ParameterStore store, string name, int features, Rng rng) : base(name)
    {
        Features = features;
        LogScale = AddParameter(store, "log_scale", new Shape(features), Initializer.Zeros, rng);
        Bias = AddParameter(store, "bias", new Shape(features), Initializer.Zeros, rng);
    }

    /// <summary>D.</summary>
    public int Features { get; }

    /// <summary>log of the per-feature scale (D).</summary>
    public Tensor LogScale { get; }

    /// <summary>Per-feature shift (D).</summary>
    public Tensor Bias { get; }

    /// <inheritdoc />
    public (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor? conditions)
    {
        FlowChecks.Input(this, x, Features);
        var y = x * LogScale.Exp() + Bias;
        return (y, Tensor.Zeros(new Shape(x.Shape[0])) + LogScale.Sum());
    }

    /// <inheritdoc />
    public (Tensor X, Tensor LogDet) Inverse(Tensor y, Tensor? conditions)
    {
        FlowChecks.Input(this, y, Features);
        var x = (y - Bias) * (-LogScale).Exp();
        return (x, Tensor.Zeros(new Shape(y.Shape[0])) - LogScale.Sum());
    }

    /// <inheritdoc />
    protected override string Describe() => $"ActNorm({Features})";
}

/// <summary>Shared argument checks of the flow layers.</summary>
internal static class FlowChecks
{
    public static void Input(Module layer, Tensor x, int features)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 2 || x.Shape[1] != features)
            throw new ArgumentException($"{layer.GetType().Name} '{layer.Name}': input is {x.Shape}; expected " +
                $"(B, {features}).", nameof(x));
    }

    public static void Conditions(Module layer, Tensor x, Tensor? conditions, int conditionDim)
    {
        if (conditionDim == 0)
        {
            if (conditions is not null && conditions.Size != 0)
                throw new ArgumentException($"{layer.GetType().Name} '{layer.Name}': got conditions " +
                    $"{conditions.Shape} but was built without conditions.", nameof(conditions));
            return;
        }
        if (conditions is null)
            throw new ArgumentException($"{layer.GetType().Name} '{layer.Name}': conditions are required, shape (B, " +
                $"{conditionDim}).", nameof(conditions));
        if (conditions.Rank != 2 || conditions.Shape[1] != conditionDim || conditions.Shape[0] != x.Shape[0])
            throw new ArgumentException($"{layer.GetType().Name} '{layer.Name}': conditions are {conditions.Shape}; " +
                $"expected ({x.Shape[0]}, {conditionDim}) to match input {x.Shape}.", nameof(conditions));
    }
}
