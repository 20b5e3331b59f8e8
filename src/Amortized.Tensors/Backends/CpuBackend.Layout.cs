using System.Numerics.Tensors;

namespace Amortized.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public void Permute(Tensor x, ReadOnlySpan<int> permutation, Tensor y, bool accumulate)
    {
        // Walk y in order; y's axis k is x's axis permutation[k], so step x by that axis' stride.
        int rank = x.Rank;
        Span<int> xStrides = stackalloc int[Shape.MaxRank], steps = stackalloc int[Shape.MaxRank];
        Span<int> dims = stackalloc int[Shape.MaxRank], counter = stackalloc int[Shape.MaxRank];
        int stride = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            xStrides[i] = stride;
            stride *= x.Shape[i];
        }
        for (int k = 0; k < rank; k++)
        {
            steps[k] = xStrides[permutation[k]];
            dims[k] = y.Shape[k];
        }
        ReadOnlySpan<float> xs = x.Span;
        Span<float> ys = y.Span;
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

    /// <inheritdoc />
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void CopySlice(Tensor src, int axis, int srcStart, Tensor dst, int dstStart, int length, bool accumulate)
    {
        int outer = src.Shape.Outer(axis), inner = src.Shape.Inner(axis);
        int srcN = src.Shape[axis], dstN = dst.Shape[axis];
        int chunk = length * inner;
        ReadOnlySpan<float> s = src.Span;
        Span<float> d = dst.Span;
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

    /// <inheritdoc />
    public void Gather(Tensor x, int axis, ReadOnlySpan<int> indices, Tensor y)
    {
        int outer = x.Shape.Outer(axis), inner = x.Shape.Inner(axis), n = x.Shape[axis];
        ReadOnlySpan<float> xs = x.Span;
        Span<float> ys = y.Span;
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

    /// <inheritdoc />
    public void GatherBackward(Tensor dy, int axis, ReadOnlySpan<int> indices, Tensor dx)
    {
        int outer = dx.Shape.Outer(axis), inner = dx.Shape.Inner(axis), n = dx.Shape[axis];
        ReadOnlySpan<float> g = dy.Span;
        Span<float> d = dx.Span;
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
