using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Amortized.Kernels.Cpu;

// Piecewise-linear and piecewise-polynomial activations: no transcendental functions, exact up to one rounding.
// Max/Min are the IEEE-consistent Vector APIs (same NaN and signed-zero rules as MathF.Max/Min), so the vector
// lanes and the scalar overload return identical bits.

/// <summary>f(x) = x; f'(x) = 1.</summary>
internal readonly struct IdentityActivation : IActivationOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float x) => 1f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> x) => Vector256<float>.One;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Derivative(Vector512<float> x) => Vector512<float>.One;
}

/// <summary>f(x) = max(x, 0); f'(x) = 1 for x &gt; 0, else 0 (the subgradient at 0 is 0).</summary>
internal readonly struct ReluActivation : IActivationOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x) => MathF.Max(x, 0f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float x) => ActivationFormulas.ReluDerivative(x);

    // The comparison mask is all-ones where x > 0; AND with 1.0f keeps 1.0f there and 0 elsewhere.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> x) =>
        Vector256.GreaterThan(x, Vector256<float>.Zero) & Vector256<float>.One;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Derivative(Vector512<float> x) =>
        Vector512.GreaterThan(x, Vector512<float>.Zero) & Vector512<float>.One;
}

/// <summary>
/// Hard SiLU (hard swish): f(x) = x * clamp(x + 3, 0, 6) / 6; f'(x) = 0 below -3, 1 above 3, (2x + 3) / 6 between.
/// </summary>
internal readonly struct HardSiluActivation : IActivationOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x) => x * MathF.Min(MathF.Max(x + 3f, 0f), 6f) / 6f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x) =>
        x * Vector256.Min(Vector256.Max(x + Vector256.Create(3f), Vector256<float>.Zero), Vector256.Create(6f))
        / Vector256.Create(6f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x) =>
        x * Vector512.Min(Vector512.Max(x + Vector512.Create(3f), Vector512<float>.Zero), Vector512.Create(6f))
        / Vector512.Create(6f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Derivative(float x) => ActivationFormulas.HardSiluDerivative(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Derivative(Vector256<float> x)
    {
        Vector256<float> middle = (Vector256.Create(2f) * x + Vector256.Create(3f)) / Vector256.Create(6f);
        Vector256<float> upper = Vector256.ConditionalSelect(
            Vector256.GreaterThan(x, Vector256.Create(3f)), Vector256<float>.One, middle);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(-3f)), Vector256<float>.Zero, upper);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Derivative(Vector512<float> x)
    {
        Vector512<float> middle = (Vector512.Create(2f) * x + Vector512.Create(3f)) / Vector512.Create(6f);
        Vector512<float> upper = Vector512.ConditionalSelect(
            Vector512.GreaterThan(x, Vector512.Create(3f)), Vector512<float>.One, middle);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(-3f)), Vector512<float>.Zero, upper);
    }
}
