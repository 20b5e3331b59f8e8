using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// AVX-512 microkernel: a 12x32 C tile in 24 <see cref="Vector512{T}"/> accumulators (c[r][v] holds C row r,
/// columns 16v..16v+15), plus 2 registers for the B row and one broadcast of A: 27 of the 32 zmm registers.
/// </summary>
/// <remarks>
/// Per p: 2 vector loads of B, 12 broadcasts of A (folded into the FMA as embedded broadcasts where the JIT can),
/// 24 independent FMAs, so the two FMA pipes never wait on a dependency (latency 4 x 2 pipes = 8 chains needed).
/// 12 rows rather than 14 keep the register allocator clear of spills; KC = 256 keeps the B micro-panel
/// (32 KB) plus the A micro-panel (12 KB) close to a 48 KB L1.
/// </remarks>
internal readonly unsafe struct Vector512MicroKernel : IGemmMicroKernel
{
    public static int MR => 12;
    public static int NR => 32;
    public static int KC => 256;
    public static int MC => 144;
    public static int NC => 1024;
    public static SimdPath Path => SimdPath.Vector512;

    public static void Run(int kc, float* a, float* b, float* c, nint ldc, bool accumulate) =>
        Tile<UnitSteps>(kc, a, 12, b, 32, c, ldc, accumulate);

    /// <summary>
    /// The tile with A's 12 values of step p at a + p aStep and B's 32 at b + p bStep: packed panels (12, 32, as
    /// constants in the <see cref="UnitSteps"/> instance), or A stored transposed and B untransposed read in place
    /// (row strides).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TSteps>(int kc, float* a, nint aStep, float* b, nint bStep, float* c, nint ldc,
        bool accumulate)
        where TSteps : struct, ISteps
    {
        if (TSteps.Unit)
        {
            aStep = 12;
            bStep = 32;
        }
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default;
        Vector512<float> c100 = default, c101 = default;
        Vector512<float> c110 = default, c111 = default;

        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b + 0), b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            Vector512<float> a8 = Vector512.Create(a[8]);
            c80 = Vector512.FusedMultiplyAdd(a8, b0, c80);
            c81 = Vector512.FusedMultiplyAdd(a8, b1, c81);
            Vector512<float> a9 = Vector512.Create(a[9]);
            c90 = Vector512.FusedMultiplyAdd(a9, b0, c90);
            c91 = Vector512.FusedMultiplyAdd(a9, b1, c91);
            Vector512<float> a10 = Vector512.Create(a[10]);
            c100 = Vector512.FusedMultiplyAdd(a10, b0, c100);
            c101 = Vector512.FusedMultiplyAdd(a10, b1, c101);
            Vector512<float> a11 = Vector512.Create(a[11]);
            c110 = Vector512.FusedMultiplyAdd(a11, b0, c110);
            c111 = Vector512.FusedMultiplyAdd(a11, b1, c111);
            a += aStep;
            b += bStep;
        }

        Store(c, c00, c01, accumulate);
        Store(c + 1 * ldc, c10, c11, accumulate);
        Store(c + 2 * ldc, c20, c21, accumulate);
        Store(c + 3 * ldc, c30, c31, accumulate);
        Store(c + 4 * ldc, c40, c41, accumulate);
        Store(c + 5 * ldc, c50, c51, accumulate);
        Store(c + 6 * ldc, c60, c61, accumulate);
        Store(c + 7 * ldc, c70, c71, accumulate);
        Store(c + 8 * ldc, c80, c81, accumulate);
        Store(c + 9 * ldc, c90, c91, accumulate);
        Store(c + 10 * ldc, c100, c101, accumulate);
        Store(c + 11 * ldc, c110, c111, accumulate);
    }

    public static bool DirectA => true;

    /// <summary>
    /// <see cref="Run"/> reading A's 12 rows in place (alpha 1), and B in place when <paramref name="bStep"/> is a
    /// row stride: the packed path would first copy the blocks into panels, about a third of the time of a
    /// 512 x 128 x 128 product's multiply-adds, and as much again for a weight gradient X^T dZ whose depth is the
    /// batch.
    /// </summary>
    public static void RunDirectA(int kc, float* a, nint rowStep, nint kStep, int rows, float* b, nint bStep,
        float* c, nint ldc, bool accumulate)
    {
        // Each case gets its own loop: a loop for every stride at once would need 17 general registers (12 row
        // pointers, B, the step, its end and two strides) and spill one (W2's 12800 x 64 x 64 ran 3 % slower).
        if (rowStep == 1 && rows == 12)
            Tile<AnySteps>(kc, a, kStep, b, bStep, c, ldc, accumulate);
        else if (kStep == 1 && bStep == 32)
            Rows<UnitSteps>(kc, a, rowStep, 1, rows, b, 32, c, ldc, accumulate);
        else
            Rows<AnySteps>(kc, a, rowStep, kStep, rows, b, bStep, c, ldc, accumulate);
    }

    /// <summary>The tile from 12 row pointers into A (the last repeated past <paramref name="rows"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<TSteps>(int kc, float* a, nint rowStep, nint kStep, int rows, float* b, nint bStep,
        float* c, nint ldc, bool accumulate)
        where TSteps : struct, ISteps
    {
        if (TSteps.Unit)
        {
            kStep = 1;
            bStep = 32;
        }
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default;
        Vector512<float> c100 = default, c101 = default;
        Vector512<float> c110 = default, c111 = default;
        float* r0 = a;
        float* r1 = a + Math.Min(1, rows - 1) * rowStep;
        float* r2 = a + Math.Min(2, rows - 1) * rowStep;
        float* r3 = a + Math.Min(3, rows - 1) * rowStep;
        float* r4 = a + Math.Min(4, rows - 1) * rowStep;
        float* r5 = a + Math.Min(5, rows - 1) * rowStep;
        float* r6 = a + Math.Min(6, rows - 1) * rowStep;
        float* r7 = a + Math.Min(7, rows - 1) * rowStep;
        float* r8 = a + Math.Min(8, rows - 1) * rowStep;
        float* r9 = a + Math.Min(9, rows - 1) * rowStep;
        float* r10 = a + Math.Min(10, rows - 1) * rowStep;
        float* r11 = a + Math.Min(11, rows - 1) * rowStep;
        nint end = kc * kStep;
        for (nint p = 0; p != end; p += kStep, b += bStep)
        {
            Vector512<float> b0 = Vector512.Load(b + 0), b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(r0[p]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            Vector512<float> a1 = Vector512.Create(r1[p]);
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            Vector512<float> a2 = Vector512.Create(r2[p]);
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            Vector512<float> a3 = Vector512.Create(r3[p]);
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            Vector512<float> a4 = Vector512.Create(r4[p]);
            c40 = Vector512.FusedMultiplyAdd(a4, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            Vector512<float> a5 = Vector512.Create(r5[p]);
            c50 = Vector512.FusedMultiplyAdd(a5, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            Vector512<float> a6 = Vector512.Create(r6[p]);
            c60 = Vector512.FusedMultiplyAdd(a6, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            Vector512<float> a7 = Vector512.Create(r7[p]);
            c70 = Vector512.FusedMultiplyAdd(a7, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            Vector512<float> a8 = Vector512.Create(r8[p]);
            c80 = Vector512.FusedMultiplyAdd(a8, b0, c80);
            c81 = Vector512.FusedMultiplyAdd(a8, b1, c81);
            Vector512<float> a9 = Vector512.Create(r9[p]);
            c90 = Vector512.FusedMultiplyAdd(a9, b0, c90);
            c91 = Vector512.FusedMultiplyAdd(a9, b1, c91);
            Vector512<float> a10 = Vector512.Create(r10[p]);
            c100 = Vector512.FusedMultiplyAdd(a10, b0, c100);
            c101 = Vector512.FusedMultiplyAdd(a10, b1, c101);
            Vector512<float> a11 = Vector512.Create(r11[p]);
            c110 = Vector512.FusedMultiplyAdd(a11, b0, c110);
            c111 = Vector512.FusedMultiplyAdd(a11, b1, c111);
        }

        Store(c, c00, c01, accumulate);
        Store(c + 1 * ldc, c10, c11, accumulate);
        Store(c + 2 * ldc, c20, c21, accumulate);
        Store(c + 3 * ldc, c30, c31, accumulate);
        Store(c + 4 * ldc, c40, c41, accumulate);
        Store(c + 5 * ldc, c50, c51, accumulate);
        Store(c + 6 * ldc, c60, c61, accumulate);
        Store(c + 7 * ldc, c70, c71, accumulate);
        Store(c + 8 * ldc, c80, c81, accumulate);
        Store(c + 9 * ldc, c90, c91, accumulate);
        Store(c + 10 * ldc, c100, c101, accumulate);
        Store(c + 11 * ldc, c110, c111, accumulate);
    }

    /// <summary>Whether a loop's steps are the packed ones (constants the JIT folds into each instance).</summary>
    private interface ISteps
    {
        static abstract bool Unit { get; }
    }

    /// <summary>Packed panels, or A's steps contiguous in place: constant strides.</summary>
    private readonly struct UnitSteps : ISteps
    {
        public static bool Unit => true;
    }

    /// <summary>Strides passed in.</summary>
    private readonly struct AnySteps : ISteps
    {
        public static bool Unit => false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> v0, Vector512<float> v1, bool accumulate)
    {
        if (accumulate)
        {
            v0 += Vector512.Load(c + 0);
            v1 += Vector512.Load(c + 16);
        }
        v0.Store(c + 0);
        v1.Store(c + 16);
    }
}
