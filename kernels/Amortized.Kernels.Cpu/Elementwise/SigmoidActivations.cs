using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Amortized.Kernels.Cpu;

// Activations built on sigmoid. All use t = exp(-|x|) and r = 1 / (1 + t) (see ActivationMath), so nothing
// overflows for large |x|: sigmoid(+-100) = 1 / ~0, silu(-100) = -0, softplus(100) = 100.

/// <summary>f(x) = 1 / (1 + exp(-x)); f'(x) = f(x) (1 - f(x)) = t r^2.</summary>
internal readonly struct SigmoidActivation : IActivationOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x) => ActivationFormulas.Sigmoid(x, MathF.Exp(-MathF.Abs(x)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> t = ActivationMath.ExpNonPositive(-Vector256.Abs(x));
        Vector256<float> r = ActivationMath.ReciprocalOnePlus(t);
        return ActivationMath.Sigmoid(x, t, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> t = ActivationMath.ExpNonPositive(-Vector512.Abs(x));
        Vector512<float> r = ActivationMath.ReciprocalOnePlus(t);
        return ActivationMath.Sigmoid(x, t, r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float x) => ActivationFormulas.SigmoidDerivative(MathF.Exp(-MathF.Abs(x)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> x)
    {
        Vector256<float> t = ActivationMath.ExpNonPositive(-Vector256.Abs(x));
        Vector256<float> r = ActivationMath.ReciprocalOnePlus(t);
        return t * r * r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Derivative(Vector512<float> x)
    {
        Vector512<float> t = ActivationMath.ExpNonPositive(-Vector512.Abs(x));
        Vector512<float> r = ActivationMath.ReciprocalOnePlus(t);
        return t * r * r;
    }
}

/// <summary>SiLU (swish): f(x) = x sigmoid(x); f'(x) = s + x s (1 - s) = s + x t r^2.</summary>
internal readonly struct SiluActivation : IActivationOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x) => x * SigmoidActivation.Invoke(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x) => x * SigmoidActivation.Invoke(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x) => x * SigmoidActivation.Invoke(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float x) => ActivationFormulas.SiluDerivative(x, MathF.Exp(-MathF.Abs(x)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> x)
    {
        Vector256<float> t = ActivationMath.ExpNonPositive(-Vector256.Abs(x));
        Vector256<float> r = ActivationMath.ReciprocalOnePlus(t);
        return ActivationMath.Sigmoid(x, t, r) + x * (t * r * r);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Derivative(Vector512<float> x)
    {
        Vector512<float> t = ActivationMath.ExpNonPositive(-Vector512.Abs(x));
        Vector512<float> r = ActivationMath.ReciprocalOnePlus(t);
        return ActivationMath.Sigmoid(x, t, r) + x * (t * r * r);
    }
}

/// <summary>
/// f(x) = log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)) (no overflow for large x, no lost digits for very
/// negative x); f'(x) = sigmoid(x).
/// </summary>
internal readonly struct SoftplusActivation : IActivationOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x) => MathF.Max(x, 0f) + ActivationMath.Log1P(MathF.Exp(-MathF.Abs(x)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x) =>
        Vector256.Max(x, Vector256<float>.Zero)
        + ActivationMath.Log1P(ActivationMath.ExpNonPositive(-Vector256.Abs(x)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x) =>
        Vector512.Max(x, Vector512<float>.Zero)
        + ActivationMath.Log1P(ActivationMath.ExpNonPositive(-Vector512.Abs(x)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float x) => SigmoidActivation.Invoke(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> x) => SigmoidActivation.Invoke(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Derivative(Vector512<float> x) => SigmoidActivation.Invoke(x);
}
