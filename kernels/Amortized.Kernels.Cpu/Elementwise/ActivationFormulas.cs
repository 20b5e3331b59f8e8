using System.Runtime.CompilerServices;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// The scalar activation formulas, written once for the CPU and the GPU: the CPU operator structs' scalar overloads
/// (Elementwise/*Activations.cs) and the ILGPU activation structs (Amortized.Kernels.Gpu's GpuOps.cs) both call
/// these. Each takes the exponential it needs as an argument (t = exp(-|x|), e = exp(-2|x|), ...), so it is plain
/// float arithmetic and comparisons, which ILGPU compiles: the CPU passes MathF.Exp, the device XMath.Exp.
/// </summary>
/// <remarks>
/// What stays written twice, and why: (1) exp and log1p themselves: System.MathF is only partly supported inside
/// ILGPU kernels, and the CPU's log1p (Goldberg's trick, <see cref="ActivationMath.Log1P(float)"/>) needs a log
/// accurate relative to log(w) near w = 1, which CUDA's fast log is not, so the device uses a series instead
/// (GpuMath.Log1P); (2) max, min and copy-sign (ReLU, HardSiLU, softplus, the sign of tanh, GELU's derivative
/// clamp): the CPU uses MathF's, whose NaN and signed-zero rules the device's min/max do not share, so the device
/// uses NaN-propagating compares (GpuMath.Max/Min); (3) the SIMD overloads, which ILGPU cannot compile and which
/// use their own exp (<see cref="ActivationMath.ExpNonPositive(System.Runtime.Intrinsics.Vector256{float})"/>).
/// Amortized.Kernels.Gpu.Tests' ActivationFormulaTests ties the two sides together on many inputs.
/// Every exponential argument here is non-positive, so t and e lie in [0, 1]: nothing overflows for large |x|.
/// </remarks>
public static class ActivationFormulas
{
    /// <summary>Below this |x| tanh uses its Taylor polynomial; 1 - exp(-2|x|) would cancel.</summary>
    public const float TanhPolynomialLimit = 0.4f;

    // Taylor coefficients of tanh(a) = a + a^3 * (C3 + a^2 (C5 + a^2 (C7 + a^2 (C9 + a^2 C11)))).
    // Truncation error at a = 0.4 is about 0.0036 * a^13 / a = 6e-8 relative.
    internal const float C3 = -1f / 3f, C5 = 2f / 15f, C7 = -17f / 315f, C9 = 62f / 2835f, C11 = -1382f / 155925f;

    /// <summary>GELU's z = x (A + B x^2) = 2 sqrt(2/pi) (x + 0.044715 x^3): A = 2 sqrt(2/pi).</summary>
    public const float GeluA = 1.5957691216057308f;

    /// <summary>B = 2 sqrt(2/pi) 0.044715.</summary>
    public const float GeluB = 0.0713548162726009f;

    /// <summary>
    /// Beyond |x| = 20, GELU'(x) is 1 or 0 in float; clamping keeps x z' finite so 0 * inf cannot appear.
    /// </summary>
    public const float GeluDerivativeClamp = 20f;

    /// <summary>sigmoid(x) given t = exp(-|x|) and r = 1 / (1 + t): r for x &gt;= 0, t r below.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x, float t, float r) => x >= 0f ? r : t * r;

    /// <summary>sigmoid(x) given t = exp(-|x|).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x, float t)
    {
        float r = 1f / (1f + t);
        return Sigmoid(x, t, r);
    }

    /// <summary>sigmoid'(x) = sigmoid(x) (1 - sigmoid(x)) = t r^2 given t = exp(-|x|), for either sign of x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SigmoidDerivative(float t)
    {
        float r = 1f / (1f + t);
        return t * r * r;
    }

    /// <summary>SiLU'(x) = s + x s (1 - s) with s = sigmoid(x), given t = exp(-|x|).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SiluDerivative(float x, float t)
    {
        float r = 1f / (1f + t);
        return Sigmoid(x, t, r) + x * (t * r * r);
    }

    /// <summary>tanh(a) for a = |x| &gt;= 0, given e = exp(-2a): a Taylor polynomial below the limit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float TanhOfAbs(float a, float e)
    {
        if (a < TanhPolynomialLimit)
        {
            float a2 = a * a;
            float p = (((C11 * a2 + C9) * a2 + C7) * a2 + C5) * a2 + C3;
            return a + a * a2 * p;
        }
        return (1f - e) / (1f + e);
    }

    /// <summary>tanh'(x) = 1 - tanh^2(x) = 4e / (1 + e)^2 given e = exp(-2|x|) (no cancelling at |tanh| ~ 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float TanhDerivative(float e)
    {
        float d = 1f + e;
        return 4f * e / (d * d);
    }

    /// <summary>GELU's z = x (A + B x x), whose sigmoid is 0.5 (1 + tanh(u)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float GeluArgument(float x) => x * (GeluA + GeluB * x * x);

    /// <summary>GELU(x) = x sigmoid(z) given z = <see cref="GeluArgument"/>(x) and t = exp(-|z|).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Gelu(float x, float z, float t)
    {
        float r = 1f / (1f + t);
        return x * Sigmoid(z, t, r);
    }

    /// <summary>z = x (A + B x^2) with x^2 rounded first, as <see cref="GeluDerivative"/> uses it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float GeluDerivativeArgument(float x)
    {
        float x2 = x * x;
        return x * (GeluA + GeluB * x2);
    }

    /// <summary>
    /// GELU'(x) = s + x s (1 - s) z' with s = sigmoid(z), z' = A + 3 B x^2, for x already clamped to
    /// [-<see cref="GeluDerivativeClamp"/>, <see cref="GeluDerivativeClamp"/>], z =
    /// <see cref="GeluDerivativeArgument"/>(x) and t = exp(-|z|).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float GeluDerivative(float x, float z, float t)
    {
        float x2 = x * x;
        float r = 1f / (1f + t);
        return Sigmoid(z, t, r) + x * (t * r * r) * (GeluA + 3f * GeluB * x2);
    }

    /// <summary>Mish(x) = x tanh(softplus(x)) = x num / den, given t = exp(-|x|) (see MishActivation).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Mish(float x, float t)
    {
        float num = x >= 0f ? 1f + 2f * t : t * (t + 2f);
        float den = x >= 0f ? num + 2f * t * t : num + 2f;
        return x * (num / den);
    }

    /// <summary>Mish'(x) = num / den + 4 x (1 + t) q / den^2, q = t^2 (x &gt;= 0) or t, given t = exp(-|x|).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MishDerivative(float x, float t)
    {
        bool positive = x >= 0f;
        float num = positive ? 1f + 2f * t : t * (t + 2f);
        float den = positive ? num + 2f * t * t : num + 2f;
        float q = positive ? t * t : t;
        return num / den + 4f * x * (1f + t) * q / (den * den);
    }

    /// <summary>ReLU'(x): 1 above 0, else 0 (0 at 0 and for NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ReluDerivative(float x) => x > 0f ? 1f : 0f;

    /// <summary>HardSiLU'(x): 0 below -3, 1 above 3, (2x + 3) / 6 between.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HardSiluDerivative(float x) => x < -3f ? 0f : x > 3f ? 1f : (2f * x + 3f) / 6f;
}
