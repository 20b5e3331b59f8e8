using ILGPU;

namespace Amortized.Kernels.Gpu;

/// <summary>
/// Device code for C = act(alpha op(A) op(B) + beta C + bias), row-major. Two tilings:
/// <list type="bullet">
/// <item>Blocked: a 64x64 block of C per 256-thread group, K in steps of 16 through shared memory, each thread
/// accumulating a 4x4 micro-tile in registers (rows ty + 16r, columns tx + 16c, so shared reads of B are
/// consecutive across a warp and those of A are broadcasts). Needs 256 threads per group.</item>
/// <item>Small: a 4x4 block per 16-thread group (one output per thread), for devices with small groups such as
/// ILGPU's default CPU device.</item>
/// </list>
/// Transposes are handled in the tile loads: the load order follows the operand's contiguous axis so that
/// neighbouring threads read neighbouring addresses. Out-of-range elements load as 0, so odd sizes need no special
/// case. The blocked kernel can also split K into fixed slices (written to a scratch buffer, then summed in slice
/// order by <see cref="SplitKReduce"/>): deterministic, for the weight-gradient shape (small M, N; large K).
/// </summary>
internal static class GemmKernels
{
    public const int BM = 64, BN = 64, BK = 16, Threads = 256;
    private const int AStride = BM + 1, BStride = BN + 1;   // +1 padding: conflict-free transposed tile stores
    private const int AElements = BK * AStride, BElements = BK * BStride;

    public const int SmallTile = 4, SmallThreads = SmallTile * SmallTile;

    /// <summary>
    /// The epilogue for one element: v = alpha acc (+ beta C, read only if beta != 0) (+ bias); pre = v; C = act(v).
    /// </summary>
    private static void Store(
        ArrayView<float> c, ArrayView<float> bias, ArrayView<float> pre, GemmParams p, int row, int col, float acc)
    {
        int idx = row * p.Ldc + col;
        float v = p.Alpha * acc;
        if (p.Beta != 0f)
            v += p.Beta * c[idx];
        if (p.HasBias != 0)
            v += bias[col];
        if (p.HasPre != 0)
            pre[idx] = v;
        c[idx] = GpuMath.Activate(p.Activation, v);
    }

    private static void Output(
        ArrayView<float> c, ArrayView<float> bias, ArrayView<float> pre, ArrayView<float> scratch,
        GemmParams p, int slice, int row, int col, float acc)
    {
        if (row >= p.M || col >= p.N)
            return;
        if (p.Splits > 1)
            scratch[(slice * p.M + row) * p.N + col] = acc;
        else
            Store(c, bias, pre, p, row, col, acc);
    }

    public static void Blocked(
        ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, ArrayView<float> pre,
        ArrayView<float> scratch, GemmParams p)
    {
        var aTile = SharedMemory.Allocate1D<float>(AElements);   // aTile[kk * AStride + i] = op(A)(row0 + i, k0 + kk)
        var bTile = SharedMemory.Allocate1D<float>(BElements);   // bTile[kk * BStride + j] = op(B)(k0 + kk, col0 + j)
        int tid = Group.IdxX;
        int tx = tid & 15, ty = tid >> 4;
        int blocksM = (p.M + BM - 1) / BM;
        int blocksPerSlice = blocksM * p.BlocksN;
        int slice = Grid.IdxX / blocksPerSlice;
        int block = Grid.IdxX - slice * blocksPerSlice;
        int bm = block / p.BlocksN, bn = block - bm * p.BlocksN;
        int row0 = bm * BM, col0 = bn * BN;
        int kBegin = slice * p.KChunk;
        int kEnd = kBegin + p.KChunk < p.K ? kBegin + p.KChunk : p.K;

        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f;
        float c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
        float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f;
        float c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;

        for (int k0 = kBegin; k0 < kEnd; k0 += BK)
        {
            for (int l = 0; l < BM * BK / Threads; l++)
            {
                int e = tid + l * Threads;
                int i, kk;
                if (p.TransA == 0)
                {
                    kk = e & (BK - 1);   // A stored (M, K): consecutive threads walk along k
                    i = e >> 4;
                }
                else
                {
                    i = e & (BM - 1);    // A stored (K, M): consecutive threads walk along m
                    kk = e >> 6;
                }
                int gi = row0 + i, gk = k0 + kk;
                float v = 0f;
                if (gi < p.M && gk < kEnd)
                    v = p.TransA == 0 ? a[gi * p.Lda + gk] : a[gk * p.Lda + gi];
                aTile[kk * AStride + i] = v;
            }
            for (int l = 0; l < BN * BK / Threads; l++)
            {
                int e = tid + l * Threads;
                int j, kk;
                if (p.TransB == 0)
                {
                    j = e & (BN - 1);    // B stored (K, N): along n
                    kk = e >> 6;
                }
                else
                {
                    kk = e & (BK - 1);   // B stored (N, K): along k
                    j = e >> 4;
                }
                int gj = col0 + j, gk = k0 + kk;
                float v = 0f;
                if (gj < p.N && gk < kEnd)
                    v = p.TransB == 0 ? b[gk * p.Ldb + gj] : b[gj * p.Ldb + gk];
                bTile[kk * BStride + j] = v;
            }
            Group.Barrier();
            for (int kk = 0; kk < BK; kk++)
            {
                int ao = kk * AStride + ty, bo = kk * BStride + tx;
                float a0 = aTile[ao], a1 = aTile[ao + 16], a2 = aTile[ao + 32], a3 = aTile[ao + 48];
                float b0 = bTile[bo], b1 = bTile[bo + 16], b2 = bTile[bo + 32], b3 = bTile[bo + 48];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }

        int r0 = row0 + ty, q0 = col0 + tx;
        Output(c, bias, pre, scratch, p, slice, r0, q0, c00);
        Output(c, bias, pre, scratch, p, slice, r0, q0 + 16, c01);
        Output(c, bias, pre, scratch, p, slice, r0, q0 + 32, c02);
        Output(c, bias, pre, scratch, p, slice, r0, q0 + 48, c03);
        Output(c, bias, pre, scratch, p, slice, r0 + 16, q0, c10);
        Output(c, bias, pre, scratch, p, slice, r0 + 16, q0 + 16, c11);
        Output(c, bias, pre, scratch, p, slice, r0 + 16, q0 + 32, c12);
        Output(c, bias, pre, scratch, p, slice, r0 + 16, q0 + 48, c13);
        Output(c, bias, pre, scratch, p, slice, r0 + 32, q0, c20);
        Output(c, bias, pre, scratch, p, slice, r0 + 32, q0 + 16, c21);
        Output(c, bias, pre, scratch, p, slice, r0 + 32, q0 + 32, c22);
        Output(c, bias, pre, scratch, p, slice, r0 + 32, q0 + 48, c23);
        Output(c, bias, pre, scratch, p, slice, r0 + 48, q0, c30);
        Output(c, bias, pre, scratch, p, slice, r0 + 48, q0 + 16, c31);
        Output(c, bias, pre, scratch, p, slice, r0 + 48, q0 + 32, c32);
        Output(c, bias, pre, scratch, p, slice, r0 + 48, q0 + 48, c33);
    }

    /// <summary>Split-K pass 2: sums the slices of each element in slice order, then the epilogue.</summary>
    public static void SplitKReduce(
        ArrayView<float> scratch, ArrayView<float> c, ArrayView<float> bias, ArrayView<float> pre, GemmParams p)
    {
        int n = p.M * p.N;
        for (int e = Grid.GlobalIndex.X; e < n; e += Grid.DimX * Group.DimX)
        {
            float acc = 0f;
            for (int s = 0; s < p.Splits; s++)
                acc += scratch[s * n + e];
            int row = e / p.N;
            Store(c, bias, pre, p, row, e - row * p.N, acc);
        }
    }

    public static void Small(
        ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, ArrayView<float> pre,
        GemmParams p)
    {
        var aTile = SharedMemory.Allocate1D<float>(SmallThreads);   // aTile[i * 4 + kk]
        var bTile = SharedMemory.Allocate1D<float>(SmallThreads);   // bTile[kk * 4 + j]
        int tid = Group.IdxX;
        int tx = tid & (SmallTile - 1), ty = tid / SmallTile;
        int bm = Grid.IdxX / p.BlocksN, bn = Grid.IdxX - bm * p.BlocksN;
        int row = bm * SmallTile + ty, col = bn * SmallTile + tx;
        float acc = 0f;
        for (int k0 = 0; k0 < p.K; k0 += SmallTile)
        {
            // Thread (ty, tx) loads op(A)(row, k0 + tx) and op(B)(k0 + ty, col).
            int ka = k0 + tx, kb = k0 + ty;
            float av = 0f, bv = 0f;
            if (row < p.M && ka < p.K)
                av = p.TransA == 0 ? a[row * p.Lda + ka] : a[ka * p.Lda + row];
            if (col < p.N && kb < p.K)
                bv = p.TransB == 0 ? b[kb * p.Ldb + col] : b[col * p.Ldb + kb];
            aTile[ty * SmallTile + tx] = av;
            bTile[ty * SmallTile + tx] = bv;
            Group.Barrier();
            for (int kk = 0; kk < SmallTile; kk++)
                acc += aTile[ty * SmallTile + kk] * bTile[kk * SmallTile + tx];
            Group.Barrier();
        }
        if (row < p.M && col < p.N)
            Store(c, bias, pre, p, row, col, acc);
    }
}
