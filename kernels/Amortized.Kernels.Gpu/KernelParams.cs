using Amortized.Kernels.Cpu;

namespace Amortized.Kernels.Gpu;

/// <summary>
/// Six dimensions (or strides), left-padded to rank 6 on the host (dims with 1, strides with 0) so that kernels
/// unroll a fixed six-axis index decomposition with no loop or array. Passed to kernels by value.
/// </summary>
internal struct Dims6
{
    public int D0, D1, D2, D3, D4, D5;

    /// <summary>
    /// Copies <paramref name="values"/> into the last axes, padding the leading ones with <paramref name="pad"/>.
    /// </summary>
    public static Dims6 FromSpan(ReadOnlySpan<int> values, int pad)
    {
        if (values.Length is < 1 or > 6)
            throw new ArgumentException($"Rank must be 1..6, got {values.Length}.", nameof(values));
        Span<int> d = stackalloc int[6];
        d.Fill(pad);
        values.CopyTo(d[(6 - values.Length)..]);
        return new Dims6 { D0 = d[0], D1 = d[1], D2 = d[2], D3 = d[3], D4 = d[4], D5 = d[5] };
    }

    public readonly int Get(int i) => i switch { 0 => D0, 1 => D1, 2 => D2, 3 => D3, 4 => D4, _ => D5 };

    public void Set(int i, int value)
    {
        switch (i)
        {
            case 0: D0 = value; break;
            case 1: D1 = value; break;
            case 2: D2 = value; break;
            case 3: D3 = value; break;
            case 4: D4 = value; break;
            default: D5 = value; break;
        }
    }

    public readonly long Product() => (long)D0 * D1 * D2 * D3 * D4 * D5;

    /// <summary>
    /// Offset of element <paramref name="linear"/> (row-major over <paramref name="dims"/>) in a tensor with
    /// <paramref name="strides"/>. Device-side; D0 absorbs whatever is left so it is never divided by.
    /// </summary>
    public static int Offset(int linear, Dims6 dims, Dims6 strides)
    {
        int q = linear / dims.D5;
        int off = (linear - q * dims.D5) * strides.D5;
        linear = q;
        q = linear / dims.D4;
        off += (linear - q * dims.D4) * strides.D4;
        linear = q;
        q = linear / dims.D3;
        off += (linear - q * dims.D3) * strides.D3;
        linear = q;
        q = linear / dims.D2;
        off += (linear - q * dims.D2) * strides.D2;
        linear = q;
        q = linear / dims.D1;
        off += (linear - q * dims.D1) * strides.D1;
        return off + q * strides.D0;
    }
}

/// <summary>
/// Broadcasting map: y (dims Y) and the element strides of a and b seen broadcast to Y (0 on size-1 axes).
/// </summary>
internal struct BroadcastParams
{
    public Dims6 Y, AStrides, BStrides;
    public int N;
}

/// <summary>
/// SumToShape: dst element q sits at src offset Offset(q, Dst, KeepStrides); the summed axes are Red.
/// </summary>
internal struct SumToShapeParams
{
    public Dims6 Dst, KeepStrides, Red, RedStrides;
    public int Outputs, Count;
    public float Scale;
}

internal struct PermuteParams
{
    public Dims6 Y, Steps;
    public int N, Accumulate;
}

/// <summary>(outer, length, inner) view of a reduction; Op is a <see cref="ReduceKind"/>.</summary>
internal struct ReduceParams
{
    public int Outer, Length, Inner, Op, Accumulate;
    public float Scale;
}

internal struct SliceParams
{
    public int Outer, SrcAxis, DstAxis, Inner, SrcStart, DstStart, Length, Accumulate;
}

internal struct GatherParams
{
    public int Outer, AxisLen, Inner, Count;
}

internal struct LayerNormParams
{
    public int Rows, Cols, HasGamma, HasBeta, HasDx, HasDGamma, HasDBeta;
    public float Epsilon;
}

internal struct AdamParams
{
    public int N;
    public float GradScale, B1, B2, StepSize, InvSqrtBc2, Eps, Decay;
}

/// <summary>Everything scalar about one GEMM call (see <see cref="GpuKernels.Gemm"/>).</summary>
internal struct GemmParams
{
    public int M, N, K, Lda, Ldb, Ldc, TransA, TransB, HasBias, HasPre, Activation, BlocksN;
    public float Alpha, Beta;
    /// <summary>Split-K: K range of one slice (multiple of the tile depth) and the number of slices.</summary>
    public int KChunk, Splits;
}
