using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// Layout ops over row-major spans: axis permutation, slice copies and gathers along one axis. An op along an axis
/// views its tensors as (outer, n, inner) around that axis. The ILGPU twins are in Amortized.Kernels.Gpu's
/// ElementwiseKernels.cs.
/// </summary>
public static class LayoutKernels
{
    /// <summary>
    /// y = x with its axes permuted: x has dimensions <paramref name="xDims"/>; y's axis k is x's axis
    /// permutation[k]; <paramref name="accumulate"/> adds instead of writing.
    /// </summary>
    public static void Permute(ReadOnlySpan<float> x, ReadOnlySpan<int> xDims, ReadOnlySpan<int> permutation,
        Span<float> y, bool accumulate)
    {
        // Walk y in order; y's axis k is x's axis permutation[k], so step x by that axis' stride.
        int rank = xDims.Length;
        Span<int> xStrides = stackalloc int[rank], steps = stackalloc int[rank];
        Span<int> dims = stackalloc int[rank], counter = stackalloc int[rank];
        int stride = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            xStrides[i] = stride;
            stride *= xDims[i];
        }
        for (int k = 0; k < rank; k++)
        {
            steps[k] = xStrides[permutation[k]];
            dims[k] = xDims[permutation[k]];
        }
        ReadOnlySpan<float> xs = x;
        Span<float> ys = y;
        int xOff = 0;
        for (int i = 0; i < ys.Length; i++)
        {
            if (accumulate) ys[i] += xs[xOff];
            else ys[i] = xs[xOff];
            for (int axis = rank - 1; axis >= 0; axis--)
            {
                xOff += steps[axis];
                if (++counter[axis] < dims[axis]) break;
                xOff -= steps[axis] * dims[axis];
                counter[axis] = 0;
            }
        }
    }

    /// <summary>
    /// Copies (or adds) src[o, srcStart:srcStart+length, :] into dst[o, dstStart:dstStart+length, :] for every o:
    /// src is (outer, srcN, inner), dst (outer, dstN, inner).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CopySlice(ReadOnlySpan<float> src, int srcN, int srcStart, Span<float> dst, int dstN,
        int dstStart, int length, int outer, int inner, bool accumulate)
    {
        int chunk = length * inner;
        ReadOnlySpan<float> s = src;
        Span<float> d = dst;
        if (chunk < 16)
        {
            // Narrow slices (a column or two of a (B, D) matrix): per-row span calls would cost more than the
            // copy itself, so walk the elements directly.
            for (int o = 0; o < outer; o++)
            {
                int from = (o * srcN + srcStart) * inner, to = (o * dstN + dstStart) * inner;
                if (accumulate) for (int j = 0; j < chunk; j++) d[to + j] += s[from + j];
                else for (int j = 0; j < chunk; j++) d[to + j] = s[from + j];
            }
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            var from = s.Slice((o * srcN + srcStart) * inner, chunk);
            var to = d.Slice((o * dstN + dstStart) * inner, chunk);
            if (accumulate) TensorPrimitives.Add(to, from, to);
            else from.CopyTo(to);
        }
    }

    /// <summary>y[o, j, :] = x[o, indices[j], :]: x is (outer, n, inner), y (outer, indices.Length, inner).</summary>
    public static void Gather(ReadOnlySpan<float> x, ReadOnlySpan<int> indices, Span<float> y, int outer, int n,
        int inner)
    {
        ReadOnlySpan<float> xs = x;
        Span<float> ys = y;
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < indices.Length; j++)
            {
                int from = (o * n + indices[j]) * inner, to = (o * indices.Length + j) * inner;
                if (inner == 1) ys[to] = xs[from];   // feature permutations: one element per index
                else xs.Slice(from, inner).CopyTo(ys.Slice(to, inner));
            }
        }
    }

    /// <summary>
    /// dx[o, indices[j], :] += dy[o, j, :] (repeated indices accumulate): dy is (outer, indices.Length, inner), dx
    /// (outer, n, inner).
    /// </summary>
    public static void GatherBackward(ReadOnlySpan<float> dy, ReadOnlySpan<int> indices, Span<float> dx, int outer,
        int n, int inner)
    {
        ReadOnlySpan<float> g = dy;
        Span<float> d = dx;
        for (int o = 0; o < outer; o++)
        {
            for (int j = 0; j < indices.Length; j++)
            {
                var to = d.Slice((o * n + indices[j]) * inner, inner);
                TensorPrimitives.Add(to, g.Slice((o * indices.Length + j) * inner, inner), to);
            }
        }
    }
}
