using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// An activation f as an operator struct: <see cref="IUnaryOperator.Invoke(float)"/> is f(x) and
/// <c>Derivative</c> is f'(x), each at scalar, <see cref="Vector256{T}"/> and <see cref="Vector512{T}"/> width.
/// The GEMM epilogue and <see cref="Activations"/> share these structs, so the fused and unfused paths agree.
/// </summary>
internal interface IActivationOperator : IUnaryOperator
{
    static abstract float Derivative(float x);
    static abstract Vector256<float> Derivative(Vector256<float> x);
    static abstract Vector512<float> Derivative(Vector512<float> x);
}

/// <summary>Backward of an activation: Invoke(x, dy) = dy * f'(x), with x the pre-activation input.</summary>
internal readonly struct ActivationBackward<TAct> : IBinaryOperator
    where TAct : struct, IActivationOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x, float dy) => dy * TAct.Derivative(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) => dy * TAct.Derivative(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) => dy * TAct.Derivative(x);
}
