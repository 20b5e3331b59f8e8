using ILGPU;
using ILGPU.Runtime;

namespace Amortized.Kernels.Gpu;

// Launcher of the Adam/AdamW update (ElementwiseKernels.cs). The CPU twin is Amortized.Kernels.Cpu's AdamKernel.
public sealed partial class GpuKernels
{
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, AdamParams>? _adam;

    /// <summary>
    /// One Adam/AdamW step over all parameters, the formula of Amortized.Networks.Optim.Adam: g' = g * gradScale;
    /// m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2; p = p * decay - stepSize * m / (sqrt(v) * invSqrtBc2 + eps).
    /// p, g, m, v are (N); p, m, v are updated in place.
    /// </summary>
    public void Adam(ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, float gradScale,
        float b1, float b2, float stepSize, float invSqrtBc2, float eps, float decay)
    {
        int n = Count(p, nameof(p));
        Require(g, n, nameof(g));
        Require(m, n, nameof(m));
        Require(v, n, nameof(v));
        if (n == 0)
            return;
        var a = new AdamParams { N = n, GradScale = gradScale, B1 = b1, B2 = b2, StepSize = stepSize,
            InvSqrtBc2 = invSqrtBc2, Eps = eps, Decay = decay };
        (_adam ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            AdamParams>(ElementwiseKernels.Adam))(Config(n), p, g, m, v, a);
    }
}
