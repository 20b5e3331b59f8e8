using System.Numerics.Tensors;

namespace Amortized.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <summary>
    /// Element strides of <paramref name="source"/> seen as broadcast to <paramref name="target"/>: 0 along
    /// axes where the source has size 1 or is missing (leading axes), so one loop indexes both.
    /// </summary>
    internal static void BroadcastStrides(Shape source, Shape target, Span<int> strides)
    {
        int lead = target.Rank - source.Rank;
        int stride = 1;
        for (int i = target.Rank - 1; i >= 0; i--)
        {
            int s = i < lead ? 1 : source[i - lead];
            strides[i] = s == 1 ? 0 : stride;
            stride *= s;
        }
    }

    /// <inheritdoc />
    public void Binary(BinaryKind op, Tensor a, Tensor b, Tensor y)
    {
        switch (op)
        {
            case BinaryKind.Add: BinaryLoop<AddOp>(a, b, y); break;
            case BinaryKind.Sub: BinaryLoop<SubOp>(a, b, y); break;
            case BinaryKind.Mul: BinaryLoop<MulOp>(a, b, y); break;
            case BinaryKind.Div: BinaryLoop<DivOp>(a, b, y); break;
            case BinaryKind.Pow: BinaryLoop<PowOp>(a, b, y); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    /// <summary>
    /// The broadcasting skeleton: walks the output row by row (last axis), and for each row calls the operator's
    /// span-span, span-scalar or scalar-span kernel depending on whether each input varies along the last axis.
    /// </summary>
    private static void BinaryLoop<TOp>(Tensor a, Tensor b, Tensor y) where TOp : IBinaryKernel
    {
        ReadOnlySpan<float> av = a.Span, bv = b.Span;
        Span<float> yv = y.Span;
        if (a.Shape == b.Shape)
        {
            TOp.SpanSpan(av, bv, yv);
            return;
        }
        if (b.Size == 1)
        {
            TOp.SpanScalar(av, bv[0], yv);
            return;
        }
        if (a.Size == 1)
        {
            TOp.ScalarSpan(av[0], bv, yv);
            return;
        }
        Shape shape = y.Shape;
        int rank = shape.Rank;
        Span<int> sa = stackalloc int[Shape.MaxRank], sb = stackalloc int[Shape.MaxRank];
        Span<int> dims = stackalloc int[Shape.MaxRank], counter = stackalloc int[Shape.MaxRank];
        BroadcastStrides(a.Shape, shape, sa);
        BroadcastStrides(b.Shape, shape, sb);
        shape.CopyTo(dims);
        int inner = dims[rank - 1];
        int rows = y.Size / Math.Max(inner, 1);
        int aOff = 0, bOff = 0;
        for (int r = 0; r < rows; r++)
        {
            var dst = yv.Slice(r * inner, inner);
            if (sa[rank - 1] != 0 && sb[rank - 1] != 0) TOp.SpanSpan(av.Slice(aOff, inner), bv.Slice(bOff, inner), dst);
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

    /// <inheritdoc />
    public void SumToShape(Tensor src, Tensor dst, float scale)
    {
        ReadOnlySpan<float> s = src.Span;
        Span<float> d = dst.Span;
        if (src.Size == dst.Size)
        {
            if (scale == 1f) TensorPrimitives.Add(d, s, d);
            else TensorPrimitives.MultiplyAdd(s, scale, d, d);
            return;
        }
        if (dst.Size == 1)
        {
            d[0] += scale * TensorPrimitives.Sum(s);
            return;
        }
        Shape shape = src.Shape;
        int rank = shape.Rank;
        Span<int> sd = stackalloc int[Shape.MaxRank], dims = stackalloc int[Shape.MaxRank], counter = stackalloc int[Shape.MaxRank];
        BroadcastStrides(dst.Shape, shape, sd);
        shape.CopyTo(dims);
        int inner = dims[rank - 1];
        int rows = src.Size / Math.Max(inner, 1);
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
        public static void SpanSpan(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Add(a, b, y);
        public static void SpanScalar(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Add(a, b, y);
        public static void ScalarSpan(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Add(b, a, y);
    }

    private readonly struct SubOp : IBinaryKernel
    {
        public static float Scalar(float a, float b) => a - b;
        public static void SpanSpan(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Subtract(a, b, y);
        public static void SpanScalar(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Subtract(a, b, y);
        public static void ScalarSpan(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Subtract(a, b, y);
    }

    private readonly struct MulOp : IBinaryKernel
    {
        public static float Scalar(float a, float b) => a * b;
        public static void SpanSpan(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Multiply(a, b, y);
        public static void SpanScalar(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Multiply(a, b, y);
        public static void ScalarSpan(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Multiply(b, a, y);
    }

    private readonly struct DivOp : IBinaryKernel
    {
        public static float Scalar(float a, float b) => a / b;
        public static void SpanSpan(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Divide(a, b, y);
        public static void SpanScalar(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Divide(a, b, y);
        public static void ScalarSpan(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Divide(a, b, y);
    }

    private readonly struct PowOp : IBinaryKernel
    {
        public static float Scalar(float a, float b) => MathF.Pow(a, b);
        public static void SpanSpan(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Pow(a, b, y);
        public static void SpanScalar(ReadOnlySpan<float> a, float b, Span<float> y) => TensorPrimitives.Pow(a, b, y);
        public static void ScalarSpan(float a, ReadOnlySpan<float> b, Span<float> y) => TensorPrimitives.Pow(a, b, y);
    }
}
