using Amortized.Tensors;

namespace Amortized.Networks.Flows;

/// <summary>
/// A conditional affine bijection whose scale and shift are affine functions of the conditions:
/// [a | t] = c W + b, y = x * s(a) + t with s the coupling's positive scale map (s = 1 at a = 0), so
/// log|det| = sum_k log s_k(c). W and b start at zero: a fresh layer is the identity.
/// Shapes: x and y (B, D), conditions (B, C), W (C, 2D), b (2D).
/// </summary>
/// <remarks>
/// Why: many posteriors are close to a Gaussian whose mean (and log-scale) move linearly with the summaries
/// (every linear-Gaussian model exactly). A coupling subnet can only approximate a linear map with its
/// nonlinear units, and with few simulations it fits noise doing so; this layer holds the linear part with
/// 2D (C + 1) parameters whose maximum-likelihood estimate is a well-posed regression, and the couplings are
/// left with the non-Gaussian shape. It sits on the data side of the flow (it sees x first), as a learned
/// conditional standardisation.
/// </remarks>
public sealed class ConditionalAffine : Module, IInvertibleLayer
{
    private readonly Dense _map;

    /// <summary>Creates the layer for D features and C (at least 1) condition features.</summary>
    public ConditionalAffine(ParameterStore store, string name, int features, int conditionDim,
        AffineScale scale, Rng rng) : base(name)
    {
        if (features <= 0)
            throw new ArgumentOutOfRangeException(nameof(features), features,
                $"ConditionalAffine '{name}': features must be positive.");
        if (conditionDim <= 0)
            throw new ArgumentOutOfRangeException(nameof(conditionDim), conditionDim,
                $"ConditionalAffine '{name}': needs conditions (got {conditionDim} condition features).");
        Features = features;
        ConditionDim = conditionDim;
        Scale = scale;
        _map = AddChild(
            new Dense(store, $"{name}.map", conditionDim, AffineTransform.ParametersPerFeature * features, rng,
            kernelInitializer: Initializer.Zeros));
    }

    /// <summary>D.</summary>
    public int Features { get; }

    /// <summary>C.</summary>
    public int ConditionDim { get; }

    /// <summary>How the raw scale parameter becomes a positive scale.</summary>
    public AffineScale Scale { get; }

    /// <summary>
    /// A least-squares initialisation: after the training rows have been added, the layer maps x to the residual
    /// of the ridge linear regression of x on the conditions divided by its standard deviation.
    /// </summary>
    public IDataInitializer CreateInitializer() => new LeastSquaresInitializer(this);

    /// <summary>
    /// True while every weight is still exactly zero, as built: the layer has been neither initialised from data nor
    /// trained nor loaded with trained weights, so a data-dependent initialisation has nothing to overwrite.
    /// </summary>
    public bool IsUntouched => _map.HasOnlyZeroWeights;

    /// <summary>Overwrites the map's kernel (C, 2D) and bias (2D), wherever the parameters live.</summary>
    public void SetMap(ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias)
    {
        if (kernel.Length != _map.Kernel.Size || bias.Length != _map.Bias!.Size)
            throw new ArgumentException(
                $"ConditionalAffine '{Name}': kernel needs {_map.Kernel.Shape} ({_map.Kernel.Size} values) and bias " +
                $"{_map.Bias!.Shape}; got {kernel.Length} and {bias.Length} values.");
        _map.Kernel.Backend.Upload(kernel, _map.Kernel);
        _map.Bias.Backend.Upload(bias, _map.Bias);
    }

    /// <inheritdoc />
    public (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor? conditions)
    {
        FlowChecks.Input(this, x, Features);
        FlowChecks.Conditions(this, x, conditions, ConditionDim);
        return AffineTransform.Forward(x, _map.Forward(conditions!), Scale);
    }

    /// <inheritdoc />
    public (Tensor X, Tensor LogDet) Inverse(Tensor y, Tensor? conditions)
    {
        FlowChecks.Input(this, y, Features);
        FlowChecks.Conditions(this, y, conditions, ConditionDim);
        return AffineTransform.Inverse(y, _map.Forward(conditions!), Scale);
    }

    /// <inheritdoc />
    protected override string Describe() => $"ConditionalAffine({Features}, conditions {ConditionDim}, {Scale})";
}
