using Amortized.Kernels.Cpu;
using ILGPU;
using ILGPU.Runtime;

namespace Amortized.Kernels.Gpu;

// Launchers of the fused rational-quadratic spline coupling (SplineKernels.cs): one launch forward, one backward.
public sealed partial class GpuKernels
{
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        SplineParams>? _splineCoupling;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, SplineParams>? _splineCouplingBackward;

    /// <summary>
    /// Fused spline coupling: x (rows, features), parameters (rows, features * (3 bins - 1)); y (rows, features) is the
    /// spline (its inverse when <paramref name="inverse"/>) where |x| &lt;= bound and x elsewhere; logDet (rows) is
    /// +-sum over the row of log dy/dx (minus for the inverse). The layout and constants are those of
    /// <see cref="SplineCouplingOptions"/>, shared with the CPU twin <see cref="SplineCouplingKernels"/>.
    /// </summary>
    public void SplineCoupling(ArrayView<float> x, ArrayView<float> parameters, ArrayView<float> y,
        ArrayView<float> logDet, int rows, int features, SplineCouplingOptions options, bool inverse)
    {
        var c = Spline(rows, features, options, inverse, "SplineCoupling");
        int bins = options.Bins;
        long n = (long)rows * features;
        Require(x, n, nameof(x));
        Require(parameters, n * (3 * bins - 1), nameof(parameters));
        Require(y, n, nameof(y));
        Require(logDet, rows, nameof(logDet));
        if (rows == 0)
            return;
        // A group holds whole rows (ThreadsPerRow threads each), so the log-det sum stays inside it.
        c.ThreadsPerRow = Math.Max(1, Math.Min(features, _group));
        c.RowsPerGroup = _group / c.ThreadsPerRow;
        c.Blocks = (rows + c.RowsPerGroup - 1) / c.RowsPerGroup;
        var config = new KernelConfig(new Index1D(Math.Clamp(c.Blocks, 1, _maxGroups)), new Index1D(_group));
        (_splineCoupling ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, SplineParams>(SplineKernels.SplineCoupling))(
            config, OrDummy(x), OrDummy(parameters), OrDummy(y), logDet, c);
    }

    /// <summary>
    /// Backward of <see cref="SplineCoupling"/> from dy (rows, features) and dLogDet (rows), either empty meaning zero:
    /// dx (rows, features) and dParameters (rows, features * (3 bins - 1)), each empty (not wanted), overwritten when
    /// its flag is set, or accumulated into. The bins are recomputed from x and the parameters.
    /// </summary>
    public void SplineCouplingBackward(ArrayView<float> x, ArrayView<float> parameters,
        ArrayView<float> dy, ArrayView<float> dLogDet,
        ArrayView<float> dx, bool dxOverwrite, ArrayView<float> dParameters, bool dParametersOverwrite,
        int rows, int features, SplineCouplingOptions options, bool inverse)
    {
        var c = Spline(rows, features, options, inverse, "SplineCouplingBackward");
        long n = (long)rows * features, p = n * options.ParametersPerFeature;
        Require(x, n, nameof(x));
        Require(parameters, p, nameof(parameters));
        var has = CouplingGradients(dy, dLogDet, dx, dParameters, n, rows, p);
        if (n == 0 || (!has.Dx && !has.Dp))
            return;
        c.HasDy = has.Dy ? 1 : 0;
        c.HasDLogDet = has.DLogDet ? 1 : 0;
        c.HasDx = has.Dx ? 1 : 0;
        c.DxOverwrite = dxOverwrite ? 1 : 0;
        c.HasDp = has.Dp ? 1 : 0;
        c.DpOverwrite = dParametersOverwrite ? 1 : 0;
        (_splineCouplingBackward ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>, SplineParams>(SplineKernels.SplineCouplingBackward))(
            Config(n), x, parameters, OrDummy(dy), OrDummy(dLogDet), OrDummy(dx), OrDummy(dParameters), c);
    }

    private static SplineParams Spline(int rows, int features, SplineCouplingOptions options, bool inverse, string name)
    {
        int bins = options.Bins;
        if (rows < 0 || features < 0)
            throw new ArgumentException($"{name}: negative shape ({rows}, {features}).");
        if (bins < 1)
            throw new ArgumentException($"{name}: {bins} bins; at least 1 is needed.", nameof(bins));
        if ((long)rows * features * (3 * bins - 1) > int.MaxValue)
            throw new ArgumentException(
                $"{name}: ({rows}, {features}) with {bins} bins has more parameters than int indexes.");
        return new SplineParams
        {
            Rows = rows, Features = features, Bins = bins, Inverse = inverse ? 1 : 0,
            Bound = options.Bound, MinWidth = options.MinBinWidth, MinHeight = options.MinBinHeight,
            MinDerivative = options.MinDerivative, Shift = options.DerivativeShift,
        };
    }
}
