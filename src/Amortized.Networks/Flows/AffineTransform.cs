using Amortized.Tensors;

namespace Amortized.Networks.Flows;

/// <summary>How an affine coupling keeps its scale positive and finite.</summary>
public enum AffineScale
{
    /// <summary>BayesFlow's s = softplus(asinh(a) + ln(e - 1)): s = 1 at a = 0, grows like log|a|.</summary>
    SoftplusAsinh,
    /// <summary>s = exp(2 tanh(a / 2)) (workload W1): log-scale bounded in (-2, 2).</summary>
    TanhExp,
}

/// <summary>
/// Elementwise affine bijection y = x * s(a) + t given raw parameters a (scale) and t (shift), kept apart from
/// the coupling that predicts them (zuko). Shapes: x (B, K); parameters (B, 2K) = [a | t] per row, as the
/// coupling's subnet emits them; log-det (B) = sum_k log s_k. One fused op (<see cref="Tensor.AffineCoupling"/>)
/// each way, forward and backward.
/// </summary>
public static class AffineTransform
{
    /// <summary>Number of raw parameters per transformed feature.</summary>
    public const int ParametersPerFeature = 2;

    /// <summary>y = x * s + t and sum log s, with parameters (B, 2K) = [a | t].</summary>
    public static (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor parameters, AffineScale kind) =>
        Tensor.AffineCoupling(x, parameters, Map(kind), inverse: false);

    /// <summary>x = (y - t) / s and -sum log s, with parameters (B, 2K) = [a | t].</summary>
    public static (Tensor X, Tensor LogDet) Inverse(Tensor y, Tensor parameters, AffineScale kind) =>
        Tensor.AffineCoupling(y, parameters, Map(kind), inverse: true);

    private static AffineScaleKind Map(AffineScale kind) => kind switch
    {
        AffineScale.TanhExp => AffineScaleKind.TanhExp,
        AffineScale.SoftplusAsinh => AffineScaleKind.SoftplusAsinh,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
