using System.Numerics.Tensors;
using Amortized.Kernels.Cpu;

namespace Amortized.Tensors.Backends;

/// <summary>
/// The host backend: TensorPrimitives where it has the op, Amortized.Kernels.Cpu for GEMM and activations,
/// plain loops for layout ops. Deterministic: every result is independent of the thread count.
/// </summary>
public sealed partial class CpuBackend : IBackend
{
    /// <summary>The process-wide instance.</summary>
    public static CpuBackend Instance { get; } = new();

    private CpuBackend()
    {
    }

    /// <inheritdoc />
    public Device Device => Device.Cpu;

    /// <inheritdoc />
    public void Unary(UnaryKind op, Tensor x, Tensor y, float p0, float p1)
    {
        ReadOnlySpan<float> xs = x.Span;
        Span<float> ys = y.Span;
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

    /// <inheritdoc />
    public void UnaryBackward(UnaryKind op, Tensor x, Tensor y, Tensor dy, Tensor dx, float p0, float p1)
    {
        ReadOnlySpan<float> xs = x.Span, ys = y.Span, g = dy.Span;
        Span<float> d = dx.Span;
        switch (op)
        {
            case UnaryKind.Neg: TensorPrimitives.Subtract(d, g, d); break;                    // d(-x)/dx = -1
            case UnaryKind.Exp: TensorPrimitives.FusedMultiplyAdd(g, ys, d, d); break;        // d exp(x) = exp(x)
            case UnaryKind.Log: for (int i = 0; i < d.Length; i++) d[i] += g[i] / xs[i]; break; // 1/x
            case UnaryKind.Sqrt: for (int i = 0; i < d.Length; i++) d[i] += g[i] * 0.5f / ys[i]; break; // 1/(2 sqrt x)
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

    /// <inheritdoc />
    public void Activate(Activation kind, Tensor x, Tensor y) => Activations.Forward(kind, x.Span, y.Span);

    /// <inheritdoc />
    public void ActivateBackward(Activation kind, Tensor x, Tensor dy, Tensor dx, bool accumulate = true)
    {
        Span<float> d = dx.Span;
        ReadOnlySpan<float> xs = x.Span, g = dy.Span;
        if (!accumulate)
        {
            Activations.Backward(kind, xs, g, d);
            return;
        }
        // Activations.Backward overwrites; to accumulate, go through a scratch row.
        Span<float> scratch = stackalloc float[256];
        for (int start = 0; start < d.Length; start += scratch.Length)
        {
            int len = Math.Min(scratch.Length, d.Length - start);
            Activations.Backward(kind, xs.Slice(start, len), g.Slice(start, len), scratch[..len]);
            TensorPrimitives.Add(d.Slice(start, len), scratch[..len], d.Slice(start, len));
        }
    }

    /// <inheritdoc />
    public void AddScaled(Tensor src, Tensor dst, float scale)
    {
        if (scale == 1f) TensorPrimitives.Add(dst.Span, src.Span, dst.Span);
        else TensorPrimitives.MultiplyAdd(src.Span, scale, dst.Span, dst.Span);
    }

    /// <inheritdoc />
    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        Tensor a, int aOffset, int lda, Tensor b, int bOffset, int ldb, float beta, Tensor c, int cOffset, int ldc,
        Tensor? bias = null, Activation activation = Activation.Identity, Tensor? preActivation = null)
    {
        Kernels.Cpu.Gemm.Multiply(transA, transB, m, n, k, alpha,
            a.Data.AsSpan(a.Offset + aOffset), lda,
            b.Data.AsSpan(b.Offset + bOffset), ldb,
            beta, c.Data.AsSpan(c.Offset + cOffset, c.Size - cOffset), ldc,
            bias is null ? default : bias.Span, activation,
            preActivation is null ? default : preActivation.Data.AsSpan(preActivation.Offset + cOffset, preActivation.Size - cOffset));
    }

    /// <inheritdoc />
    public void Where(Tensor mask, Tensor a, Tensor b, Tensor y)
    {
        ReadOnlySpan<float> m = mask.Span, av = a.Span, bv = b.Span;
        Span<float> ys = y.Span;
        for (int i = 0; i < ys.Length; i++) ys[i] = m[i] != 0f ? av[i] : bv[i];
    }

    /// <inheritdoc />
    public void WhereBackward(Tensor mask, Tensor dy, Tensor? da, Tensor? db)
    {
        ReadOnlySpan<float> m = mask.Span, g = dy.Span;
        Span<float> dav = da is null ? default : da.Span, dbv = db is null ? default : db.Span;
        for (int i = 0; i < g.Length; i++)
        {
            if (m[i] != 0f) { if (da is not null) dav[i] += g[i]; }
            else if (db is not null) dbv[i] += g[i];
        }
    }
}
