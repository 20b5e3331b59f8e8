using System.Numerics.Tensors;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// Elementwise binary ops with NumPy broadcasting and their reverse, summing a gradient back to a broadcast
/// input's shape. Shapes are given as dimension spans (row-major, rank 0 and up); an input's dimensions align with
/// the output's trailing ones. The ILGPU twin is Amortized.Kernels.Gpu's ElementwiseKernels.cs.
/// </summary>
public static class BroadcastKernels
{
    /// <summary>
    /// Element strides of <paramref name="source"/> seen as broadcast to <paramref name="target"/>: 0 along
    /// axes where the source has size 1 or is missing (leading axes), so one loop indexes both.
    /// </summary>
    public static void Strides(ReadOnlySpan<int> source, ReadOnlySpan<int> target, Span<int> strides)
    {
        int lead = target.Length - source.Length;
        int stride = 1;
        for (int i = target.Length - 1; i >= 0; i--)
        {
            int s = i < lead ? 1 : source[i - lead];
            strides[i] = s == 1 ? 0 : stride;
            stride *= s;
        }
    }

    /// <summary>
    /// y = a op b with broadcasting: a has dimensions <paramref name="aDims"/>, b <paramref name="bDims"/>, y the
    /// broadcast <paramref name="yDims"/>.
    /// </summary>
    public static void Binary(BinaryKind op, ReadOnlySpan<float> a, ReadOnlySpan<int> aDims, ReadOnlySpan<float> b,
        ReadOnlySpan<int> bDims, Span<float> y, ReadOnlySpan<int> yDims)
    {
        switch (op)
        {
            case BinaryKind.Add: BinaryLoop<AddOp>(a, aDims, b, bDims, y, yDims); break;
            case BinaryKind.Sub: BinaryLoop<SubOp>(a, aDims, b, bDims, y, yDims); break;
            case BinaryKind.Mul: BinaryLoop<MulOp>(a, aDims, b, bDims, y, yDims); break;
            case BinaryKind.Div: BinaryLoop<DivOp>(a, aDims, b, bDims, y, yDims); break;
            case BinaryKind.Pow: BinaryLoop<PowOp>(a, aDims, b, bDims, y, yDims); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    /// <summary>
    /// The broadcasting skeleton: walks the output row by row (last axis), and for each row calls the operator's
    /// span-span, span-scalar or scalar-span kernel depending on whether each input varies along the last axis.
    /// </summary>
    private static void BinaryLoop<TOp>(ReadOnlySpan<float> av, ReadOnlySpan<int> aDims, ReadOnlySpan<float> bv,
        ReadOnlySpan<int> bDims, Span<float> yv, ReadOnlySpan<int> dims) where TOp : IBinaryKernel
    {
        if (aDims.SequenceEqual(bDims))
        {
            TOp.SpanSpan(av, bv, yv);
            return;
        }
        if (bv.Length == 1)
        {
            TOp.SpanScalar(av, bv[0], yv);
            return;
        }
        if (av.Length == 1)
        {
            TOp.ScalarSpan(av[0], bv, yv);
            return;
        }
        int rank = dims.Length;
        Span<int> sa = stackalloc int[rank], sb = stackalloc int[rank], counter = stackalloc int[rank];
        Strides(aDims, dims, sa);
        Strides(bDims, dims, sb);
        int inner = dims[rank - 1];
        int rows = yv.Length / Math.Max(inner, 1);
        int aOff = 0, bOff = 0;
        for (int r = 0; r < rows; r++)
        {
            var dst = yv.Slice(r * inner, inner);
            if (sa[rank - 1] != 0 && sb[rank - 1] != 0)
                TOp.SpanSpan(av.Slice(aOff, inner), bv.Slice(bOff, inner), dst);
            else if (sa[rank - 1] != 0) TOp.SpanScalar(av.Slice(aOff, inner), bv[bOff], dst);
            else if (sb[rank - 1] != 0) TOp.ScalarSpan(av[aOff], bv.Slice(bOff, inner), dst);
            else dst.Fill(TOp.Scalar(av[aOff], bv[bOff]));
            // Advance the multi-index over the leading axes (odometer), updating both offsets.
            for (int axis = rank - 2; axis >= 0; axis--)
            {
                aOff += sa[axis];
                bOff += sb[axis];
                if (++counter[axis] < dims[axis]) break;
                aOff -= sa[axis] * dims[axis];
                bOff -= sb[axis] * dims[axis];
                counter[axis] = 0;
            }
        }
    }

    /// <summary>
    /// dst += scale * src summed over the axes along which dst (dimensions <paramref name="dstDims"/>) was broadcast
    /// to src's dimensions <paramref name="srcDims"/>.
    /// </summary>
    public static void SumToShape(ReadOnlySpan<float> src, ReadOnlySpan<int> srcDims, Span<float> dst,
        ReadOnlySpan<int> dstDims, float scale)
    {
        ReadOnlySpan<float> s = src;
        Span<float> d = dst;
        if (s.Length == d.Length)
        {
            if (scale == 1f) TensorPrimitives.Add(d, s, d);
            else TensorPrimitives.MultiplyAdd(s, scale, d, d);
            return;
        }
        if (d.Length == 1)
        {
            d[0] += scale * TensorPrimitives.Sum(s);
            return;
        }
        ReadOnlySpan<int> dims = srcDims;
        int rank = dims.Length;
        Span<int> sd = stackalloc int[rank], counter = stackalloc int[rank];
        Strides(dstDims, dims, sd);
        int inner = dims[rank - 1];
        int rows = s.Length / Math.Max(inner, 1);
        // Every row onto one row (a bias gradient): column sums in registers, by chunks of rows.
        if (inner > 0 && d.Length == inner && sd[rank - 1] == 1
            && RowSums.TryAccumulateColumnSums(s, rows, inner, d, scale))
            return;
        int dOff = 0;
        for (int r = 0; r < rows; r++)
        {
            var row = s.Slice(r * inner, inner);
            if (sd[rank - 1] != 0)
            {
                var target = d.Slice(dOff, inner);
                if (scale == 1f) TensorPrimitives.Add(target, row, target);
                else TensorPrimitives.MultiplyAdd(row, scale, target, target);
            }
            else d[dOff] += scale * TensorPrimitives.Sum(row);
            for (int axis = rank - 2; axis >= 0; axis--)
            {
                dOff += sd[axis];
                if (++counter[axis] < dims[axis]) break;
                dOff -= sd[axis] * dims[axis];
                counter[axis] = 0;
            }
        }
    }

    /// <summary>A binary elementwise operator in its three broadcasting forms.</summary>
    private interface IBinaryKernel
    {
        static abstract float Scalar(float a, float b);
        static abstract void SpanSpan(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y);
        static abstract void SpanScalar(ReadOnlySpan<float> a, float b, Span<float> y);
        static abstract void ScalarSpan(float a, ReadOnlySpan<float> b, Span<float> y);
    }

    private readonly struct AddOp : IBinaryKernel
    {
        public static float Scalar(float a, float b) => a + b;
        public static void SpanSpan(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) =>
            TensorPrimitives.Add(a, b, y);
        public static void SpanScalar(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Add(a, b, y);
        public static void ScalarSpan(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Add(b, a, y);
    }

    private readonly struct SubOp : IBinaryKernel
    {
        public static float Scalar(float a, float b) => a - b;
        public static void SpanSpan(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) =>
            TensorPrimitives.Subtract(a, b, y);
        public static void SpanScalar(ReadOnlySpan<float> a, float b, Span<float> y) =>
            TensorPrimitives.Subtract(a, b, y);
        public static void ScalarSpan(float a, ReadOnlySpan<float> b, Span<float> y) =>
            TensorPrimitives.Subtract(a, b, y);
    }

    private readonly struct MulOp : IBinaryKernel
    {
        public static float Scalar(float a, float b) => a * b;
        public static void SpanSpan(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) =>
            TensorPrimitives.Multiply(a, b, y);
        public static void SpanScalar(ReadOnlySpan<float> a, float b, Span<float> y) =>
            TensorPrimitives.Multiply(a, b, y);
        public static void ScalarSpan(float a, ReadOnlySpan<float> b, Span<float> y) =>
            TensorPrimitives.Multiply(b, a, y);
    }

    private readonly struct DivOp : IBinaryKernel
    {
        public static float Scalar(float a, float b) => a / b;
        public static void SpanSpan(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) =>
            TensorPrimitives.Divide(a, b, y);
        public static void SpanScalar(ReadOnlySpan<float> a, float b, Span<float> y) =>
            TensorPrimitives.Divide(a, b, y);
        public static void ScalarSpan(float a, ReadOnlySpan<float> b, Span<float> y) =>
            TensorPrimitives.Divide(a, b, y);
    }

    private readonly struct PowOp : IBinaryKernel
    {
        public static float Scalar(float a, float b) => MathF.Pow(a, b);
        public static void SpanSpan(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) =>
            TensorPrimitives.Pow(a, b, y);
        public static void SpanScalar(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Pow(a, b, y);
        public static void ScalarSpan(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Pow(a, b, y);
    }
}
