using Amortized.Kernels.Cpu;

namespace Amortized.Tensors.Backends;

public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public Tensor Allocate(Shape shape) => new(new float[shape.Size], 0, shape);

    /// <inheritdoc />
    public DeviceBuffer AllocateBuffer(int floats) =>
        throw new NotSupportedException("CpuBackend: host tensors use float arrays, not device buffers.");

    /// <inheritdoc />
    public void Upload(ReadOnlySpan<float> source, Tensor destination) => source.CopyTo(destination.Span);

    /// <inheritdoc />
    public void Download(Tensor source, Span<float> destination) => source.Span.CopyTo(destination);

    /// <inheritdoc />
    public void Fill(Tensor y, float value) => y.Span.Fill(value);

    /// <inheritdoc />
    public void Copy(Tensor src, Tensor dst) => src.Span.CopyTo(dst.Span);

    /// <inheritdoc />
    public double SumOfSquares(Tensor x) => ReductionKernels.SumOfSquares(x.Span);

    /// <inheritdoc />
    public void AdamUpdate(Tensor p, Tensor g, Tensor m, Tensor v, float gradScale, float b1, float b2,
        float stepSize, float invSqrtBc2, float eps, float decay) =>
        AdamKernel.Update(p.Span, g.Span, m.Span, v.Span, gradScale, b1, b2, stepSize, invSqrtBc2, eps, decay);
}
