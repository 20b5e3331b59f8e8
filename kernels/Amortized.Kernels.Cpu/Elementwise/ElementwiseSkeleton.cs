using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// The one generic SIMD loop per arity (after TensorPrimitives' InvokeSpanIntoSpan): Vector512, then
/// Vector256, then scalar. Lane i of every vector holds element (offset + i); lanes never interact.
/// </summary>
/// <remarks>
/// Remainder handling: instead of a scalar tail, the last vector is re-aligned to end exactly at the last
/// element and overlaps the previous one. That vector is computed from the inputs <em>before</em> the main loop
/// writes anything, so an in-place call (destination == x) stays correct: the overlapped elements are written
/// twice with the same value. Inputs shorter than one vector fall through to the next width, then to scalar.
/// Each width is its own method so that the JIT inlines the operator into a small loop (one method holding
/// every width blows the inlining budget, and the operator calls then pass vectors through the stack).
/// The caller guarantees equal lengths and that destination is either identical to an input or disjoint.
/// </remarks>
internal static class ElementwiseSkeleton
{
    /// <summary>destination[i] = TOp(x[i]) for i in [0, x.Length).</summary>
    public static void Map<TOp>(ReadOnlySpan<float> x, Span<float> destination, SimdPath path)
        where TOp : struct, IUnaryOperator
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float dr = ref MemoryMarshal.GetReference(destination);
        nuint n = (nuint)x.Length;
        if (path == SimdPath.Vector512)
            Map512<TOp>(ref xr, ref dr, n);
        else if (path == SimdPath.Vector256)
            Map256<TOp>(ref xr, ref dr, n);
        else
            MapScalar<TOp>(ref xr, ref dr, n);
    }

    /// <summary>destination[i] = TOp(x[i], y[i]) for i in [0, x.Length).</summary>
    public static void Map<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> destination, SimdPath path)
        where TOp : struct, IBinaryOperator
    {
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float yr = ref MemoryMarshal.GetReference(y);
        ref float dr = ref MemoryMarshal.GetReference(destination);
        nuint n = (nuint)x.Length;
        if (path == SimdPath.Vector512)
            Map512<TOp>(ref xr, ref yr, ref dr, n);
        else if (path == SimdPath.Vector256)
            Map256<TOp>(ref xr, ref yr, ref dr, n);
        else
            MapScalar<TOp>(ref xr, ref yr, ref dr, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Map512<TOp>(ref float xr, ref float dr, nuint n)
        where TOp : struct, IUnaryOperator
    {
        if (n < (nuint)Vector512<float>.Count)
        {
            Map256<TOp>(ref xr, ref dr, n);
            return;
        }
        nuint last = n - (nuint)Vector512<float>.Count;
        Vector512<float> tail = TOp.Invoke(Vector512.LoadUnsafe(ref xr, last));
        for (nuint i = 0; i < last; i += (nuint)Vector512<float>.Count)
            TOp.Invoke(Vector512.LoadUnsafe(ref xr, i)).StoreUnsafe(ref dr, i);
        tail.StoreUnsafe(ref dr, last);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Map256<TOp>(ref float xr, ref float dr, nuint n)
        where TOp : struct, IUnaryOperator
    {
        if (n < (nuint)Vector256<float>.Count)
        {
            MapScalar<TOp>(ref xr, ref dr, n);
            return;
        }
        nuint last = n - (nuint)Vector256<float>.Count;
        Vector256<float> tail = TOp.Invoke(Vector256.LoadUnsafe(ref xr, last));
        for (nuint i = 0; i < last; i += (nuint)Vector256<float>.Count)
            TOp.Invoke(Vector256.LoadUnsafe(ref xr, i)).StoreUnsafe(ref dr, i);
        tail.StoreUnsafe(ref dr, last);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MapScalar<TOp>(ref float xr, ref float dr, nuint n)
        where TOp : struct, IUnaryOperator
    {
        for (nuint i = 0; i < n; i++)
            Unsafe.Add(ref dr, i) = TOp.Invoke(Unsafe.Add(ref xr, i));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Map512<TOp>(ref float xr, ref float yr, ref float dr, nuint n)
        where TOp : struct, IBinaryOperator
    {
        if (n < (nuint)Vector512<float>.Count)
        {
            Map256<TOp>(ref xr, ref yr, ref dr, n);
            return;
        }
        nuint last = n - (nuint)Vector512<float>.Count;
        Vector512<float> tail = TOp.Invoke(Vector512.LoadUnsafe(ref xr, last), Vector512.LoadUnsafe(ref yr, last));
        for (nuint i = 0; i < last; i += (nuint)Vector512<float>.Count)
            TOp.Invoke(Vector512.LoadUnsafe(ref xr, i), Vector512.LoadUnsafe(ref yr, i)).StoreUnsafe(ref dr, i);
        tail.StoreUnsafe(ref dr, last);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Map256<TOp>(ref float xr, ref float yr, ref float dr, nuint n)
        where TOp : struct, IBinaryOperator
    {
        if (n < (nuint)Vector256<float>.Count)
        {
            MapScalar<TOp>(ref xr, ref yr, ref dr, n);
            return;
        }
        nuint last = n - (nuint)Vector256<float>.Count;
        Vector256<float> tail = TOp.Invoke(Vector256.LoadUnsafe(ref xr, last), Vector256.LoadUnsafe(ref yr, last));
        for (nuint i = 0; i < last; i += (nuint)Vector256<float>.Count)
            TOp.Invoke(Vector256.LoadUnsafe(ref xr, i), Vector256.LoadUnsafe(ref yr, i)).StoreUnsafe(ref dr, i);
        tail.StoreUnsafe(ref dr, last);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MapScalar<TOp>(ref float xr, ref float yr, ref float dr, nuint n)
        where TOp : struct, IBinaryOperator
    {
        for (nuint i = 0; i < n; i++)
            Unsafe.Add(ref dr, i) = TOp.Invoke(Unsafe.Add(ref xr, i), Unsafe.Add(ref yr, i));
    }
}
