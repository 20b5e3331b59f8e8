using Amortized.Kernels.Cpu;
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

    /// <summary>
    /// The raw scale parameter a whose scale s(a) is <paramref name="scale"/> (the inverse of the scale map), for
    /// initialising a layer at a given scale. Both maps are bounded in float32, so targets beyond them are clamped:
    /// SoftplusAsinh's scale grows like log|a| and stops near 60 (|a| up to sinh(60), about 6e25); TanhExp's stays
    /// inside (e^-2, e^2).
    /// </summary>
    public static double RawScaleFor(double scale, AffineScale kind)
    {
        if (!(scale > 0) || !double.IsFinite(scale))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale must be positive and finite.");
        return kind switch
        {
            // s = softplus(asinh(a) + ln(e - 1))  =>  a = sinh(log(expm1(s)) - ln(e - 1)); log(expm1(s)) ~ s
            // for large s.
            AffineScale.SoftplusAsinh =>
                Math.Sinh(Math.Min(60, (scale > 30 ? scale : Math.Log(Math.Exp(scale) - 1)) - Math.Log(Math.E - 1))),
            // s = exp(2 tanh(a / 2))  =>  a = 2 atanh(log(s) / 2).
            AffineScale.TanhExp => 2 * Math.Atanh(Math.Clamp(Math.Log(scale) / 2, -0.999, 0.999)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    private static AffineScaleKind Map(AffineScale kind) => kind switch
    {
        AffineScale.TanhExp => AffineScaleKind.TanhExp,
        AffineScale.SoftplusAsinh => AffineScaleKind.SoftplusAsinh,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
