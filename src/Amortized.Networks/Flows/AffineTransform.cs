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
/// the coupling that predicts them (zuko). Shapes: x, a, t (B, K); log-det (B) = sum_k log s_k.
/// </summary>
public static class AffineTransform
{
    private static readonly float s_logEMinus1 = MathF.Log(MathF.E - 1f);

    /// <summary>Number of raw parameters per transformed feature.</summary>
    public const int ParametersPerFeature = 2;

    /// <summary>log s(a), differentiable.</summary>
    public static Tensor LogScale(Tensor a, AffineScale kind)
    {
        if (kind == AffineScale.TanhExp) return (a * 0.5f).Tanh() * 2f;
        return (a.Asinh() + s_logEMinus1).Softplus().Log();
    }

    /// <summary>y = x * s + t and sum log s.</summary>
    public static (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor a, Tensor t, AffineScale kind)
    {
        var logS = LogScale(a, kind);
        return (x * logS.Exp() + t, logS.Sum(1));
    }

    /// <summary>x = (y - t) / s and -sum log s.</summary>
    public static (Tensor X, Tensor LogDet) Inverse(Tensor y, Tensor a, Tensor t, AffineScale kind)
    {
        var logS = LogScale(a, kind);
        return ((y - t) * (-logS).Exp(), -logS.Sum(1));
    }
}
