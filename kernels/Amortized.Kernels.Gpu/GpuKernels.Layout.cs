using ILGPU;
using ILGPU.Runtime;

namespace Amortized.Kernels.Gpu;

// Launchers of the layout kernels (ElementwiseKernels.cs): permute, slice copies, gathers. The CPU twin is
// Amortized.Kernels.Cpu's LayoutKernels.
public sealed partial class GpuKernels
{
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, PermuteParams>? _permute;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, SliceParams>? _copySlice;
    private Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>,
        GatherParams>? _gather, _gatherBackward;

    /// <summary>y (+)= x with axes permuted: y's axis k is x's axis permutation[k]; rank &lt;= 6.</summary>
    public void Permute(ArrayView<float> x, ReadOnlySpan<int> xDims, ReadOnlySpan<int> permutation,
        ArrayView<float> y, bool accumulate)
    {
        int rank = xDims.Length;
        if (permutation.Length != rank)
            throw new ArgumentException(
                $"Permute: permutation has {permutation.Length} axes, x has {rank}.", nameof(permutation));
        Dims6 xd = Dims6.FromSpan(xDims, 1);
        int lead = 6 - rank;
        var xStrides = default(Dims6);
        int stride = 1;
        for (int i = 5; i >= 0; i--)
        {
            xStrides.Set(i, stride);
            stride *= xd.Get(i);
        }
        var yd = new Dims6 { D0 = 1, D1 = 1, D2 = 1, D3 = 1, D4 = 1, D5 = 1 };
        var steps = default(Dims6);
        int seen = 0;
        for (int k = 0; k < rank; k++)
        {
            int axis = permutation[k];
            if ((uint)axis >= (uint)rank || (seen & (1 << axis)) != 0)
                throw new ArgumentException($"Permute: invalid permutation (axis {axis}).", nameof(permutation));
            seen |= 1 << axis;
            yd.Set(lead + k, xd.Get(lead + axis));
            steps.Set(lead + k, xStrides.Get(lead + axis));
        }
        long n = xd.Product();
        Require(x, n, nameof(x));
        Require(y, n, nameof(y));
        if (n == 0)
            return;
        var p = new PermuteParams { Y = yd, Steps = steps, N = (int)n, Accumulate = accumulate ? 1 : 0 };
        (_permute ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, PermuteParams>(
            ElementwiseKernels.Permute))(Config(n), x, y, p);
    }

    /// <summary>
    /// src viewed (outer, srcAxis, inner), dst (outer, dstAxis, inner):
    /// dst[o, dstStart + j, i] (+)= src[o, srcStart + j, i] for j &lt; length.
    /// </summary>
    public void CopySlice(ArrayView<float> src, ArrayView<float> dst, int outer, int srcAxis, int dstAxis, int inner,
        int srcStart, int dstStart, int length, bool accumulate)
    {
        if (outer < 0 || inner < 0 || length < 0 || srcStart < 0 || dstStart < 0 || srcStart + length > srcAxis
            || dstStart + length > dstAxis)
            throw new ArgumentException($"CopySlice: slice [{srcStart}, +{length}) of {srcAxis} into [{dstStart}, " +
                $"+{length}) of {dstAxis} is out of range.");
        Require(src, (long)outer * srcAxis * inner, nameof(src));
        Require(dst, (long)outer * dstAxis * inner, nameof(dst));
        long n = (long)outer * length * inner;
        if (n == 0)
            return;
        var p = new SliceParams
        {
            Outer = outer, SrcAxis = srcAxis, DstAxis = dstAxis, Inner = inner,
            SrcStart = srcStart, DstStart = dstStart, Length = length, Accumulate = accumulate ? 1 : 0,
        };
        (_copySlice ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, SliceParams>(
            ElementwiseKernels.CopySlice))(Config(n), src, dst, p);
    }

    /// <summary>x (outer, axisLen, inner) to y (outer, count, inner): y[o, j, i] = x[o, indices[j], i].</summary>
    public void Gather(ArrayView<float> x, ArrayView<int> indices, ArrayView<float> y, int outer,
        int axisLen, int inner, int count)
    {
        Require(x, (long)outer * axisLen * inner, nameof(x));
        long n = (long)outer * count * inner;
        Require(y, n, nameof(y));
        if (n == 0)
            return;
        if (!Has(indices) || indices.Length < count)
            throw new ArgumentException($"Gather: indices must have {count} elements.", nameof(indices));
        var p = new GatherParams { Outer = outer, AxisLen = axisLen, Inner = inner, Count = count };
        (_gather ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, GatherParams>(
            ElementwiseKernels.Gather))(Config(n), x, indices, y, p);
    }

    /// <summary>
    /// dx[o, indices[j], i] += dy[o, j, i]; repeated indices accumulate. Deterministic: each dx element loops over j
    /// in order (no float atomics).
    /// </summary>
    public void GatherBackward(ArrayView<float> dy, ArrayView<int> indices, ArrayView<float> dx, int outer,
        int axisLen, int inner, int count)
    {
        long n = (long)outer * axisLen * inner;
        Require(dx, n, nameof(dx));
        Require(dy, (long)outer * count * inner, nameof(dy));
        if (n == 0 || count == 0)
            return;
        if (!Has(indices) || indices.Length < count)
            throw new ArgumentException($"GatherBackward: indices must have {count} elements.", nameof(indices));
        var p = new GatherParams { Outer = outer, AxisLen = axisLen, Inner = inner, Count = count };
        (_gatherBackward ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>,
            GatherParams>(ElementwiseKernels.GatherBackward))(Config(n), dy, indices, dx, p);
    }
}
