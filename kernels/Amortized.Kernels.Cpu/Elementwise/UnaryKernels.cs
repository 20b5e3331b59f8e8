using System.Numerics.Tensors;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// Elementwise ops over spans of one length N: the parameterised unary ops (<see cref="UnaryKind"/>), the select
/// op and the scaled add, each with its backward. TensorPrimitives where it has the op, plain loops otherwise. The
/// ILGPU twins are Amortized.Kernels.Gpu's ElementwiseKernels.cs.
/// </summary>
public static class UnaryKernels
{
    /// <summary>y = op(x; p0, p1): x and y (N).</summary>
    public static void Unary(UnaryKind op, ReadOnlySpan<float> x, Span<float> y, float p0, float p1)
    {
        ReadOnlySpan<float> xs = x;
        Span<float> ys = y;
        switch (op)
        {
            case UnaryKind.Neg: TensorPrimitives.Negate(xs, ys); break;
            case UnaryKind.Exp: TensorPrimitives.Exp(xs, ys); break;
            case UnaryKind.Log: TensorPrimitives.Log(xs, ys); break;
            case UnaryKind.Sqrt: TensorPrimitives.Sqrt(xs, ys); break;
            case UnaryKind.Abs: TensorPrimitives.Abs(xs, ys); break;
            case UnaryKind.AddScalar: TensorPrimitives.Add(xs, p0, ys); break;
            case UnaryKind.MulScalar: TensorPrimitives.Multiply(xs, p0, ys); break;
            case UnaryKind.PowScalar:
                if (p0 == 2f) TensorPrimitives.Multiply(xs, xs, ys);
                else TensorPrimitives.Pow(xs, p0, ys);
                break;
            case UnaryKind.Clamp:
                TensorPrimitives.Max(xs, p0, ys);
                TensorPrimitives.Min(ys, p1, ys);
                break;
            case UnaryKind.Asinh: TensorPrimitives.Asinh(xs, ys); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    /// <summary>
    /// dx += dy * op'(x): x, y = op(x) (for ops whose derivative is cheapest from it), dy and dx (N).
    /// </summary>
    public static void UnaryBackward(UnaryKind op, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> dy, Span<float> dx, float p0, float p1)
    {
        ReadOnlySpan<float> xs = x, ys = y, g = dy;
        Span<float> d = dx;
        switch (op)
        {
            case UnaryKind.Neg: TensorPrimitives.Subtract(d, g, d); break;                    // d(-x)/dx = -1
            case UnaryKind.Exp: TensorPrimitives.FusedMultiplyAdd(g, ys, d, d); break;        // d exp(x) = exp(x)
            case UnaryKind.Log: for (int i = 0; i < d.Length; i++) d[i] += g[i] / xs[i]; break; // 1/x
            case UnaryKind.Sqrt:                                                              // 1/(2 sqrt x)
                for (int i = 0; i < d.Length; i++) d[i] += g[i] * 0.5f / ys[i];
                break;
            case UnaryKind.Abs: for (int i = 0; i < d.Length; i++) d[i] += g[i] * MathF.Sign(xs[i]); break;
            case UnaryKind.AddScalar: TensorPrimitives.Add(d, g, d); break;
            case UnaryKind.MulScalar: TensorPrimitives.MultiplyAdd(g, p0, d, d); break;
            case UnaryKind.PowScalar:                                                         // p x^(p-1)
                for (int i = 0; i < d.Length; i++) d[i] += g[i] * p0 * MathF.Pow(xs[i], p0 - 1f);
                break;
            case UnaryKind.Clamp:                                                             // 1 inside [p0, p1]
                for (int i = 0; i < d.Length; i++) if (xs[i] >= p0 && xs[i] <= p1) d[i] += g[i];
                break;
            case UnaryKind.Asinh:                                                             // 1/sqrt(x^2 + 1)
                for (int i = 0; i < d.Length; i++) d[i] += g[i] / MathF.Sqrt(xs[i] * xs[i] + 1f);
                break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    /// <summary>dst += scale * src: src and dst (N).</summary>
    public static void AddScaled(ReadOnlySpan<float> src, Span<float> dst, float scale)
    {
        if (scale == 1f) TensorPrimitives.Add(dst, src, dst);
        else TensorPrimitives.MultiplyAdd(src, scale, dst, dst);
    }

    /// <summary>y = mask != 0 ? a : b: mask, a, b and y (N).</summary>
    public static void Where(ReadOnlySpan<float> mask, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = mask[i] != 0f ? a[i] : b[i];
    }

    /// <summary>da += dy where mask != 0, db += dy elsewhere: all (N); an empty da or db is not wanted.</summary>
    public static void WhereBackward(ReadOnlySpan<float> mask, ReadOnlySpan<float> dy, Span<float> da, Span<float> db)
    {
        for (int i = 0; i < dy.Length; i++)
        {
            if (mask[i] != 0f) { if (!da.IsEmpty) da[i] += dy[i]; }
            else if (!db.IsEmpty) db[i] += dy[i];
        }
    }
}
