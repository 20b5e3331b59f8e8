using Amortized.Tensors;

namespace Amortized.Networks.Flows;

/// <summary>
/// Splits x (B, D) into x1 = x[:, :D/2] and x2 = x[:, D/2:]; transforms x2 given x1, then (when dual) x1
/// given the new x2, so both halves change in one block (BayesFlow's DualCoupling).
/// </summary>
public sealed class DualCoupling : Module, IInvertibleLayer
{
    private readonly SingleCoupling _first;
    private readonly SingleCoupling? _second;
    private readonly int _features, _conditionDim, _half;

    /// <summary>Creates the block for D features and C condition features.</summary>
    public DualCoupling(ParameterStore store, string name, int features, int conditionDim,
        CouplingFlowOptions options, Rng rng) : base(name)
    {
        ArgumentNullException.ThrowIfNull(options);
        _features = features;
        _conditionDim = conditionDim;
        _half = features / 2;
        _first = AddChild(
            new SingleCoupling(store, $"{name}.coupling0", _half, features - _half, conditionDim, options, rng));
        if (options.DualCoupling && _half > 0)
            _second = AddChild(
                new SingleCoupling(store, $"{name}.coupling1", features - _half, _half, conditionDim, options, rng));
    }

    /// <inheritdoc />
    public (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor? conditions)
    {
        FlowChecks.Input(this, x, _features);
        FlowChecks.Conditions(this, x, conditions, _conditionDim);
        var x1 = x.Slice(1, 0, _half);
        var (y2, logDet) = _first.Forward(x1, x.Slice(1, _half, _features - _half), conditions);
        var y1 = x1;
        if (_second is not null)
        {
            (y1, var ld) = _second.Forward(y2, x1, conditions);
            logDet += ld;
        }
        return (_half == 0 ? y2 : Tensor.Concat(y1, y2, 1), logDet);
    }

    /// <inheritdoc />
    public (Tensor X, Tensor LogDet) Inverse(Tensor y, Tensor? conditions)
    {
        FlowChecks.Input(this, y, _features);
        FlowChecks.Conditions(this, y, conditions, _conditionDim);
        var y1 = y.Slice(1, 0, _half);
        var y2 = y.Slice(1, _half, _features - _half);
        var x1 = y1;
        Tensor? logDet = null;
        if (_second is not null) (x1, logDet) = _second.Inverse(y2, y1, conditions);
        var (x2, ld) = _first.Inverse(x1, y2, conditions);
        logDet = logDet is null ? ld : logDet + ld;
        return (_half == 0 ? x2 : Tensor.Concat(x1, x2, 1), logDet);
    }

    /// <inheritdoc />
    protected override string Describe() => $"DualCoupling({_features}, conditions {_conditionDim})";
}
