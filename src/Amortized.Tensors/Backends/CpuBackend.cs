using Amortized.Kernels.Cpu;

namespace Amortized.Tensors.Backends;

/// <summary>
/// The host backend: a thin adapter that takes spans (and shapes as dimension spans) from tensors and calls the
/// span kernels of Amortized.Kernels.Cpu, where all the math lives. Deterministic: every result is independent of
/// the thread count.
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
        long start = KernelProfile.Start();
        UnaryKernels.Unary(op, x.Span, y.Span, p0, p1);
        KernelProfile.Stop(KernelFamily.Elementwise, start);
    }

    /// <inheritdoc />
    public void UnaryBackward(UnaryKind op, Tensor x, Tensor y, Tensor dy, Tensor dx, float p0, float p1)
    {
        long start = KernelProfile.Start();
        UnaryKernels.UnaryBackward(op, x.Span, y.Span, dy.Span, dx.Span, p0, p1);
        KernelProfile.Stop(KernelFamily.Elementwise, start);
    }

    /// <inheritdoc />
    public void Activate(Activation kind, Tensor x, Tensor y)
    {
        long start = KernelProfile.Start();
        Activations.Forward(kind, x.Span, y.Span);
        KernelProfile.Stop(KernelFamily.Activation, start);
    }

    /// <inheritdoc />
    public void ActivateBackward(Activation kind, Tensor x, Tensor dy, Tensor dx, bool accumulate = true)
    {
        long start = KernelProfile.Start();
        if (accumulate) Activations.BackwardAccumulate(kind, x.Span, dy.Span, dx.Span);
        else Activations.Backward(kind, x.Span, dy.Span, dx.Span);
        KernelProfile.Stop(KernelFamily.Activation, start);
    }

    /// <inheritdoc />
    public void AddScaled(Tensor src, Tensor dst, float scale)
    {
        long start = KernelProfile.Start();
        UnaryKernels.AddScaled(src.Span, dst.Span, scale);
        KernelProfile.Stop(KernelFamily.Elementwise, start);
    }

    /// <inheritdoc />
    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        Tensor a, int aOffset, int lda, Tensor b, int bOffset, int ldb, float beta, Tensor c, int cOffset, int ldc,
        Tensor? bias = null, Activation activation = Activation.Identity, Tensor? preActivation = null)
    {
        long start = KernelProfile.Start();
        Span<float> pre = preActivation is null
            ? default
            : preActivation.Data.AsSpan(preActivation.Offset + cOffset, preActivation.Size - cOffset);
        Kernels.Cpu.Gemm.Multiply(transA, transB, m, n, k, alpha,
            a.Data.AsSpan(a.Offset + aOffset), lda,
            b.Data.AsSpan(b.Offset + bOffset), ldb,
            beta, c.Data.AsSpan(c.Offset + cOffset, c.Size - cOffset), ldc,
            bias is null ? default : bias.Span, activation, pre);
        KernelProfile.Stop(KernelFamily.Gemm, start);
    }

    /// <inheritdoc />
    public void Where(Tensor mask, Tensor a, Tensor b, Tensor y)
    {
        long start = KernelProfile.Start();
        UnaryKernels.Where(mask.Span, a.Span, b.Span, y.Span);
        KernelProfile.Stop(KernelFamily.Elementwise, start);
    }

    /// <inheritdoc />
    public void WhereBackward(Tensor mask, Tensor dy, Tensor? da, Tensor? db)
    {
        long start = KernelProfile.Start();
        UnaryKernels.WhereBackward(mask.Span, dy.Span, SpanOrEmpty(da), SpanOrEmpty(db));
        KernelProfile.Stop(KernelFamily.Elementwise, start);
    }

    /// <inheritdoc />
    public void Binary(BinaryKind op, Tensor a, Tensor b, Tensor y)
    {
        long start = KernelProfile.Start();
        Span<int> ad = stackalloc int[Shape.MaxRank], bd = stackalloc int[Shape.MaxRank];
        Span<int> yd = stackalloc int[Shape.MaxRank];
        BroadcastKernels.Binary(op, a.Span, Dims(a.Shape, ad), b.Span, Dims(b.Shape, bd), y.Span, Dims(y.Shape, yd));
        KernelProfile.Stop(KernelFamily.Elementwise, start);
    }

    /// <inheritdoc />
    public void SumToShape(Tensor src, Tensor dst, float scale)
    {
        long start = KernelProfile.Start();
        Span<int> sd = stackalloc int[Shape.MaxRank], dd = stackalloc int[Shape.MaxRank];
        BroadcastKernels.SumToShape(src.Span, Dims(src.Shape, sd), dst.Span, Dims(dst.Shape, dd), scale);
        KernelProfile.Stop(KernelFamily.Reduction, start);
    }

    /// <inheritdoc />
    public void Reduce(ReduceKind kind, Tensor x, int axis, Tensor y, float scale)
    {
        long start = KernelProfile.Start();
        ReductionKernels.Reduce(kind, x.Span, y.Span, x.Shape.Outer(axis), x.Shape[axis], x.Shape.Inner(axis), scale);
        KernelProfile.Stop(KernelFamily.Reduction, start);
    }

    /// <inheritdoc />
    public void ReduceBackward(ReduceKind kind, Tensor x, Tensor y, Tensor dy, int axis, Tensor dx, float scale,
        bool accumulate = true)
    {
        long start = KernelProfile.Start();
        ReductionKernels.ReduceBackward(kind, x.Span, y.Span, dy.Span, dx.Span,
            x.Shape.Outer(axis), x.Shape[axis], x.Shape.Inner(axis), scale, accumulate);
        KernelProfile.Stop(KernelFamily.Reduction, start);
    }

    /// <inheritdoc />
    public void Softmax(Tensor x, int axis, Tensor y)
    {
        long start = KernelProfile.Start();
        ReductionKernels.Softmax(x.Span, y.Span, x.Shape.Outer(axis), x.Shape[axis], x.Shape.Inner(axis));
        KernelProfile.Stop(KernelFamily.Reduction, start);
    }

    /// <inheritdoc />
    public void SoftmaxBackward(Tensor y, Tensor dy, int axis, Tensor dx)
    {
        long start = KernelProfile.Start();
        ReductionKernels.SoftmaxBackward(y.Span, dy.Span, dx.Span,
            y.Shape.Outer(axis), y.Shape[axis], y.Shape.Inner(axis));
        KernelProfile.Stop(KernelFamily.Reduction, start);
    }

    /// <inheritdoc />
    public void LayerNorm(Tensor x, Tensor? gamma, Tensor? beta, float epsilon, Tensor y, Tensor mean, Tensor rstd)
    {
        long start = KernelProfile.Start();
        int d = x.Shape[-1];
        ReductionKernels.LayerNorm(x.Span, SpanOrEmpty(gamma), SpanOrEmpty(beta), epsilon, y.Span, mean.Span,
            rstd.Span, d == 0 ? 0 : x.Size / d, d);
        KernelProfile.Stop(KernelFamily.Reduction, start);
    }

    /// <inheritdoc />
    public void LayerNormBackward(Tensor x, Tensor? gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor? dx,
        Tensor? dGamma, Tensor? dBeta)
    {
        long start = KernelProfile.Start();
        int d = x.Shape[-1];
        ReductionKernels.LayerNormBackward(x.Span, SpanOrEmpty(gamma), mean.Span, rstd.Span, dy.Span,
            SpanOrEmpty(dx), SpanOrEmpty(dGamma), SpanOrEmpty(dBeta), d == 0 ? 0 : x.Size / d, d);
        KernelProfile.Stop(KernelFamily.Reduction, start);
    }

    /// <inheritdoc />
    public void Permute(Tensor x, ReadOnlySpan<int> permutation, Tensor y, bool accumulate)
    {
        long start = KernelProfile.Start();
        Span<int> xd = stackalloc int[Shape.MaxRank];
        LayoutKernels.Permute(x.Span, Dims(x.Shape, xd), permutation, y.Span, accumulate);
        KernelProfile.Stop(KernelFamily.Copy, start);
    }

    /// <inheritdoc />
    public void CopySlice(Tensor src, int axis, int srcStart, Tensor dst, int dstStart, int length, bool accumulate)
    {
        long start = KernelProfile.Start();
        LayoutKernels.CopySlice(src.Span, src.Shape[axis], srcStart, dst.Span, dst.Shape[axis], dstStart, length,
            src.Shape.Outer(axis), src.Shape.Inner(axis), accumulate);
        KernelProfile.Stop(KernelFamily.Copy, start);
    }

    /// <inheritdoc />
    public void Gather(Tensor x, int axis, ReadOnlySpan<int> indices, Tensor y)
    {
        long start = KernelProfile.Start();
        LayoutKernels.Gather(x.Span, indices, y.Span, x.Shape.Outer(axis), x.Shape[axis], x.Shape.Inner(axis));
        KernelProfile.Stop(KernelFamily.Copy, start);
    }

    /// <inheritdoc />
    public void GatherBackward(Tensor dy, int axis, ReadOnlySpan<int> indices, Tensor dx)
    {
        long start = KernelProfile.Start();
        LayoutKernels.GatherBackward(dy.Span, indices, dx.Span,
            dx.Shape.Outer(axis), dx.Shape[axis], dx.Shape.Inner(axis));
        KernelProfile.Stop(KernelFamily.Copy, start);
    }

    /// <inheritdoc />
    public void AffineCoupling(Tensor x, Tensor parameters, AffineScaleKind kind, bool inverse, Tensor y,
        Tensor logDet)
    {
        long start = KernelProfile.Start();
        AffineCouplingKernels.Forward(x.Span, parameters.Span, kind, inverse, y.Span, logDet.Span,
            x.Shape[0], x.Shape[1]);
        KernelProfile.Stop(KernelFamily.Coupling, start);
    }

    /// <inheritdoc />
    public void AffineCouplingBackward(Tensor x, Tensor parameters, AffineScaleKind kind, bool inverse, Tensor? dy,
        Tensor? dLogDet, Tensor? dx, bool dxOverwrite, Tensor? dParameters, bool dParametersOverwrite)
    {
        long start = KernelProfile.Start();
        AffineCouplingKernels.Backward(x.Span, parameters.Span, kind, inverse, SpanOrEmpty(dy), SpanOrEmpty(dLogDet),
            SpanOrEmpty(dx), dxOverwrite, SpanOrEmpty(dParameters), dParametersOverwrite, x.Shape[0], x.Shape[1]);
        KernelProfile.Stop(KernelFamily.Coupling, start);
    }

    /// <inheritdoc />
    public void SplineCoupling(Tensor x, Tensor parameters, SplineCouplingOptions options, bool inverse, Tensor y,
        Tensor logDet)
    {
        long start = KernelProfile.Start();
        SplineCouplingKernels.Forward(x.Span, parameters.Span, options, inverse, y.Span, logDet.Span,
            x.Shape[0], x.Shape[1]);
        KernelProfile.Stop(KernelFamily.Coupling, start);
    }

    /// <inheritdoc />
    public void SplineCouplingBackward(Tensor x, Tensor parameters, SplineCouplingOptions options, bool inverse,
        Tensor? dy, Tensor? dLogDet, Tensor? dx, bool dxOverwrite, Tensor? dParameters, bool dParametersOverwrite)
    {
        long start = KernelProfile.Start();
        SplineCouplingKernels.Backward(x.Span, parameters.Span, options, inverse, SpanOrEmpty(dy),
            SpanOrEmpty(dLogDet), SpanOrEmpty(dx), dxOverwrite, SpanOrEmpty(dParameters), dParametersOverwrite,
            x.Shape[0], x.Shape[1]);
        KernelProfile.Stop(KernelFamily.Coupling, start);
    }

    /// <summary>The tensor's elements, or an empty span for an absent (not wanted) tensor.</summary>
    private static Span<float> SpanOrEmpty(Tensor? t) => t is null ? default : t.Span;

    /// <summary>
    /// The shape's dimensions, copied into <paramref name="storage"/> (at least <see cref="Shape.MaxRank"/> long).
    /// </summary>
    private static ReadOnlySpan<int> Dims(Shape shape, Span<int> storage)
    {
        shape.CopyTo(storage);
        return storage[..shape.Rank];
    }
}
