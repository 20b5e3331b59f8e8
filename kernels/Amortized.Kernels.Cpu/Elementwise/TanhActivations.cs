using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Amortized.Kernels.Cpu;

// Activations built on tanh. Exponentials are of non-positive arguments only (see ActivationMath), so +-inf-ish
// inputs give finite limits, never NaN.

/// <summary>
/// f(x) = tanh(x) = sign(x) (1 - e) / (1 + e) with e = exp(-2|x|), or a Taylor polynomial for |x| &lt; 0.4;
/// f'(x) = 1 - tanh^2(x) = 4e / (1 + e)^2 (no cancellation as tanh approaches 1).
/// </summary>
internal readonly struct TanhActivation : IActivationOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x)
    {
        float a = MathF.Abs(x);
        return MathF.CopySign(ActivationFormulas.TanhOfAbs(a, MathF.Exp(-2f * a)), x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> a = Vector256.Abs(x);
        Vector256<float> e = ActivationMath.ExpNonPositive(Vector256.Create(-2f) * a);
        return Vector256.CopySign(ActivationMath.TanhOfAbs(a, e), x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> a = Vector512.Abs(x);
        Vector512<float> e = ActivationMath.ExpNonPositive(Vector512.Create(-2f) * a);
        return Vector512.CopySign(ActivationMath.TanhOfAbs(a, e), x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float x) => ActivationFormulas.TanhDerivative(MathF.Exp(-2f * MathF.Abs(x)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> x)
    {
        Vector256<float> e = ActivationMath.ExpNonPositive(Vector256.Create(-2f) * Vector256.Abs(x));
        Vector256<float> r = ActivationMath.ReciprocalOnePlus(e);
        return Vector256.Create(4f) * e * (r * r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Derivative(Vector512<float> x)
    {
        Vector512<float> e = ActivationMath.ExpNonPositive(Vector512.Create(-2f) * Vector512.Abs(x));
        Vector512<float> r = ActivationMath.ReciprocalOnePlus(e);
        return Vector512.Create(4f) * e * (r * r);
    }
}

/// <summary>
/// GELU, tanh approximation (PyTorch approximate='tanh'): f(x) = 0.5 x (1 + tanh(u)), u = c (x + k x^3),
/// c = sqrt(2/pi), k = 0.044715. Uses the identity 0.5 (1 + tanh(u)) = sigmoid(2u), which avoids the
/// cancellation of 1 + tanh(u) for negative x. With s = sigmoid(z), z = 2u = x (A + B x^2), A = 2c, B = 2ck:
/// f'(x) = s + x s (1 - s) z' with z' = A + 3 B x^2.
/// </summary>
internal readonly struct GeluActivation : IActivationOperator
{
    private const float A = ActivationFormulas.GeluA, B = ActivationFormulas.GeluB;
    private const float DerivativeClamp = ActivationFormulas.GeluDerivativeClamp;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x)
    {
        float z = ActivationFormulas.GeluArgument(x);
        return ActivationFormulas.Gelu(x, z, MathF.Exp(-MathF.Abs(z)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> z = x * (Vector256.Create(A) + Vector256.Create(B) * x * x);
        Vector256<float> t = ActivationMath.ExpNonPositive(-Vector256.Abs(z));
        Vector256<float> r = ActivationMath.ReciprocalOnePlus(t);
        return x * ActivationMath.Sigmoid(z, t, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> z = x * (Vector512.Create(A) + Vector512.Create(B) * x * x);
        Vector512<float> t = ActivationMath.ExpNonPositive(-Vector512.Abs(z));
        Vector512<float> r = ActivationMath.ReciprocalOnePlus(t);
        return x * ActivationMath.Sigmoid(z, t, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float x)
    {
        x = MathF.Min(MathF.Max(x, -DerivativeClamp), DerivativeClamp);
        float z = ActivationFormulas.GeluDerivativeArgument(x);
        return ActivationFormulas.GeluDerivative(x, z, MathF.Exp(-MathF.Abs(z)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(-DerivativeClamp)), Vector256.Create(DerivativeClamp));
        Vector256<float> x2 = x * x, z = x * (Vector256.Create(A) + Vector256.Create(B) * x2);
        Vector256<float> t = ActivationMath.ExpNonPositive(-Vector256.Abs(z));
        Vector256<float> r = ActivationMath.ReciprocalOnePlus(t);
        return ActivationMath.Sigmoid(z, t, r)
            + x * (t * r * r) * (Vector256.Create(A) + Vector256.Create(3f * B) * x2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Derivative(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(-DerivativeClamp)), Vector512.Create(DerivativeClamp));
        Vector512<float> x2 = x * x, z = x * (Vector512.Create(A) + Vector512.Create(B) * x2);
        Vector512<float> t = ActivationMath.ExpNonPositive(-Vector512.Abs(z));
        Vector512<float> r = ActivationMath.ReciprocalOnePlus(t);
        return ActivationMath.Sigmoid(z, t, r)
            + x * (t * r * r) * (Vector512.Create(A) + Vector512.Create(3f * B) * x2);
    }
}

/// <summary>
/// Mish: f(x) = x T with T = tanh(softplus(x)), written in t = exp(-|x|) without overflow:
/// T = (1 + 2t) / (1 + 2t + 2t^2) for x &gt;= 0 and (t^2 + 2t) / (t^2 + 2t + 2) for x &lt; 0 (call them num/den).
/// f'(x) = T + x sech^2(softplus(x)) sigmoid(x) = T + 4 x (1 + t) q / den^2 with q = t^2 (x &gt;= 0) or t (x &lt; 0).
/// </summary>
internal readonly struct MishActivation : IActivationOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x) => ActivationFormulas.Mish(x, MathF.Exp(-MathF.Abs(x)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> t = ActivationMath.ExpNonPositive(-Vector256.Abs(x)), two = Vector256.Create(2f);
        Vector256<float> positive = Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero);
        Vector256<float> num = Vector256.ConditionalSelect(positive, Vector256<float>.One + two * t, t * (t + two));
        Vector256<float> den = num + Vector256.ConditionalSelect(positive, two * t * t, two);
        return x * (num / den);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> t = ActivationMath.ExpNonPositive(-Vector512.Abs(x)), two = Vector512.Create(2f);
        Vector512<float> positive = Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero);
        Vector512<float> num = Vector512.ConditionalSelect(positive, Vector512<float>.One + two * t, t * (t + two));
        Vector512<float> den = num + Vector512.ConditionalSelect(positive, two * t * t, two);
        return x * (num / den);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float x) => ActivationFormulas.MishDerivative(x, MathF.Exp(-MathF.Abs(x)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> x)
    {
        Vector256<float> t = ActivationMath.ExpNonPositive(-Vector256.Abs(x)), two = Vector256.Create(2f);
        Vector256<float> positive = Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero);
        Vector256<float> num = Vector256.ConditionalSelect(positive, Vector256<float>.One + two * t, t * (t + two));
        Vector256<float> den = num + Vector256.ConditionalSelect(positive, two * t * t, two);
        Vector256<float> q = Vector256.ConditionalSelect(positive, t * t, t);
        return num / den + Vector256.Create(4f) * x * (Vector256<float>.One + t) * q / (den * den);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Derivative(Vector512<float> x)
    {
        Vector512<float> t = ActivationMath.ExpNonPositive(-Vector512.Abs(x)), two = Vector512.Create(2f);
        Vector512<float> positive = Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero);
        Vector512<float> num = Vector512.ConditionalSelect(positive, Vector512<float>.One + two * t, t * (t + two));
        Vector512<float> den = num + Vector512.ConditionalSelect(positive, two * t * t, two);
        Vector512<float> q = Vector512.ConditionalSelect(positive, t * t, t);
        return num / den + Vector512.Create(4f) * x * (Vector512<float>.One + t) * q / (den * den);
    }
}
