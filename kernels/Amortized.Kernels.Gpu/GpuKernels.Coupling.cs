using ILGPU;
using ILGPU.Runtime;

namespace Amortized.Kernels.Gpu;

// Launchers of the fused affine coupling (CouplingKernels.cs); the spline coupling's are in GpuKernels.Spline.cs.
public sealed partial class GpuKernels
{
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, CouplingParams>? _affineCoupling;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, CouplingParams>? _affineCouplingBackward;

    /// <summary>
    /// Fused affine coupling, one thread per row: x (rows, features), parameters (rows, 2 features) = [a | t];
    /// y = x s(a) + t, or (x - t) / s(a) when <paramref name="inverse"/>; logDet (rows) = +-sum over the row of log s.
    /// </summary>
    public void AffineCoupling(ArrayView<float> x, ArrayView<float> parameters, ArrayView<float> y, ArrayView<float> logDet,
        int rows, int features, GpuAffineScale kind, bool inverse)
    {
        if (rows < 0 || features < 0)
            throw new ArgumentException($"AffineCoupling: negative shape ({rows}, {features}).");
        long n = (long)rows * features;
        Require(x, n, nameof(x));
        Require(parameters, 2 * n, nameof(parameters));
        Require(y, n, nameof(y));
        Require(logDet, rows, nameof(logDet));
        if (rows == 0)
            return;
        var c = new CouplingParams { Rows = rows, Features = features, Kind = (int)kind, Inverse = inverse ? 1 : 0 };
        (_affineCoupling ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, CouplingParams>(CouplingKernels.AffineCoupling))(
            Config(rows), OrDummy(x), OrDummy(parameters), OrDummy(y), logDet, c);
    }

    /// <summary>
    /// Backward of <see cref="AffineCoupling"/> from dy (rows, features) and dLogDet (rows), either empty meaning zero:
    /// dx (rows, features) and dParameters (rows, 2 features), each empty (not wanted), overwritten when its flag is
    /// set, or accumulated into. log s is recomputed from the parameters.
    /// </summary>
    public void AffineCouplingBackward(ArrayView<float> x, ArrayView<float> parameters, ArrayView<float> dy, ArrayView<float> dLogDet,
        ArrayView<float> dx, bool dxOverwrite, ArrayView<float> dParameters, bool dParametersOverwrite,
        int rows, int features, GpuAffineScale kind, bool inverse)
    {
        if (rows < 0 || features < 0)
            throw new ArgumentException($"AffineCouplingBackward: negative shape ({rows}, {features}).");
        long n = (long)rows * features;
        Require(x, n, nameof(x));
        Require(parameters, 2 * n, nameof(parameters));
        bool hasDy = Has(dy), hasDLogDet = Has(dLogDet), hasDx = Has(dx), hasDp = Has(dParameters);
        if (hasDy)
            Require(dy, n, nameof(dy));
        if (hasDLogDet)
            Require(dLogDet, rows, nameof(dLogDet));
        if (hasDx)
            Require(dx, n, nameof(dx));
        if (hasDp)
            Require(dParameters, 2 * n, nameof(dParameters));
        if (n == 0 || (!hasDx && !hasDp))
            return;
        var c = new CouplingParams
        {
            Rows = rows, Features = features, Kind = (int)kind, Inverse = inverse ? 1 : 0,
            HasDy = hasDy ? 1 : 0, HasDLogDet = hasDLogDet ? 1 : 0,
            HasDx = hasDx ? 1 : 0, DxOverwrite = dxOverwrite ? 1 : 0, HasDp = hasDp ? 1 : 0, DpOverwrite = dParametersOverwrite ? 1 : 0,
        };
        (_affineCouplingBackward ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, CouplingParams>(CouplingKernels.AffineCouplingBackward))(
            Config(rows), x, parameters, OrDummy(dy), OrDummy(dLogDet), OrDummy(dx), OrDummy(dParameters), c);
    }
}
