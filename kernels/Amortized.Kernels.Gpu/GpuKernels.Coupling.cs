using Amortized.Kernels.Cpu;
using ILGPU;
using ILGPU.Runtime;

namespace Amortized.Kernels.Gpu;

// Launchers of the fused affine coupling (CouplingKernels.cs); the spline coupling's are in GpuKernels.Spline.cs.
public sealed partial class GpuKernels
{
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        CouplingParams>? _affineCoupling;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, CouplingParams>? _affineCouplingBackward;

    /// <summary>
    /// Fused affine coupling, one thread per row: x (rows, features), parameters (rows, 2 features) = [a | t];
    /// y = x s(a) + t, or (x - t) / s(a) when <paramref name="inverse"/>; logDet (rows) = +-sum over the row of log s.
    /// </summary>
    public void AffineCoupling(ArrayView<float> x, ArrayView<float> parameters,
        ArrayView<float> y, ArrayView<float> logDet,
        int rows, int features, AffineScaleKind kind, bool inverse)
    {
        if (rows < 0 || features < 0)
            throw new ArgumentException($"AffineCoupling: negative shape ({rows}, {features}).");
        if ((uint)kind > (uint)AffineScaleKind.SoftplusAsinh)
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "AffineCoupling: unknown scale kind.");
        long n = (long)rows * features;
        Require(x, n, nameof(x));
        Require(parameters, 2 * n, nameof(parameters));
        Require(y, n, nameof(y));
        Require(logDet, rows, nameof(logDet));
        if (rows == 0)
            return;
        var c = new CouplingParams { Rows = rows, Features = features, Kind = (int)kind, Inverse = inverse ? 1 : 0 };
        (_affineCoupling ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, CouplingParams>(CouplingKernels.AffineCoupling))(
            Config(rows), OrDummy(x), OrDummy(parameters), OrDummy(y), logDet, c);
    }

    /// <summary>
    /// Which optional gradients of a coupling backward are present (empty means absent), each checked against its
    /// length: dy and dx (elements), dLogDet (rows), dParameters (parameterCount).
    /// </summary>
    private static (bool Dy, bool DLogDet, bool Dx, bool Dp) CouplingGradients(
        ArrayView<float> dy, ArrayView<float> dLogDet,
        ArrayView<float> dx, ArrayView<float> dParameters, long elements, int rows, long parameterCount)
    {
        bool hasDy = Has(dy), hasDLogDet = Has(dLogDet), hasDx = Has(dx), hasDp = Has(dParameters);
        if (hasDy)
            Require(dy, elements, nameof(dy));
        if (hasDLogDet)
            Require(dLogDet, rows, nameof(dLogDet));
        if (hasDx)
            Require(dx, elements, nameof(dx));
        if (hasDp)
            Require(dParameters, parameterCount, nameof(dParameters));
        return (hasDy, hasDLogDet, hasDx, hasDp);
    }

    /// <summary>
    /// Backward of <see cref="AffineCoupling"/> from dy (rows, features) and dLogDet (rows), either empty meaning zero:
    /// dx (rows, features) and dParameters (rows, 2 features), each empty (not wanted), overwritten when its flag is
    /// set, or accumulated into. log s is recomputed from the parameters.
    /// </summary>
    public void AffineCouplingBackward(ArrayView<float> x, ArrayView<float> parameters,
        ArrayView<float> dy, ArrayView<float> dLogDet,
        ArrayView<float> dx, bool dxOverwrite, ArrayView<float> dParameters, bool dParametersOverwrite,
        int rows, int features, AffineScaleKind kind, bool inverse)
    {
        if (rows < 0 || features < 0)
            throw new ArgumentException($"AffineCouplingBackward: negative shape ({rows}, {features}).");
        if ((uint)kind > (uint)AffineScaleKind.SoftplusAsinh)
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "AffineCouplingBackward: unknown scale kind.");
        long n = (long)rows * features;
        Require(x, n, nameof(x));
        Require(parameters, 2 * n, nameof(parameters));
        var has = CouplingGradients(dy, dLogDet, dx, dParameters, n, rows, 2 * n);
        if (n == 0 || (!has.Dx && !has.Dp))
            return;
        var c = new CouplingParams
        {
            Rows = rows, Features = features, Kind = (int)kind, Inverse = inverse ? 1 : 0,
            HasDy = has.Dy ? 1 : 0, HasDLogDet = has.DLogDet ? 1 : 0,
            HasDx = has.Dx ? 1 : 0, DxOverwrite = dxOverwrite ? 1 : 0, HasDp = has.Dp ? 1 : 0,
            DpOverwrite = dParametersOverwrite ? 1 : 0,
        };
        (_affineCouplingBackward ??= Accelerator.LoadStreamKernel<ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, CouplingParams>(
            CouplingKernels.AffineCouplingBackward))(
            Config(rows), x, parameters, OrDummy(dy), OrDummy(dLogDet), OrDummy(dx), OrDummy(dParameters), c);
    }
}
