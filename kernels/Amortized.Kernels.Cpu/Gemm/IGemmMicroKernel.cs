namespace Amortized.Kernels.Cpu;

/// <summary>
/// A register-blocked GEMM microkernel and the cache blocking that feeds it. The driver
/// (<see cref="GemmDriver"/>) is generic over this interface, so each path gets its own specialised code.
/// </summary>
/// <remarks>
/// Packed layouts (see <see cref="GemmPacking"/>): an A micro-panel is (kc, MR) row-major, i.e. a[p * MR + r] =
/// alpha * op(A)[i0 + r, p0 + p]; a B micro-panel is (kc, NR) row-major, b[p * NR + j] = op(B)[p0 + p, j0 + j].
/// Every C element is one accumulation chain over p in increasing order, split only at fixed KC boundaries, so
/// its value does not depend on which tile, task or thread computed it.
/// </remarks>
internal unsafe interface IGemmMicroKernel
{
    /// <summary>Rows of the C tile (rows of an A micro-panel).</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the C tile (columns of a B micro-panel).</summary>
    static abstract int NR { get; }

    /// <summary>Depth of one K block: an A and a B micro-panel together should fit in L1.</summary>
    static abstract int KC { get; }

    /// <summary>Rows of one packed A block (a multiple of MR); the block (MC, KC) should stay in L2.</summary>
    static abstract int MC { get; }

    /// <summary>Columns of one packed B block (a multiple of NR).</summary>
    static abstract int NC { get; }

    /// <summary>The vector width this kernel uses; also picks the epilogue's width.</summary>
    static abstract SimdPath Path { get; }

    /// <summary>
    /// C tile (MR, NR) with row stride ldc: c = acc, or c += acc when <paramref name="accumulate"/>, where
    /// acc[r, j] = sum over p &lt; kc of a[p * MR + r] * b[p * NR + j].
    /// </summary>
    static abstract void Run(int kc, float* a, float* b, float* c, nint ldc, bool accumulate);

    /// <summary>Whether <see cref="RunDirectA"/> is implemented.</summary>
    static abstract bool DirectA { get; }

    /// <summary>
    /// As <see cref="Run"/> with A read where it lies, unpacked: element (r, p) of the tile's A at
    /// a[r * rowStep + p * kStep] (untransposed A: rowStep lda, kStep 1; A stored transposed: rowStep 1, kStep
    /// lda); rows at or past <paramref name="rows"/> repeat the last row (their results land in rows of the tile
    /// that the caller does not keep). B's step p is the NR values at b + p * bStep (NR for a packed panel, ldb for
    /// an untransposed B read in place). Same products in the same order as from packed panels.
    /// </summary>
    static abstract void RunDirectA(int kc, float* a, nint rowStep, nint kStep, int rows, float* b, nint bStep,
        float* c, nint ldc, bool accumulate);
}
