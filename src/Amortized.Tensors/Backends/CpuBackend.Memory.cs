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
    public void Upload(ReadOnlySpan<float> source, Tensor destination)
    {
        long start = KernelProfile.Start();
        source.CopyTo(destination.Span);
        KernelProfile.Stop(KernelFamily.Copy, start);
    }

    /// <inheritdoc />
    public void Download(Tensor source, Span<float> destination)
    {
        long start = KernelProfile.Start();
        source.Span.CopyTo(destination);
        KernelProfile.Stop(KernelFamily.Copy, start);
    }

    /// <inheritdoc />
    public void Fill(Tensor y, float value)
    {
        long start = KernelProfile.Start();
        y.Span.Fill(value);
        KernelProfile.Stop(KernelFamily.Fill, start);
    }

    /// <inheritdoc />
    public void Copy(Tensor src, Tensor dst)
    {
        long start = KernelProfile.Start();
        src.Span.CopyTo(dst.Span);
        KernelProfile.Stop(KernelFamily.Copy, start);
    }

    /// <inheritdoc />
    public double SumOfSquares(Tensor x)
    {
        long start = KernelProfile.Start();
        double result = ReductionKernels.SumOfSquares(x.Span);
        KernelProfile.Stop(KernelFamily.Reduction, start);
        return result;
    }

    /// <inheritdoc />
    public void AdamUpdate(Tensor p, Tensor g, Tensor m, Tensor v, float gradScale, float b1, float b2,
        float stepSize, float invSqrtBc2, float eps, float decay)
    {
        long start = KernelProfile.Start();
        AdamKernel.Update(p.Span, g.Span, m.Span, v.Span, gradScale, b1, b2, stepSize, invSqrtBc2, eps, decay);
        KernelProfile.Stop(KernelFamily.Optimizer, start);
    }
}
