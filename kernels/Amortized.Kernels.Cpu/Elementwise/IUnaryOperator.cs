using System.Runtime.Intrinsics;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// An elementwise operator y = f(x) at every width the skeleton uses. All three overloads must compute the same
/// function: lane i of the vector result equals the scalar result for lane i up to rounding.
/// </summary>
internal interface IUnaryOperator
{
    static abstract float Invoke(float x);
    static abstract Vector256<float> Invoke(Vector256<float> x);
    static abstract Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>An elementwise operator z = f(x, y) at every width the skeleton uses.</summary>
internal interface IBinaryOperator
{
    static abstract float Invoke(float x, float y);
    static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);
    static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);
}
