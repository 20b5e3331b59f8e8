using Amortized.Kernels.Cpu;
using ILGPU.Algorithms;

namespace Amortized.Kernels.Gpu;

// ---------------------------------------------------------------------------------------------------------------
// Scalar definitions. Each op is one struct; kernels are generic over it and call default(TOp).Method(...), which
// ILGPU compiles as a direct (inlined) call. Transcendentals go through ILGPU.Algorithms.XMath: ILGPU maps it to
// device intrinsics on CUDA, while System.MathF is only partially supported inside kernels.
// The formulas mirror Amortized.Kernels.Cpu (whose operator structs are internal and use MathF/SIMD, so they cannot
// be called from a kernel) and its UnaryKernels.
// ---------------------------------------------------------------------------------------------------------------

/// <summary>A unary op: forward value and the backward increment dy * op'(x).</summary>
internal interface IUnaryKind
{
    float Apply(float x, float p0, float p1);

    /// <summary>The amount added to dx: dy * dy/dx, written exactly as UnaryKernels.UnaryBackward evaluates it.</summary>
    float Backward(float x, float y, float dy, float p0, float p1);
}

internal readonly struct NegOp : IUnaryKind
{
    public float Apply(float x, float p0, float p1) => -x;
    public float Backward(float x, float y, float dy, float p0, float p1) => -dy;
}

internal readonly struct ExpOp : IUnaryKind
{
    public float Apply(float x, float p0, float p1) => XMath.Exp(x);
    public float Backward(float x, float y, float dy, float p0, float p1) => dy * y;
}

internal readonly struct LogOp : IUnaryKind
{
    public float Apply(float x, float p0, float p1) => XMath.Log(x);
    public float Backward(float x, float y, float dy, float p0, float p1) => dy / x;
}

internal readonly struct SqrtOp : IUnaryKind
{
    public float Apply(float x, float p0, float p1) => XMath.Sqrt(x);
    public float Backward(float x, float y, float dy, float p0, float p1) => dy * 0.5f / y;
}

internal readonly struct AbsOp : IUnaryKind
{
    public float Apply(float x, float p0, float p1) => XMath.Abs(x);
    public float Backward(float x, float y, float dy, float p0, float p1) => dy * GpuMath.Sign(x);
}

internal readonly struct AddScalarOp : IUnaryKind
{
    public float Apply(float x, float p0, float p1) => x + p0;
    public float Backward(float x, float y, float dy, float p0, float p1) => dy;
}

internal readonly struct MulScalarOp : IUnaryKind
{
    public float Apply(float x, float p0, float p1) => x * p0;
    public float Backward(float x, float y, float dy, float p0, float p1) => dy * p0;
}

internal readonly struct PowScalarOp : IUnaryKind
{
    public float Apply(float x, float p0, float p1) => p0 == 2f ? x * x : GpuMath.Pow(x, p0);
    public float Backward(float x, float y, float dy, float p0, float p1) => dy * p0 * GpuMath.Pow(x, p0 - 1f);
}

internal readonly struct ClampOp : IUnaryKind
{
    public float Apply(float x, float p0, float p1) => GpuMath.Min(GpuMath.Max(x, p0), p1);
    public float Backward(float x, float y, float dy, float p0, float p1) => x >= p0 && x <= p1 ? dy : 0f;
}

internal readonly struct AsinhOp : IUnaryKind
{
    public float Apply(float x, float p0, float p1) => GpuMath.Asinh(x);
    public float Backward(float x, float y, float dy, float p0, float p1) => dy / XMath.Sqrt(x * x + 1f);
}

/// <summary>A binary op y = f(a, b).</summary>
internal interface IBinaryKind
{
    float Apply(float a, float b);
}

internal readonly struct AddOp : IBinaryKind
{
    public float Apply(float a, float b) => a + b;
}

internal readonly struct SubOp : IBinaryKind
{
    public float Apply(float a, float b) => a - b;
}

internal readonly struct MulOp : IBinaryKind
{
    public float Apply(float a, float b) => a * b;
}

internal readonly struct DivOp : IBinaryKind
{
    public float Apply(float a, float b) => a / b;
}

internal readonly struct PowOp : IBinaryKind
{
    public float Apply(float a, float b) => GpuMath.Pow(a, b);
}

/// <summary>An activation f and its derivative (formulas of Amortized.Kernels.Cpu.Elementwise).</summary>
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
    public float Derivative(float x) => x > 0f ? 1f : 0f;
}

internal readonly struct HardSiluAct : IGpuActivation
{
    public float Apply(float x) => x * GpuMath.Min(GpuMath.Max(x + 3f, 0f), 6f) / 6f;
    public float Derivative(float x) => x < -3f ? 0f : x > 3f ? 1f : (2f * x + 3f) / 6f;
}

internal readonly struct SigmoidAct : IGpuActivation
{
    public float Apply(float x)
    {
        float t = XMath.Exp(-XMath.Abs(x)), r = 1f / (1f + t);
        return GpuMath.Sigmoid(x, t, r);
    }

    public float Derivative(float x)
    {
        float t = XMath.Exp(-XMath.Abs(x)), r = 1f / (1f + t);
        return t * r * r;
    }
}

internal readonly struct SiluAct : IGpuActivation
{
    public float Apply(float x) => x * default(SigmoidAct).Apply(x);

    public float Derivative(float x)
    {
        float t = XMath.Exp(-XMath.Abs(x)), r = 1f / (1f + t);
        return GpuMath.Sigmoid(x, t, r) + x * (t * r * r);
    }
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
        float v = GpuMath.TanhOfAbs(a, XMath.Exp(-2f * a));
        return x < 0f ? -v : v;
    }

    public float Derivative(float x)
    {
        float e = XMath.Exp(-2f * XMath.Abs(x)), d = 1f + e;
        return 4f * e / (d * d);
    }
}

internal readonly struct GeluAct : IGpuActivation
{
    private const float A = 1.5957691216057308f;  // 2 sqrt(2/pi)
    private const float B = 0.0713548162726009f;  // 2 sqrt(2/pi) 0.044715
    private const float DerivativeClamp = 20f;

    public float Apply(float x)
    {
        float z = x * (A + B * x * x);
        float t = XMath.Exp(-XMath.Abs(z)), r = 1f / (1f + t);
        return x * GpuMath.Sigmoid(z, t, r);
    }

    public float Derivative(float x)
    {
        x = GpuMath.Min(GpuMath.Max(x, -DerivativeClamp), DerivativeClamp);
        float x2 = x * x, z = x * (A + B * x2);
        float t = XMath.Exp(-XMath.Abs(z)), r = 1f / (1f + t);
        return GpuMath.Sigmoid(z, t, r) + x * (t * r * r) * (A + 3f * B * x2);
    }
}

internal readonly struct MishAct : IGpuActivation
{
    public float Apply(float x)
    {
        float t = XMath.Exp(-XMath.Abs(x));
        float num = x >= 0f ? 1f + 2f * t : t * (t + 2f);
        float den = x >= 0f ? num + 2f * t * t : num + 2f;
        return x * (num / den);
    }

    public float Derivative(float x)
    {
        float t = XMath.Exp(-XMath.Abs(x));
        bool positive = x >= 0f;
        float num = positive ? 1f + 2f * t : t * (t + 2f);
        float den = positive ? num + 2f * t * t : num + 2f;
        float q = positive ? t * t : t;
        return num / den + 4f * x * (1f + t) * q / (den * den);
    }
}

/// <summary>Scalar helpers usable inside kernels (no MathF, no exceptions, no static state).</summary>
internal static class GpuMath
{
    private const float TanhPolynomialLimit = 0.4f;
    private const float C3 = -1f / 3f, C5 = 2f / 15f, C7 = -17f / 315f, C9 = 62f / 2835f, C11 = -1382f / 155925f;
    private const float Ln2 = 0.693147180559945f;

    /// <summary>Max that propagates NaN from either argument, like MathF.Max.</summary>
    public static float Max(float a, float b) => XMath.IsNaN(a) ? a : XMath.IsNaN(b) ? b : a > b ? a : b;

    /// <summary>Min that propagates NaN from either argument, like MathF.Min.</summary>
    public static float Min(float a, float b) => XMath.IsNaN(a) ? a : XMath.IsNaN(b) ? b : a < b ? a : b;

    /// <summary>MathF.Sign as a float: -1, 0 or 1 (0 for NaN, where MathF.Sign would throw).</summary>
    public static float Sign(float x) => x > 0f ? 1f : x < 0f ? -1f : 0f;

    public static float Sigmoid(float x, float t, float r) => x >= 0f ? r : t * r;

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
