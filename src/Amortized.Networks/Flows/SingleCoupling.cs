using Amortized.Tensors;

namespace Amortized.Networks.Flows;

/// <summary>
/// One coupling: a subnet reads the conditioning part x1 (B, D1) and the conditions (B, C) and outputs the
/// parameters of an elementwise bijection applied to the transformed part x2 (B, D2). The subnet's output
/// layer starts at zero, so a fresh coupling is the identity (BayesFlow single_coupling.py).
/// </summary>
public sealed class SingleCoupling : Module
{
    private readonly Mlp _subnet;
    private readonly CouplingFlowOptions _options;
    private readonly int _conditioningDim, _transformedDim, _conditionDim;

    /// <summary>Creates the coupling and its subnet.</summary>
    public SingleCoupling(ParameterStore store, string name, int conditioningDim, int transformedDim, int conditionDim,
        CouplingFlowOptions options, Rng rng) : base(name)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _conditioningDim = conditioningDim;
        _transformedDim = transformedDim;
        _conditionDim = conditionDim;
        int perFeature = options.Transform == CouplingTransformKind.Affine
            ? AffineTransform.ParametersPerFeature
            : SplineTransform.ParametersPerFeature(options.Spline);
        // With nothing to condition on (D = 1, unconditional) the subnet sees a constant column of ones, so
        // the transform's parameters are learned constants.
        int inputs = Math.Max(conditioningDim + conditionDim, 1);
        _subnet = AddChild(new Mlp(store, $"{name}.subnet", inputs, new MlpOptions
        {
            Widths = options.SubnetWidths,
            Activation = options.Activation,
            Dropout = options.Dropout,
            KernelInitializer = options.KernelInitializer,
            OutputDim = perFeature * transformedDim,
            ZeroOutput = true,
        }, rng));
    }

    /// <summary>The subnet.</summary>
    public Mlp Subnet => _subnet;

    private Tensor Parameters(Tensor x1, Tensor? conditions)
    {
        Tensor input;
        if (_conditioningDim > 0 && _conditionDim > 0) input = Tensor.Concat(x1, conditions!, 1);
        else if (_conditioningDim > 0) input = x1;
        else if (_conditionDim > 0) input = conditions!;
        else input = Tensor.Ones(new Shape(x1.Shape[0], 1));
        return _subnet.Forward(input);
    }

    /// <summary>Transforms x2 given x1: (y2, log-det (B)).</summary>
    public (Tensor Y2, Tensor LogDet) Forward(Tensor x1, Tensor x2, Tensor? conditions)
    {
        var p = Parameters(x1, conditions);
        if (_options.Transform == CouplingTransformKind.Spline) return SplineTransform.Forward(x2, p, _options.Spline);
        return AffineTransform.Forward(x2, p, _options.AffineScale);
    }

    /// <summary>Inverts the transform of x2 given x1: (x2, log-det (B)).</summary>
    public (Tensor X2, Tensor LogDet) Inverse(Tensor x1, Tensor y2, Tensor? conditions)
    {
        var p = Parameters(x1, conditions);
        if (_options.Transform == CouplingTransformKind.Spline) return SplineTransform.Inverse(y2, p, _options.Spline);
        return AffineTransform.Inverse(y2, p, _options.AffineScale);
    }

    /// <inheritdoc />
    protected override string Describe() =>
        $"SingleCoupling({_options.Transform}, {_conditioningDim} + {_conditionDim} conditions -> {_transformedDim})";
}
