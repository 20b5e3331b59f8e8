using Amortized.Kernels.Cpu;
using ILGPU.Algorithms;

namespace Amortized.Kernels.Gpu;

// ---------------------------------------------------------------------------------------------------------------
// Scalar definitions. Each op is one struct; kernels are generic over it and call default(TOp).Method(...), which
// ILGPU compiles as a direct (inlined) call. Transcendentals go through ILGPU.Algorithms.XMath: ILGPU maps it to
// device intrinsics on CUDA, while System.MathF is only partially supported inside kernels.
// The unary ops mirror Amortized.Kernels.Cpu's UnaryKernels (TensorPrimitives there, which a kernel cannot call);
// the activations call Amortized.Kernels.Cpu's ActivationFormulas, the one source both sides share.
// ---------------------------------------------------------------------------------------------------------------

/// <summary>A unary op: forward value and the backward increment dy * op'(x).</summary>
internal interface IGpuUnaryOp
{
    float Apply(float x, float p0, float p1);

    /// <summary>The amount added to dx: dy * dy/dx, written as UnaryKernels.UnaryBackward evaluates it.</summary>
    float Backward(float x, float y, float dy, float p0, float p1);
}

internal readonly struct NegOp : IGpuUnaryOp
{
    public float Apply(float x, float p0, float p1) => -x;
    public float Backward(float x, float y, float dy, float p0, float p1) => -dy;
}

internal readonly struct ExpOp : IGpuUnaryOp
{
    public float Apply(float x, float p0, float p1) => XMath.Exp(x);
    public float Backward(float x, float y, float dy, float p0, float p1) => dy * y;
}

internal readonly struct LogOp : IGpuUnaryOp
{
    public float Apply(float x, float p0, float p1) => XMath.Log(x);
    public float Backward(float x, float y, float dy, float p0, float p1) => dy / x;
}

internal readonly struct SqrtOp : IGpuUnaryOp
{
    public float Apply(float x, float p0, float p1) => XMath.Sqrt(x);
    public float Backward(float x, float y, float dy, float p0, float p1) => dy * 0.5f / y;
}

internal readonly struct AbsOp : IGpuUnaryOp
{
    public float Apply(float x, float p0, float p1) => XMath.Abs(x);
    public float Backward(float x, float y, float dy, float p0, float p1) => dy * GpuMath.Sign(x);
}

internal readonly struct AddScalarOp : IGpuUnaryOp
{
    public float Apply(float x, float p0, float p1) => x + p0;
    public float Backward(float x, float y, float dy, float p0, float p1) => dy;
}

internal readonly struct MulScalarOp : IGpuUnaryOp
{
    public float Apply(float x, float p0, float p1) => x * p0;
    public float Backward(float x, float y, float dy, float p0, float p1) => dy * p0;
}

internal readonly struct PowScalarOp : IGpuUnaryOp
{
    public float Apply(float x, float p0, float p1) => p0 == 2f ? x * x : GpuMath.Pow(x, p0);
    public float Backward(float x, float y, float dy, float p0, float p1) => dy * p0 * GpuMath.Pow(x, p0 - 1f);
}

internal readonly struct ClampOp : IGpuUnaryOp
{
    public float Apply(float x, float p0, float p1) => GpuMath.Min(GpuMath.Max(x, p0), p1);
    public float Backward(float x, float y, float dy, float p0, float p1) => x >= p0 && x <= p1 ? dy : 0f;
}

internal readonly struct AsinhOp : IGpuUnaryOp
{
    public float Apply(float x, float p0, float p1) => GpuMath.Asinh(x);
    public float Backward(float x, float y, float dy, float p0, float p1) => dy / XMath.Sqrt(x * x + 1f);
}

/// <summary>A binary op y = f(a, b).</summary>
internal interface IGpuBinaryOp
{
    float Apply(float a, float b);
}

internal readonly struct AddOp : IGpuBinaryOp
{
    public float Apply(float a, float b) => a + b;
}

internal readonly struct SubOp : IGpuBinaryOp
{
    public float Apply(float a, float b) => a - b;
}

internal readonly struct MulOp : IGpuBinaryOp
{
    public float Apply(float a, float b) => a * b;
}

internal readonly struct DivOp : IGpuBinaryOp
{
    public float Apply(float a, float b) => a / b;
}

internal readonly struct PowOp : IGpuBinaryOp
{
    public float Apply(float a, float b) => GpuMath.Pow(a, b);
}

/// <summary>
/// An activation f and its derivative. The formulas are Amortized.Kernels.Cpu's <see cref="ActivationFormulas"/>,
/// shared with the CPU; only exp, log1p, max and min are the device's own (ActivationFormulas says why).
/// </summary>
internal interface IGpuActivation
{
    float Apply(float x);
    float Derivative(float x);
}

internal readonly struct IdentityAct : IGpuActivation
{
    public float Apply(float x) => x;
    public float Derivative(float x) => 1f;
}

internal readonly struct ReluAct : IGpuActivation
{
    public float Apply(float x) => GpuMath.Max(x, 0f);
    public float Derivative(float x) => ActivationFormulas.ReluDerivative(x);
}

internal readonly struct HardSiluAct : IGpuActivation
{
    public float Apply(float x) => x * GpuMath.Min(GpuMath.Max(x + 3f, 0f), 6f) / 6f;
    public float Derivative(float x) => ActivationFormulas.HardSiluDerivative(x);
}

internal readonly struct SigmoidAct : IGpuActivation
{
    public float Apply(float x) => ActivationFormulas.Sigmoid(x, XMath.Exp(-XMath.Abs(x)));
    public float Derivative(float x) => ActivationFormulas.SigmoidDerivative(XMath.Exp(-XMath.Abs(x)));
}

internal readonly struct SiluAct : IGpuActivation
{
    public float Apply(float x) => x * default(SigmoidAct).Apply(x);
    public float Derivative(float x) => ActivationFormulas.SiluDerivative(x, XMath.Exp(-XMath.Abs(x)));
}

internal readonly struct SoftplusAct : IGpuActivation
{
    public float Apply(float x) => GpuMath.Max(x, 0f) + GpuMath.Log1P(XMath.Exp(-XMath.Abs(x)));
    public float Derivative(float x) => default(SigmoidAct).Apply(x);
}

internal readonly struct TanhAct : IGpuActivation
{
    public float Apply(float x)
    {
        float a = XMath.Abs(x);
        float v = ActivationFormulas.TanhOfAbs(a, XMath.Exp(-2f * a));
        return x < 0f ? -v : v;
    }

    public float Derivative(float x) => ActivationFormulas.TanhDerivative(XMath.Exp(-2f * XMath.Abs(x)));
}

internal readonly struct GeluAct : IGpuActivation
{
    public float Apply(float x)
    {
        float z = ActivationFormulas.GeluArgument(x);
        return ActivationFormulas.Gelu(x, z, XMath.Exp(-XMath.Abs(z)));
    }

    public float Derivative(float x)
    {
        const float clamp = ActivationFormulas.GeluDerivativeClamp;
        x = GpuMath.Min(GpuMath.Max(x, -clamp), clamp);
        float z = ActivationFormulas.GeluDerivativeArgument(x);
        return ActivationFormulas.GeluDerivative(x, z, XMath.Exp(-XMath.Abs(z)));
    }
}

internal readonly struct MishAct : IGpuActivation
{
    public float Apply(float x) => ActivationFormulas.Mish(x, XMath.Exp(-XMath.Abs(x)));
    public float Derivative(float x) => ActivationFormulas.MishDerivative(x, XMath.Exp(-XMath.Abs(x)));
}

/// <summary>Scalar helpers usable inside kernels (no MathF, no exceptions, no static state).</summary>
internal static class GpuMath
{
    private const float Ln2 = 0.693147180559945f;

    /// <summary>Max that propagates NaN from either argument, like MathF.Max.</summary>
    public static float Max(float a, float b) => XMath.IsNaN(a) ? a : XMath.IsNaN(b) ? b : a > b ? a : b;

    /// <summary>Min that propagates NaN from either argument, like MathF.Min.</summary>
    public static float Min(float a, float b) => XMath.IsNaN(a) ? a : XMath.IsNaN(b) ? b : a < b ? a : b;

    /// <summary>MathF.Sign as a float: -1, 0 or 1 (0 for NaN, where MathF.Sign would throw).</summary>
    public static float Sign(float x) => x > 0f ? 1f : x < 0f ? -1f : 0f;

    /// <summary>
    /// log(1 + u) for u &gt;= 0, accurate to a few ulp relative for tiny u. The CPU's Goldberg trick
    /// (log(w) * u / (w - 1)) needs a log that is accurate relative to log(w) near w = 1, which CUDA's fast log
    /// (lg2.approx, absolute error ~2^-22) is not: it gave 0.7% error at u = 1e-5. So for u &lt;= 1 this uses
    /// log1p(u) = 2 atanh(s), s = u / (2 + u) &lt;= 1/3, as an odd series in s (terms to s^15: truncation below
    /// (1/9)^8 / 17 relative, ~1e-9), which needs no library call; above 1, log(1 + u) &gt;= ln 2 and the device log
    /// is accurate relative to it.
    /// </summary>
    public static float Log1P(float u)
    {
        if (u > 1f || XMath.IsNaN(u))
            return XMath.Log(1f + u);
        float s = u / (2f + u), s2 = s * s;
        float p = 2f / 15f;
        p = p * s2 + 2f / 13f;
        p = p * s2 + 2f / 11f;
        p = p * s2 + 2f / 9f;
        p = p * s2 + 2f / 7f;
        p = p * s2 + 2f / 5f;
        p = p * s2 + 2f / 3f;
        p = p * s2 + 2f;
        return s * p;
    }

    /// <summary>
    /// x^p with MathF.Pow's sign rules: a negative base gives a real result only for integral p (odd p: negative).
    /// The magnitude comes from XMath.Pow on |x| so the device's pow is used whatever it does with negative bases.
    /// </summary>
    public static float Pow(float x, float p)
    {
        if (x >= 0f || XMath.IsNaN(x))
            return XMath.Pow(x, p);
        float whole = XMath.Floor(p);
        if (whole != p)
            return float.NaN;                     // negative base, fractional exponent (or p = +-inf handled below)
        float magnitude = XMath.Pow(-x, p);
        // p is integral here; it is odd exactly when p/2 is not integral (|p| < 2^24, else every float is even).
        float half = p * 0.5f;
        return XMath.Floor(half) != half ? -magnitude : magnitude;
    }

    /// <summary>
    /// asinh(x) = sign(x) log(|x| + sqrt(x^2 + 1)), written as log1p(a + a^2 / (1 + sqrt(1 + a^2))) so that small
    /// |x| loses no digits, and as log(a) + ln 2 for huge a where a^2 would overflow. XMath has no Asinh.
    /// </summary>
    public static float Asinh(float x)
    {
        float a = XMath.Abs(x);
        float v;
        if (a > 1e18f)
            v = XMath.Log(a) + Ln2;
        else
        {
            float a2 = a * a;
            v = Log1P(a + a2 / (1f + XMath.Sqrt(1f + a2)));
        }
        return x < 0f ? -v : v;
    }

    /// <summary>f(x) for an activation chosen at run time (the GEMM epilogue, where one kernel serves all).</summary>
    public static float Activate(int kind, float x)
    {
        switch ((Activation)kind)
        {
            case Activation.Relu: return default(ReluAct).Apply(x);
            case Activation.Silu: return default(SiluAct).Apply(x);
            case Activation.HardSilu: return default(HardSiluAct).Apply(x);
            case Activation.Softplus: return default(SoftplusAct).Apply(x);
            case Activation.Tanh: return default(TanhAct).Apply(x);
            case Activation.Sigmoid: return default(SigmoidAct).Apply(x);
            case Activation.Gelu: return default(GeluAct).Apply(x);
            case Activation.Mish: return default(MishAct).Apply(x);
            default: return x;
        }
    }
}
