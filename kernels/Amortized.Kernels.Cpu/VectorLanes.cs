using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// One vector width for kernels written once over both widths (<see cref="Lanes512"/>, <see cref="Lanes256"/>):
/// every member inlines to one instruction or a short fixed sequence, so a kernel generic over a struct that
/// implements this compiles to the same code as one written for that width by hand.
/// </summary>
internal unsafe interface IVectorLanes<TVec>
    where TVec : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    static abstract TVec Zero { get; }

    static abstract TVec Load(float* p);

    static abstract void Store(TVec v, float* p);

    static abstract TVec Broadcast(float x);

    static abstract TVec Add(TVec a, TVec b);

    static abstract TVec Multiply(TVec a, TVec b);

    /// <summary>a * b + c, fused (one rounding).</summary>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);

    /// <summary>The activation <typeparamref name="TAct"/> at this width.</summary>
    static abstract TVec Activate<TAct>(TVec x)
        where TAct : struct, IActivationOperator;

    /// <summary>
    /// The lane sums of 16 vectors stored one after the other at <paramref name="vectors"/>:
    /// sums[i] = sum over lanes of vector i. A transposing tree (pairs of vectors halve their lanes each level),
    /// about 3 instructions per vector instead of a horizontal reduction each.
    /// </summary>
    static abstract void SumEach16(float* vectors, float* sums);
}

/// <summary><see cref="Vector512{T}"/> lanes (AVX-512F).</summary>
internal readonly unsafe struct Lanes512 : IVectorLanes<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;
    public static Vector512<float> Zero => Vector512<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(float* p) => Vector512.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> v, float* p) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Broadcast(float x) => Vector512.Create(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Activate<TAct>(Vector512<float> x)
        where TAct : struct, IActivationOperator => TAct.Invoke(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SumEach16(float* vectors, float* sums)
    {
        if (!Avx512F.IsSupported)
        {
            for (int i = 0; i < 16; i++)
                sums[i] = Vector512.Sum(Vector512.Load(vectors + 16 * i));
            return;
        }
        // Each level adds the even and odd lanes of a pair (a, b) into one vector: the first half of its lanes
        // carries a's partial sums, the second half b's. After four levels lane i holds the sum of vector i.
        Vector512<int> even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        Vector512<int> odd = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        Vector512<float> l0 = Pair(vectors, 0, even, odd), l1 = Pair(vectors, 2, even, odd);
        Vector512<float> l2 = Pair(vectors, 4, even, odd), l3 = Pair(vectors, 6, even, odd);
        Vector512<float> l4 = Pair(vectors, 8, even, odd), l5 = Pair(vectors, 10, even, odd);
        Vector512<float> l6 = Pair(vectors, 12, even, odd), l7 = Pair(vectors, 14, even, odd);
        Vector512<float> m0 = Add(l0, l1, even, odd), m1 = Add(l2, l3, even, odd);
        Vector512<float> m2 = Add(l4, l5, even, odd), m3 = Add(l6, l7, even, odd);
        Vector512<float> n0 = Add(m0, m1, even, odd), n1 = Add(m2, m3, even, odd);
        Add(n0, n1, even, odd).Store(sums);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Pair(float* vectors, int first, Vector512<int> even, Vector512<int> odd) =>
        Add(Vector512.Load(vectors + 16 * first), Vector512.Load(vectors + 16 * (first + 1)), even, odd);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Add(
        Vector512<float> a, Vector512<float> b, Vector512<int> even, Vector512<int> odd) =>
        Avx512F.PermuteVar16x32x2(a, even, b) + Avx512F.PermuteVar16x32x2(a, odd, b);
}

/// <summary><see cref="Vector256{T}"/> lanes (AVX2 + FMA).</summary>
internal readonly unsafe struct Lanes256 : IVectorLanes<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;
    public static Vector256<float> Zero => Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* p) => Vector256.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> v, float* p) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Broadcast(float x) => Vector256.Create(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Vector256.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Activate<TAct>(Vector256<float> x)
        where TAct : struct, IActivationOperator => TAct.Invoke(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SumEach16(float* vectors, float* sums)
    {
        if (!Avx.IsSupported)
        {
            for (int i = 0; i < 16; i++)
                sums[i] = Vector256.Sum(Vector256.Load(vectors + 8 * i));
            return;
        }
        SumEach8(vectors, sums);
        SumEach8(vectors + 64, sums + 8);
    }

    /// <summary>Lane sums of 8 vectors: two levels of horizontal adds, then the 128-bit halves are added.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumEach8(float* v, float* sums)
    {
        // HorizontalAdd(a, b) = (a0+a1, a2+a3, b0+b1, b2+b3 | a4+a5, a6+a7, b4+b5, b6+b7).
        Vector256<float> h01 = Avx.HorizontalAdd(Vector256.Load(v), Vector256.Load(v + 8));
        Vector256<float> h23 = Avx.HorizontalAdd(Vector256.Load(v + 16), Vector256.Load(v + 24));
        Vector256<float> h45 = Avx.HorizontalAdd(Vector256.Load(v + 32), Vector256.Load(v + 40));
        Vector256<float> h67 = Avx.HorizontalAdd(Vector256.Load(v + 48), Vector256.Load(v + 56));
        // Per 128-bit half: lane i (i < 4) holds that half's sum of vector i (resp. i + 4).
        Vector256<float> q0 = Avx.HorizontalAdd(h01, h23), q1 = Avx.HorizontalAdd(h45, h67);
        (Avx.Permute2x128(q0, q1, 0x20) + Avx.Permute2x128(q0, q1, 0x31)).Store(sums);
    }
}
