using Amortized.Kernels.Cpu;
using Amortized.Tensors.Autodiff;
using Amortized.Tensors.Backends;

namespace Amortized.Tensors.Ops;

/// <summary>
/// Elementwise unary ops y = f(x; p0, p1). Shapes: x and y identical.
/// Derivatives (dx += dy * f'(x)): neg -1; exp y; log 1/x; sqrt 1/(2y); abs sign(x); x+c 1; c*x c;
/// x^p p x^(p-1); clamp 1 inside [lo, hi], 0 outside; asinh 1/sqrt(x^2 + 1).
/// </summary>
internal sealed class UnaryOp : Op
{
    public static readonly UnaryOp Instance = new();

    public override string Name => "Unary";

    public static Tensor Forward(UnaryKind kind, Tensor x, float p0 = 0f, float p1 = 0f)
    {
        var y = Tensor.EmptyLike(x, x.Shape);
        x.Backend.Unary(kind, x, y, p0, p1);
        if (Tape.ShouldRecord(x))
        {
            var e = Tape.Push(Instance, y, x);
            e.I0 = (int)kind;
            e.F0 = p0;
            e.F1 = p1;
        }
        return y;
    }

    public override void Backward(TapeEntry e)
    {
        var dx = Tape.GradOf(e.A);
        if (dx is null) return;
        e.A!.Backend.UnaryBackward((UnaryKind)e.I0, e.A, e.Output, e.Output.Grad!, dx, e.F0, e.F1);
    }
}

/// <summary>
/// Activation functions y = f(x) (ReLU, SiLU, hard-SiLU, softplus, tanh, sigmoid, GELU, mish); backward
/// dx += dy * f'(x) with the analytic derivative from Amortized.Kernels.Cpu.Activations.
/// </summary>
internal sealed class ActivationOp : Op
{
    public static readonly ActivationOp Instance = new();

    public override string Name => "Activation";

    public static Tensor Forward(Activation kind, Tensor x)
    {
        var y = Tensor.EmptyLike(x, x.Shape);
        x.Backend.Activate(kind, x, y);
        if (Tape.ShouldRecord(x)) Tape.Push(Instance, y, x).Activation = kind;
        return y;
    }

    public override void Backward(TapeEntry e)
    {
        var dx = Tape.GradOf(e.A, out bool fresh);
        if (dx is null) return;
        e.A!.Backend.ActivateBackward(e.Activation, e.A, e.Output.Grad!, dx, accumulate: !fresh);
    }
}

/// <summary>
/// Elementwise y = where(mask != 0, a, b); mask, a, b and y share one shape. The mask gets no gradient:
/// da += dy * [mask], db += dy * [not mask].
/// </summary>
internal sealed class WhereOp : Op
{
    public static readonly WhereOp Instance = new();

    public override string Name => "Where";

    public static Tensor Forward(Tensor mask, Tensor a, Tensor b)
    {
        if (mask.Shape != a.Shape || a.Shape != b.Shape)
            throw new ArgumentException(
                $"Where: mask is {mask.Shape}, a is {a.Shape}, b is {b.Shape}; all three must have the same shape.");
        Tensor.CheckSameDevice("Where", a, b);
        Tensor.CheckSameDevice("Where", a, mask);
        var y = Tensor.EmptyLike(a, a.Shape);
        a.Backend.Where(mask, a, b, y);
        if (Tape.ShouldRecord(a, b)) Tape.Push(Instance, y, a, b, mask);
        return y;
    }

    public override void Backward(TapeEntry e) =>
        e.A!.Backend.WhereBackward(e.C!, e.Output.Grad!, Tape.GradOf(e.A), Tape.GradOf(e.B));
}
