using System.Runtime.Intrinsics;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// Which vector width a kernel runs with. Public entry points use <see cref="SimdPaths.Best"/>; tests force
/// each path through internal overloads (a <see cref="Vector512{T}"/> path still runs, slowly, in software
/// when the hardware lacks AVX-512).
/// </summary>
internal enum SimdPath
{
    /// <summary>Plain scalar loops.</summary>
    Scalar = 0,
    /// <summary><see cref="Vector256{T}"/> (AVX2 + FMA on x64).</summary>
    Vector256 = 1,
    /// <summary><see cref="Vector512{T}"/> (AVX-512F on x64).</summary>
    Vector512 = 2,
}

/// <summary>Selection of the default <see cref="SimdPath"/> for this process.</summary>
internal static class SimdPaths
{
    /// <summary>The widest hardware-accelerated path; a JIT-time constant.</summary>
    public static SimdPath Best =>
        Vector512.IsHardwareAccelerated ? SimdPath.Vector512
        : Vector256.IsHardwareAccelerated ? SimdPath.Vector256
        : SimdPath.Scalar;
}
