using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
    public double SumOfSquares(Tensor x) => SumOfSquares(x.Span);

    /// <summary>Sum of squares of <paramref name="values"/> (what the global gradient norm is made of).</summary>
    internal static double SumOfSquares(ReadOnlySpan<float> values)
    {
        // Chunks summed in float by SIMD, chunk totals in double: accurate and deterministic.
        double sum = 0;
        const int chunk = 4096;
        for (int start = 0; start < values.Length; start += chunk)
        {
            var part = values.Slice(start, Math.Min(chunk, values.Length - start));
            sum += System.Numerics.Tensors.TensorPrimitives.Dot(part, part);
        }
        return sum;
    }

    /// <inheritdoc />
    public void AdamUpdate(Tensor p, Tensor g, Tensor m, Tensor v, float gradScale, float b1, float b2, float stepSize, float invSqrtBc2, float eps, float decay) =>
        AdamCore(p.Span, g.Span, m.Span, v.Span, gradScale, b1, b2, stepSize, invSqrtBc2, eps, decay);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AdamCore(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v,
        float gradScale, float b1, float b2, float stepSize, float invSqrtBc2, float eps, float decay)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && p.Length >= 8)
        {
            // 8 parameters per iteration; the scalar loop below finishes the tail with the same formula.
            var vb1 = Vector256.Create(b1); var vb1c = Vector256.Create(1f - b1);
            var vb2 = Vector256.Create(b2); var vb2c = Vector256.Create(1f - b2);
            var vStep = Vector256.Create(stepSize); var vBc2 = Vector256.Create(invSqrtBc2);
            var vEps = Vector256.Create(eps); var vDecay = Vector256.Create(decay); var vScale = Vector256.Create(gradScale);
            ref float pr = ref p[0]; ref float gr = ref Unsafe.AsRef(in g[0]); ref float mr = ref m[0]; ref float vr = ref v[0];
            for (; i <= p.Length - 8; i += 8)
            {
                var gi = Vector256.LoadUnsafe(ref gr, (nuint)i) * vScale;
                var mi = vb1 * Vector256.LoadUnsafe(ref mr, (nuint)i) + vb1c * gi;
                var vi = vb2 * Vector256.LoadUnsafe(ref vr, (nuint)i) + vb2c * gi * gi;
                var pi = Vector256.LoadUnsafe(ref pr, (nuint)i) * vDecay;
                pi -= vStep * mi / (Vector256.Sqrt(vi) * vBc2 + vEps);
                mi.StoreUnsafe(ref mr, (nuint)i);
                vi.StoreUnsafe(ref vr, (nuint)i);
                pi.StoreUnsafe(ref pr, (nuint)i);
            }
        }
        for (; i < p.Length; i++)
        {
            float gi = g[i] * gradScale;
            m[i] = b1 * m[i] + (1f - b1) * gi;
            v[i] = b2 * v[i] + (1f - b2) * gi * gi;
            p[i] = p[i] * decay - stepSize * m[i] / (MathF.Sqrt(v[i]) * invSqrtBc2 + eps);
        }
    }
}
