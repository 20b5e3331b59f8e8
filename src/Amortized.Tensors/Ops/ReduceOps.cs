using Amortized.Kernels.Cpu;
using Amortized.Tensors.Autodiff;
using Amortized.Tensors.Backends;

namespace Amortized.Tensors.Ops;

/// <summary>
/// Reductions along one axis: x (..., n, ...) -> y with that axis removed, or kept with size 1 (keepDims).
/// Derivatives: sum (scale s; mean is s = 1/n) dx_k += s dy; max dx_argmax += dy (first maximum);
/// logsumexp dx_k += dy exp(x_k - y).
/// </summary>
internal sealed class ReduceOp : Op
{
    public static readonly ReduceOp Instance = new();

    public override string Name => "Reduce";

    public static Tensor Forward(ReduceKind kind, Tensor x, int axis, bool keepDims, float scale = 1f)
    {
        if (x.Rank == 0)
        {
            // A scalar reduces as a one-element vector.
            x = ReshapeOp.Forward(x, new Shape(1));
            axis = 0;
            keepDims = false;
        }
        axis = x.Shape.NormalizeAxis(axis);
        var shape = keepDims ? x.Shape.With(axis, 1) : x.Shape.Without(axis);
        var y = Tensor.EmptyLike(x, shape);
        x.Backend.Reduce(kind, x, axis, y, scale);
        if (Tape.ShouldRecord(x))
        {
            var e = Tape.Push(Instance, y, x);
            e.I0 = (int)kind;
            e.I1 = axis;
            e.F0 = scale;
        }
        return y;
    }

    /// <summary>Sum (times scale) over all elements, as a scalar.</summary>
    public static Tensor All(Tensor x, float scale)
    {
        var flat = ReshapeOp.Forward(x, new Shape(x.Size));
        return Forward(ReduceKind.Sum, flat, 0, keepDims: false, scale);
    }

    public override void Backward(TapeEntry e)
    {
        var dx = Tape.GradOf(e.A, out bool fresh);
        if (dx is null) return;
        e.A!.Backend.ReduceBackward((ReduceKind)e.I0, e.A, e.Output, e.Output.Grad!, e.I1,
            dx, e.F0, accumulate: !fresh);
    }
}

/// <summary>Softmax along an axis: y_k = exp(x_k) / sum_j exp(x_j); dx_k += y_k (dy_k - sum_j dy_j y_j).</summary>
internal sealed class SoftmaxOp : Op
{
    public static readonly SoftmaxOp Instance = new();

    public override string Name => "Softmax";

    public static Tensor Forward(Tensor x, int axis)
    {
        axis = x.Shape.NormalizeAxis(axis);
        var y = Tensor.EmptyLike(x, x.Shape);
        x.Backend.Softmax(x, axis, y);
        if (Tape.ShouldRecord(x)) Tape.Push(Instance, y, x).I0 = axis;
        return y;
    }

    public override void Backward(TapeEntry e)
    {
        var dx = Tape.GradOf(e.A);
        if (dx is null) return;
        e.A!.Backend.SoftmaxBackward(e.Output, e.Output.Grad!, e.I0, dx);
    }
}

/// <summary>
/// Layer normalisation over the last axis: y = (x - mean) / sqrt(var + eps) * gamma + beta.
/// Shapes: x (..., D), gamma and beta (D) or absent, y (..., D); mean and 1/std saved per row.
/// </summary>
internal sealed class LayerNormOp : Op
{
    public static readonly LayerNormOp Instance = new();

    public override string Name => "LayerNorm";

    public static Tensor Forward(Tensor x, Tensor? gamma, Tensor? beta, float epsilon)
    {
        if (x.Rank < 1) throw new ArgumentException($"LayerNorm: x is {x.Shape}; it needs rank >= 1.", nameof(x));
        int d = x.Shape[-1];
        if (gamma is not null && (gamma.Rank != 1 || gamma.Shape[0] != d))
            throw new ArgumentException(
                $"LayerNorm: gamma is {gamma.Shape}; expected ({d},) for x {x.Shape}.", nameof(gamma));
        if (beta is not null && (beta.Rank != 1 || beta.Shape[0] != d))
            throw new ArgumentException(
                $"LayerNorm: beta is {beta.Shape}; expected ({d},) for x {x.Shape}.", nameof(beta));
        int rows = d == 0 ? 0 : x.Size / d;
        var y = Tensor.EmptyLike(x, x.Shape);
        var mean = Tensor.EmptyLike(x, new Shape(rows));
        var rstd = Tensor.EmptyLike(x, new Shape(rows));
        x.Backend.LayerNorm(x, gamma, beta, epsilon, y, mean, rstd);
        if (Tape.ShouldRecord(x, gamma, beta))
        {
            var e = Tape.Push(Instance, y, x, gamma, beta);
            e.Saved0 = mean;
            e.Saved1 = rstd;
        }
        return y;
    }

    public override void Backward(TapeEntry e) =>
        e.A!.Backend.LayerNormBackward(e.A, e.B, e.Saved0!, e.Saved1!, e.Output.Grad!, Tape.GradOf(e.A),
            Tape.GradOf(e.B), Tape.GradOf(e.C));
}
