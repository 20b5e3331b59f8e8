using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Amortized.Kernels.Cpu;

namespace Amortized.Benchmarks.Kernels;

/// <summary>
/// The FP32 peak probe: 12 independent FMA chains (acc_i = acc_i * x + y), enough to keep two FMA pipes busy
/// through a 4-5 cycle latency, with no loads or stores. Flops per call = iterations * 12 * lanes * 2.
/// </summary>
internal static class FmaLoop
{
    public const int Chains = 12;

    public static double Flops(SimdPath width, long iterations) =>
        2.0 * Chains * iterations * (width == SimdPath.Vector512 ? 16 : 8);

    public static float Run(SimdPath width, long iterations) =>
        width == SimdPath.Vector512 ? Run512(iterations) : Run256(iterations);

    // x < 1 and y > 0 make every chain converge to y / (1 - x) = 1, so values stay normal (no denormal stalls).
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static float Run512(long iterations)
    {
        Vector512<float> x = Vector512.Create(0.9999999f), y = Vector512.Create(1e-7f);
        Vector512<float> a0 = x;
        Vector512<float> a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, x, y);
            a1 = Vector512.FusedMultiplyAdd(a1, x, y);
            a2 = Vector512.FusedMultiplyAdd(a2, x, y);
            a3 = Vector512.FusedMultiplyAdd(a3, x, y);
            a4 = Vector512.FusedMultiplyAdd(a4, x, y);
            a5 = Vector512.FusedMultiplyAdd(a5, x, y);
            a6 = Vector512.FusedMultiplyAdd(a6, x, y);
            a7 = Vector512.FusedMultiplyAdd(a7, x, y);
            a8 = Vector512.FusedMultiplyAdd(a8, x, y);
            a9 = Vector512.FusedMultiplyAdd(a9, x, y);
            a10 = Vector512.FusedMultiplyAdd(a10, x, y);
            a11 = Vector512.FusedMultiplyAdd(a11, x, y);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static float Run256(long iterations)
    {
        Vector256<float> x = Vector256.Create(0.9999999f), y = Vector256.Create(1e-7f);
        Vector256<float> a0 = x;
        Vector256<float> a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, x, y);
            a1 = Vector256.FusedMultiplyAdd(a1, x, y);
            a2 = Vector256.FusedMultiplyAdd(a2, x, y);
            a3 = Vector256.FusedMultiplyAdd(a3, x, y);
            a4 = Vector256.FusedMultiplyAdd(a4, x, y);
            a5 = Vector256.FusedMultiplyAdd(a5, x, y);
            a6 = Vector256.FusedMultiplyAdd(a6, x, y);
            a7 = Vector256.FusedMultiplyAdd(a7, x, y);
            a8 = Vector256.FusedMultiplyAdd(a8, x, y);
            a9 = Vector256.FusedMultiplyAdd(a9, x, y);
            a10 = Vector256.FusedMultiplyAdd(a10, x, y);
            a11 = Vector256.FusedMultiplyAdd(a11, x, y);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    /// <summary>Runs the loop on <c>threads</c> threads at once through the kernel worker pool.</summary>
    public sealed class Work : ParallelWork
    {
        public SimdPath Width;
        public long Iterations;
        private float _sink;

        public override void Run(int index) => _sink += FmaLoop.Run(Width, Iterations);
    }
}
