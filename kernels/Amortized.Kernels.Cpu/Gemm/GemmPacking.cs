using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// Copies blocks of op(A) and op(B) into the micro-panel layout the microkernels read (see
/// <see cref="IGemmMicroKernel"/>): a panel of R "lanes" (rows of op(A), or columns of op(B)) and kc steps is
/// stored (kc, R) row-major, dst[p * R + l]. Lanes past the matrix edge are zero, so the microkernel always
/// computes full tiles; transposition is absorbed here, so the microkernel never sees it.
/// </summary>
/// <remarks>
/// Two source shapes occur. "Direct": lane l of step p is src[p * ld + l] (untransposed B, transposed A): each
/// step is one contiguous copy. "Transposed": lane l of step p is src[l * ld + p] (untransposed A, transposed
/// B): each lane is a source row, so 8x8 blocks are transposed in registers with AVX shuffles.
/// Both fast paths store whole 8-float vectors even when R is not a multiple of 8: the surplus lanes land at
/// the start of the next step (or past the panel end) and are overwritten by stores made later, so buffers
/// need <see cref="Slack"/> floats of headroom. Packing runs at well under a cycle per element, against K
/// (or M, N) FMAs per element in the microkernel.
/// </remarks>
internal static unsafe class GemmPacking
{
    /// <summary>Floats a packing buffer needs past its last panel for the vector overhang.</summary>
    public const int Slack = 16;

    /// <summary>
    /// Padding after each panel (64 bytes). Unpadded panels of 6 x 256 or 16 x 256 floats are multiples of
    /// 4 KB apart, so the panels' write streams all land in the same L1 set and evict each other; the padding
    /// also absorbs the vector overhang of a panel's last step.
    /// </summary>
    public const int PanelPad = 16;

    /// <summary>Distance in floats between consecutive packed panels of r lanes and kc steps.</summary>
    public static int PanelStride(int r, int kc) => r * kc + PanelPad;

    /// <summary>Longest K block any kernel uses (the zero row below must cover it).</summary>
    private const int MaxKc = 512;

    /// <summary>A row of zeros that stands in for source rows past the edge in the transposing path.</summary>
    private static readonly float[] s_zeroRow = GC.AllocateArray<float>(MaxKc + 8, pinned: true);

    /// <summary>
    /// Packs rows [i0, i0 + mc) and steps [p0, p0 + kc) of alpha * op(A) into ceil(mc / mr) panels of (kc, mr).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(in GemmArgs g, int i0, int mc, int p0, int kc, int mr, float* dst)
    {
        int stride = PanelStride(mr, kc);
        if (g.TransA == Transpose.No)
        {
            for (int ir = 0, q = 0; ir < mc; ir += mr, q++)
                PackTransposed(g.A + (i0 + ir) * g.Lda + p0, g.Lda, Math.Min(mr, mc - ir), kc, mr, dst + q * stride);
        }
        else
        {
            PackDirect(g.A + p0 * g.Lda + i0, g.Lda, mc, g.M - i0, kc, mr, stride, dst);
        }
        // alpha is folded into A once, on the packed copy (contiguous, so one vector pass; the padding is
        // scaled too, harmlessly).
        if (g.Alpha != 1f)
        {
            var packed = new Span<float>(dst, (mc + mr - 1) / mr * stride);
            TensorPrimitives.Multiply(packed, g.Alpha, packed);
        }
    }

    /// <summary>
    /// Packs steps [p0, p0 + kc) and columns [j0, j0 + nc) of op(B) into ceil(nc / nr) panels of (kc, nr).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB(in GemmArgs g, int p0, int kc, int j0, int nc, int nr, float* dst)
    {
        int stride = PanelStride(nr, kc);
        if (g.TransB == Transpose.No)
        {
            PackDirect(g.B + p0 * g.Ldb + j0, g.Ldb, nc, g.N - j0, kc, nr, stride, dst);
            return;
        }
        for (int jr = 0, q = 0; jr < nc; jr += nr, q++)
            PackTransposed(g.B + (j0 + jr) * g.Ldb + p0, g.Ldb, Math.Min(nr, nc - jr), kc, nr, dst + q * stride);
    }

    /// <summary>
    /// Direct packing of a whole block: lanes [0, total) of steps [0, kc) into ceil(total / r) panels of (kc, r)
    /// at <paramref name="panelStride"/> floats apart: dst[q * panelStride + p * r + l] = src[p * ld + q * r + l]
    /// (0 past total). <paramref name="readable"/> floats can be read from each source step (at least total).
    /// </summary>
    /// <remarks>
    /// Steps are the outer loop, so each source row is read once, front to back, whatever ld is (panel by panel
    /// would revisit every row once per panel, and with power-of-two strides those rows collide in L1). Full
    /// panels copy whole 8-float vectors; with r not a multiple of 8 the overhang lands in the same panel's next
    /// step, written on the next pass, or in the panel padding.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackDirect(
        float* src, nint ld, int total, int readable, int kc, int r, int panelStride, float* dst)
    {
        Debug.Assert(panelStride >= r * kc + ((r + 7) & ~7) - r);
        int panels = (total + r - 1) / r, fullPanels = total / r;
        int width = (r + 7) & ~7;
        // Full panels that may be copied whole vectors at a time (reads stay within `readable`).
        int vectorPanels = Vector256.IsHardwareAccelerated
            ? Math.Min(fullPanels, readable >= width ? (readable - width) / r + 1 : 0)
            : 0;
        for (int p = 0; p < kc; p++, src += ld, dst += r)
        {
            int q = 0;
            float* s = src, d = dst;
            for (; q < vectorPanels; q++, s += r, d += panelStride)
            {
                for (int l = 0; l < width; l += 8)
                    Vector256.Load(s + l).Store(d + l);
            }
            for (; q < panels; q++, s += r, d += panelStride)
            {
                int lanes = Math.Min(r, total - q * r), l = 0;
                for (; l < lanes; l++)
                    d[l] = s[l];
                for (; l < r; l++)
                    d[l] = 0f;
            }
        }
    }

    /// <summary>dst[p * r + l] = src[l * ld + p] for l &lt; lanes, 0 for lanes &lt;= l &lt; r.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackTransposed(float* src, nint ld, int lanes, int kc, int r, float* dst)
    {
        int p = 0;
        if (Avx.IsSupported && kc >= 8)
        {
            Debug.Assert(kc <= MaxKc);
            float* zero = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(s_zeroRow));
            // Groups of 8 lanes. The last group may be partial (r not a multiple of 8); it goes first, so the
            // full groups' stores overwrite its overhang into the next step. Within a group steps ascend, so
            // each overhang is overwritten by the next step's store.
            int groups = (r + 7) / 8;
            TransposeGroup(src, ld, (groups - 1) * 8, lanes, kc, r, zero, dst);
            for (int g = 0; g < groups - 1; g++)
                TransposeGroup(src, ld, g * 8, lanes, kc, r, zero, dst);
            p = kc & ~7;
        }

        // Remaining steps (all of them without AVX): exact scalar stores, which also overwrite any overhang.
        for (int l = 0; l < r; l++)
        {
            float* d = dst + l;
            if (l < lanes)
            {
                float* s = src + l * ld;
                for (int q = p; q < kc; q++)
                    d[q * r] = s[q];
            }
            else
            {
                for (int q = p; q < kc; q++)
                    d[q * r] = 0f;
            }
        }
    }

    /// <summary>
    /// Lanes [l0, l0 + 8) of all whole 8-step chunks: input vector i is source lane l0 + i (the zero row past
    /// <paramref name="lanes"/>), output vector q of a chunk at p is step p + q, stored at dst[(p + q) * r + l0].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeGroup(float* src, nint ld, int l0, int lanes, int kc, int r, float* zero, float* dst)
    {
        // One pointer per lane, so the loop body has no branches; missing lanes read zeros.
        float* s0 = Lane(src, ld, l0, lanes, zero), s1 = Lane(src, ld, l0 + 1, lanes, zero);
        float* s2 = Lane(src, ld, l0 + 2, lanes, zero), s3 = Lane(src, ld, l0 + 3, lanes, zero);
        float* s4 = Lane(src, ld, l0 + 4, lanes, zero), s5 = Lane(src, ld, l0 + 5, lanes, zero);
        float* s6 = Lane(src, ld, l0 + 6, lanes, zero), s7 = Lane(src, ld, l0 + 7, lanes, zero);
        nint rs = r;
        float* d = dst + l0;
        for (int p = 0; p + 8 <= kc; p += 8, d += 8 * rs)
        {
            Vector256<float> r0 = Vector256.Load(s0 + p), r1 = Vector256.Load(s1 + p);
            Vector256<float> r2 = Vector256.Load(s2 + p), r3 = Vector256.Load(s3 + p);
            Vector256<float> r4 = Vector256.Load(s4 + p), r5 = Vector256.Load(s5 + p);
            Vector256<float> r6 = Vector256.Load(s6 + p), r7 = Vector256.Load(s7 + p);

            // Interleave lane pairs within each 128-bit half: t0 = (r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] ...).
            Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
            Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
            Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);

            // Lanes 0-3 of one step per half: u0 = (step 0 of lanes 0-3 | step 4 of lanes 0-3).
            Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
            Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
            Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
            Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);

            // Join halves: step q takes lanes 0-3 from u(q mod 4) and lanes 4-7 from u(q mod 4 + 4).
            Avx.Permute2x128(u0, u4, 0x20).Store(d);
            Avx.Permute2x128(u1, u5, 0x20).Store(d + rs);
            Avx.Permute2x128(u2, u6, 0x20).Store(d + 2 * rs);
            Avx.Permute2x128(u3, u7, 0x20).Store(d + 3 * rs);
            Avx.Permute2x128(u0, u4, 0x31).Store(d + 4 * rs);
            Avx.Permute2x128(u1, u5, 0x31).Store(d + 5 * rs);
            Avx.Permute2x128(u2, u6, 0x31).Store(d + 6 * rs);
            Avx.Permute2x128(u3, u7, 0x31).Store(d + 7 * rs);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float* Lane(float* src, nint ld, int lane, int lanes, float* zero) =>
        lane < lanes ? src + lane * ld : zero;
}
