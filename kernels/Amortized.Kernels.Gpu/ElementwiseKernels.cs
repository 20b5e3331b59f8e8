using ILGPU;
using ILGPU.Algorithms;

namespace Amortized.Kernels.Gpu;

/// <summary>
/// Device code for the elementwise, layout and optimizer kernels. Every kernel is launched with an explicit
/// (grid, group) configuration and walks its elements with a grid-stride loop, so the grid size is bounded by the
/// device's occupancy rather than by the element count.
/// </summary>
internal static class ElementwiseKernels
{
    private static int Start => Grid.GlobalIndex.X;

    private static int Stride => Grid.DimX * Group.DimX;

    public static void Fill(ArrayView<float> y, int n, float value)
    {
        for (int i = Start; i < n; i += Stride)
            y[i] = value;
    }

    public static void Copy(ArrayView<float> src, ArrayView<float> dst, int n)
    {
        for (int i = Start; i < n; i += Stride)
            dst[i] = src[i];
    }

    public static void AddScaled(ArrayView<float> src, ArrayView<float> dst, int n, float scale)
    {
        // scale == 1 adds src exactly (no rounding of 1 * src), as the CPU twin does.
        for (int i = Start; i < n; i += Stride)
            dst[i] = scale == 1f ? dst[i] + src[i] : src[i] * scale + dst[i];
    }

    public static void Unary<TOp>(ArrayView<float> x, ArrayView<float> y, int n, float p0, float p1)
        where TOp : struct, IGpuUnaryOp
    {
        for (int i = Start; i < n; i += Stride)
            y[i] = default(TOp).Apply(x[i], p0, p1);
    }

    public static void UnaryBackward<TOp>(
        ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int n, float p0, float p1)
        where TOp : struct, IGpuUnaryOp
    {
        for (int i = Start; i < n; i += Stride)
            dx[i] += default(TOp).Backward(x[i], y[i], dy[i], p0, p1);
    }

    public static void Activate<TAct>(ArrayView<float> x, ArrayView<float> y, int n)
        where TAct : struct, IGpuActivation
    {
        for (int i = Start; i < n; i += Stride)
            y[i] = default(TAct).Apply(x[i]);
    }

    public static void ActivateBackward<TAct>(
        ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dx, int n, int accumulate)
        where TAct : struct, IGpuActivation
    {
        for (int i = Start; i < n; i += Stride)
        {
            float g = dy[i] * default(TAct).Derivative(x[i]);
            dx[i] = accumulate != 0 ? dx[i] + g : g;
        }
    }

    /// <summary>Same-shape binary op (no broadcasting): the common case, without index arithmetic.</summary>
    public static void BinarySame<TOp>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, int n)
        where TOp : struct, IGpuBinaryOp
    {
        for (int i = Start; i < n; i += Stride)
            y[i] = default(TOp).Apply(a[i], b[i]);
    }

    public static void BinaryBroadcast<TOp>(ArrayView<float> a, ArrayView<float> b,
        ArrayView<float> y, BroadcastParams p)
        where TOp : struct, IGpuBinaryOp
    {
        for (int i = Start; i < p.N; i += Stride)
            y[i] = default(TOp).Apply(a[Dims6.Offset(i, p.Y, p.AStrides)], b[Dims6.Offset(i, p.Y, p.BStrides)]);
    }

    /// <summary>One thread per dst element, summing its src elements sequentially (deterministic).</summary>
    public static void SumToShapeThread(ArrayView<float> src, ArrayView<float> dst, SumToShapeParams p)
    {
        for (int q = Start; q < p.Outputs; q += Stride)
        {
            int baseOffset = Dims6.Offset(q, p.Dst, p.KeepStrides);
            float sum = 0f;
            for (int r = 0; r < p.Count; r++)
                sum += src[baseOffset + Dims6.Offset(r, p.Red, p.RedStrides)];
            dst[q] += p.Scale * sum;
        }
    }

    /// <summary>One group per dst element: strided partial sums, then a fixed-order tree (deterministic).</summary>
    public static void SumToShapeGroup(ArrayView<float> src, ArrayView<float> dst, SumToShapeParams p)
    {
        var shared = SharedMemory.Allocate1D<float>(ReduceKernels.MaxGroup);
        for (int q = Grid.IdxX; q < p.Outputs; q += Grid.DimX)
        {
            int baseOffset = Dims6.Offset(q, p.Dst, p.KeepStrides);
            float sum = 0f;
            for (int r = Group.IdxX; r < p.Count; r += Group.DimX)
                sum += src[baseOffset + Dims6.Offset(r, p.Red, p.RedStrides)];
            sum = ReduceKernels.TreeSum(shared, sum);
            if (Group.IdxX == 0)
                dst[q] += p.Scale * sum;
        }
    }

    public static void Permute(ArrayView<float> x, ArrayView<float> y, PermuteParams p)
    {
        for (int i = Start; i < p.N; i += Stride)
        {
            float v = x[Dims6.Offset(i, p.Y, p.Steps)];
            y[i] = p.Accumulate != 0 ? y[i] + v : v;
        }
    }

    public static void CopySlice(ArrayView<float> src, ArrayView<float> dst, SliceParams p)
    {
        int chunk = p.Length * p.Inner;
        int n = p.Outer * chunk;
        for (int e = Start; e < n; e += Stride)
        {
            int o = e / chunk;
            int rem = e - o * chunk;
            int j = rem / p.Inner;
            int i = rem - j * p.Inner;
            float v = src[((o * p.SrcAxis) + p.SrcStart + j) * p.Inner + i];
            int to = ((o * p.DstAxis) + p.DstStart + j) * p.Inner + i;
            dst[to] = p.Accumulate != 0 ? dst[to] + v : v;
        }
    }

    public static void Gather(ArrayView<float> x, ArrayView<int> indices, ArrayView<float> y, GatherParams p)
    {
        int chunk = p.Count * p.Inner;
        int n = p.Outer * chunk;
        for (int e = Start; e < n; e += Stride)
        {
            int o = e / chunk;
            int rem = e - o * chunk;
            int j = rem / p.Inner;
            int i = rem - j * p.Inner;
            y[e] = x[(o * p.AxisLen + indices[j]) * p.Inner + i];
        }
    }

    /// <summary>
    /// One thread per dx element adds every dy row whose index points at it, in j order: the same additions in
    /// the same order as the CPU loop, with no atomics.
    /// </summary>
    public static void GatherBackward(ArrayView<float> dy, ArrayView<int> indices, ArrayView<float> dx, GatherParams p)
    {
        int chunk = p.AxisLen * p.Inner;
        int n = p.Outer * chunk;
        for (int e = Start; e < n; e += Stride)
        {
            int o = e / chunk;
            int rem = e - o * chunk;
            int a = rem / p.Inner;
            int i = rem - a * p.Inner;
            float acc = dx[e];
            for (int j = 0; j < p.Count; j++)
            {
                if (indices[j] == a)
                    acc += dy[(o * p.Count + j) * p.Inner + i];
            }
            dx[e] = acc;
        }
    }

    public static void Where(ArrayView<float> mask, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, int n)
    {
        for (int i = Start; i < n; i += Stride)
            y[i] = mask[i] != 0f ? a[i] : b[i];
    }

    public static void WhereBackward(
        ArrayView<float> mask, ArrayView<float> dy, ArrayView<float> da, ArrayView<float> db, int n, int hasA, int hasB)
    {
        for (int i = Start; i < n; i += Stride)
        {
            if (mask[i] != 0f)
            {
                if (hasA != 0)
                    da[i] += dy[i];
            }
            else if (hasB != 0)
            {
                db[i] += dy[i];
            }
        }
    }

    /// <summary>Adam/AdamW, the scalar formula of the CPU twin (AdamKernel.Update in Amortized.Kernels.Cpu).</summary>
    public static void Adam(ArrayView<float> p, ArrayView<float> g, ArrayView<float> m,
        ArrayView<float> v, AdamParams a)
    {
        for (int i = Start; i < a.N; i += Stride)
        {
            float gi = g[i] * a.GradScale;
            float mi = a.B1 * m[i] + (1f - a.B1) * gi;
            float vi = a.B2 * v[i] + (1f - a.B2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] = p[i] * a.Decay - a.StepSize * mi / (XMath.Sqrt(vi) * a.InvSqrtBc2 + a.Eps);
        }
    }
}
