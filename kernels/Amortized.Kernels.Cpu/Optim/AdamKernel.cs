using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// The Adam/AdamW update over flat spans. The ILGPU twin is Amortized.Kernels.Gpu's ElementwiseKernels.cs.
/// </summary>
public static class AdamKernel
{
    /// <summary>
    /// One update of parameters p, gradients g and moments m, v, all (N):
    /// g' = g gradScale; m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2;
    /// p = p decay - stepSize m / (sqrt(v) invSqrtBc2 + eps).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Update(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v,
        float gradScale, float b1, float b2, float stepSize, float invSqrtBc2, float eps, float decay)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && p.Length >= 8)
        {
            // 8 parameters per iteration; the scalar loop below finishes the tail with the same formula.
            var vb1 = Vector256.Create(b1); var vb1c = Vector256.Create(1f - b1);
            var vb2 = Vector256.Create(b2); var vb2c = Vector256.Create(1f - b2);
            var vStep = Vector256.Create(stepSize); var vBc2 = Vector256.Create(invSqrtBc2);
            var vEps = Vector256.Create(eps); var vDecay = Vector256.Create(decay);
            var vScale = Vector256.Create(gradScale);
            ref float pr = ref p[0]; ref float gr = ref Unsafe.AsRef(in g[0]);
            ref float mr = ref m[0]; ref float vr = ref v[0];
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
