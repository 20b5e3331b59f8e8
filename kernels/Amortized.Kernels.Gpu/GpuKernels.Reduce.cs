using Amortized.Kernels.Cpu;
using ILGPU;
using ILGPU.Runtime;

namespace Amortized.Kernels.Gpu;

// Launchers of the reductions, softmax, layer norm and the sum of squares (ReduceKernels.cs); a reduction views x as
// (outer, length, inner) and y as (outer, inner). The CPU twin is Amortized.Kernels.Cpu's ReductionKernels.
public sealed partial class GpuKernels
{
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ReduceParams>? _reduceThread, _reduceGroupKernel,
        _softmax;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ReduceParams>? _reduceBackwardElementwise, _reduceBackwardMax;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ReduceParams>? _softmaxBackward;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, ArrayView<float>, LayerNormParams>? _layerNorm,
        _layerNormBackwardRows, _layerNormBackwardColumns;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int>? _sumSquaresPartial, _sumFinal;

    private static ReduceParams ReduceShape(ReduceKind op, int outer, int length, int inner, float scale,
        bool accumulate)
    {
        if (outer < 0 || length < 0 || inner < 0)
            throw new ArgumentException($"Reduce: negative shape ({outer}, {length}, {inner}).");
        if ((uint)op > (uint)ReduceKind.LogSumExp)
            throw new ArgumentOutOfRangeException(nameof(op), op, null);
        return new ReduceParams { Outer = outer, Length = length, Inner = inner, Op = (int)op, Scale = scale,
            Accumulate = accumulate ? 1 : 0 };
    }

    /// <summary>
    /// y[o, i] = reduce over k of x[o, k, i]: Sum gives scale * sum; Max (-inf for length 0); LogSumExp is
    /// max + log sum exp(x - max), -inf when the max is -inf. <paramref name="scale"/> is used by Sum only.
    /// </summary>
    public void Reduce(ReduceKind op, ArrayView<float> x, ArrayView<float> y, int outer, int length, int inner,
        float scale)
    {
        var p = ReduceShape(op, outer, length, inner, scale, false);
        long outputs = (long)outer * inner;
        Require(y, outputs, nameof(y));
        Require(x, outputs * length, nameof(x));
        if (outputs == 0)
            return;
        if (length > 0 && UseGroupReduction(outputs, length))
        {
            (_reduceGroupKernel ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>,
                ReduceParams>(ReduceKernels.ReduceGroup))(
                GroupPerOutput((int)outputs), x, y, p);
        }
        else
        {
            (_reduceThread ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>,
                ReduceParams>(ReduceKernels.ReduceThread))(
                Config(outputs), OrDummy(x), y, p);
        }
    }

    /// <summary>
    /// dx (+)= d reduce / dx * dy: Sum gives scale * dy to every element; Max gives dy to the first element equal to
    /// y (others 0); LogSumExp gives dy * exp(x - y). Without <paramref name="accumulate"/>, dx is overwritten.
    /// </summary>
    public void ReduceBackward(ReduceKind op, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy,
        ArrayView<float> dx, int outer, int length, int inner, float scale, bool accumulate)
    {
        var p = ReduceShape(op, outer, length, inner, scale, accumulate);
        long outputs = (long)outer * inner, n = outputs * length;
        Require(dx, n, nameof(dx));
        Require(dy, outputs, nameof(dy));
        if (op != ReduceKind.Sum)
        {
            Require(x, n, nameof(x));
            Require(y, outputs, nameof(y));
        }
        if (n == 0)
            return;
        ArrayView<float> xv = OrDummy(x), yv = OrDummy(y);
        if (op == ReduceKind.Max)
        {
            (_reduceBackwardMax ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
                ArrayView<float>, ReduceParams>(ReduceKernels.ReduceBackwardMax))(
                Config(outputs), xv, yv, dy, dx, p);
        }
        else
        {
            (_reduceBackwardElementwise ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>,
                ArrayView<float>, ArrayView<float>, ReduceParams>(ReduceKernels.ReduceBackwardElementwise))(
                Config(n), xv, yv, dy, dx, p);
        }
    }

    /// <summary>y = softmax of x along the middle axis of (outer, length, inner), max-subtracted.</summary>
    public void Softmax(ArrayView<float> x, ArrayView<float> y, int outer, int length, int inner)
    {
        var p = ReduceShape(ReduceKind.Sum, outer, length, inner, 1f, false);
        long outputs = (long)outer * inner;
        Require(x, outputs * length, nameof(x));
        Require(y, outputs * length, nameof(y));
        if (outputs * length == 0)
            return;
        (_softmax ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ReduceParams>(
            ReduceKernels.Softmax))(Config(outputs), x, y, p);
    }

    /// <summary>dx += y * (dy - sum_k dy_k y_k) along the middle axis of (outer, length, inner).</summary>
    public void SoftmaxBackward(ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx,
        int outer, int length, int inner)
    {
        var p = ReduceShape(ReduceKind.Sum, outer, length, inner, 1f, true);
        long outputs = (long)outer * inner, n = outputs * length;
        Require(y, n, nameof(y));
        Require(dy, n, nameof(dy));
        Require(dx, n, nameof(dx));
        if (n == 0)
            return;
        (_softmaxBackward ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ReduceParams>(ReduceKernels.SoftmaxBackward))(Config(outputs), y, dy, dx, p);
    }

    /// <summary>
    /// Layer norm of x (rows, cols) over cols: y = (x - mean) * rstd * gamma + beta with rstd = 1/sqrt(var + eps)
    /// (biased variance). gamma and beta are (cols) or empty; mean and rstd (rows) are written for the backward pass.
    /// </summary>
    public void LayerNorm(ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, float epsilon,
        ArrayView<float> y, ArrayView<float> mean, ArrayView<float> rstd, int rows, int cols)
    {
        if (rows < 0 || cols < 0)
            throw new ArgumentException($"LayerNorm: negative shape ({rows}, {cols}).");
        if (rows == 0 || cols == 0)
            return;
        long n = (long)rows * cols;
        Require(x, n, nameof(x));
        Require(y, n, nameof(y));
        Require(mean, rows, nameof(mean));
        Require(rstd, rows, nameof(rstd));
        bool hasGamma = Has(gamma), hasBeta = Has(beta);
        if (hasGamma)
            Require(gamma, cols, nameof(gamma));
        if (hasBeta)
            Require(beta, cols, nameof(beta));
        var p = new LayerNormParams { Rows = rows, Cols = cols, Epsilon = epsilon,
            HasGamma = hasGamma ? 1 : 0, HasBeta = hasBeta ? 1 : 0 };
        (_layerNorm ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>, LayerNormParams>(ReduceKernels.LayerNorm))(
            Config(rows), x, OrDummy(gamma), OrDummy(beta), y, mean, rstd, p);
    }

    /// <summary>
    /// Layer norm backward, accumulating: dx += rstd (dnorm - mean(dnorm) - xhat mean(dnorm xhat)) with
    /// dnorm = dy * gamma; dGamma += sum over rows of dy * xhat; dBeta += sum over rows of dy. Any of dx, dGamma,
    /// dBeta may be empty (not computed); gamma empty means 1.
    /// </summary>
    public void LayerNormBackward(ArrayView<float> x, ArrayView<float> gamma,
        ArrayView<float> mean, ArrayView<float> rstd, ArrayView<float> dy, ArrayView<float> dx, ArrayView<float> dGamma,
        ArrayView<float> dBeta, int rows, int cols)
    {
        if (rows < 0 || cols < 0)
            throw new ArgumentException($"LayerNormBackward: negative shape ({rows}, {cols}).");
        if (rows == 0 || cols == 0)
            return;
        long n = (long)rows * cols;
        Require(x, n, nameof(x));
        Require(dy, n, nameof(dy));
        Require(mean, rows, nameof(mean));
        Require(rstd, rows, nameof(rstd));
        bool hasGamma = Has(gamma), hasDx = Has(dx), hasDGamma = Has(dGamma), hasDBeta = Has(dBeta);
        if (hasGamma)
            Require(gamma, cols, nameof(gamma));
        if (hasDx)
            Require(dx, n, nameof(dx));
        if (hasDGamma)
            Require(dGamma, cols, nameof(dGamma));
        if (hasDBeta)
            Require(dBeta, cols, nameof(dBeta));
        var p = new LayerNormParams
        {
            Rows = rows, Cols = cols, HasGamma = hasGamma ? 1 : 0,
            HasDx = hasDx ? 1 : 0, HasDGamma = hasDGamma ? 1 : 0, HasDBeta = hasDBeta ? 1 : 0,
        };
        if (hasDx)
        {
            (_layerNormBackwardRows ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>,
                ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, LayerNormParams>(
                ReduceKernels.LayerNormBackwardRows))(
                Config(rows), x, OrDummy(gamma), mean, rstd, dy, dx, p);
        }
        if (hasDGamma || hasDBeta)
        {
            (_layerNormBackwardColumns ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>,
                ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, LayerNormParams>(
                ReduceKernels.LayerNormBackwardColumns))(
                Config(cols), x, mean, rstd, dy, OrDummy(dGamma), OrDummy(dBeta), p);
        }
    }

    /// <summary>
    /// result[0] = sum of x[i]^2 (result is a 1-element device view), for the global gradient norm. Two passes with
    /// a grid fixed by n (group partials, then one group over the partials), so it is deterministic.
    /// </summary>
    public void SumOfSquares(ArrayView<float> x, ArrayView<float> result)
    {
        Require(result, 1, nameof(result));
        int n = Count(x, nameof(x));
        if (n == 0)
        {
            Fill(result.SubView(0, 1), 0f);
            return;
        }
        int groups = (int)Math.Clamp((n + (long)_reduceGroup - 1) / _reduceGroup, 1, Math.Min(MaxPartials, _maxGroups));
        (_sumSquaresPartial ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(
            ReduceKernels.SumOfSquaresPartial))(
            new KernelConfig(new Index1D(groups), new Index1D(_reduceGroup)), x, _partials.View, n);
        (_sumFinal ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(ReduceKernels.SumFinal))(
            new KernelConfig(new Index1D(1), new Index1D(_reduceGroup)), _partials.View, result, groups);
    }
}
