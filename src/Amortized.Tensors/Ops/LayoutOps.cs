using Amortized.Kernels.Cpu;
using Amortized.Tensors.Autodiff;

namespace Amortized.Tensors.Ops;

/// <summary>Reshape: a view sharing storage (row-major order unchanged); dx += dy element for element.</summary>
internal sealed class ReshapeOp : Op
{
    public static readonly ReshapeOp Instance = new();

    public override string Name => "Reshape";

    public static Tensor Forward(Tensor x, Shape shape)
    {
        if (shape.Size != x.Size)
            throw new ArgumentException($"Reshape: tensor of shape {x.Shape} ({x.Size} elements) cannot be viewed as " +
                $"{shape} ({shape.Size} elements).");
        var y = x.View(shape);
        if (Tape.ShouldRecord(x)) Tape.Push(Instance, y, x);
        return y;
    }

    public override void Backward(TapeEntry e)
    {
        var dx = Tape.GradOf(e.A, out bool fresh);
        if (dx is null) return;
        if (fresh) dx.Backend.Copy(e.Output.Grad!, dx);
        else e.A!.Backend.AddScaled(e.Output.Grad!, dx, 1f);
    }
}

/// <summary>Permute axes (y axis k = x axis perm[k]), copying; dx += dy permuted back.</summary>
internal sealed class PermuteOp : Op
{
    public static readonly PermuteOp Instance = new();

    public override string Name => "Permute";

    public static Tensor Forward(Tensor x, int[] permutation)
    {
        if (permutation.Length != x.Rank)
            throw new ArgumentException(
                $"Permute: permutation has {permutation.Length} axes; tensor of shape {x.Shape} has {x.Rank}.");
        Span<int> dims = stackalloc int[Shape.MaxRank];
        Span<bool> seen = stackalloc bool[Shape.MaxRank];
        for (int k = 0; k < permutation.Length; k++)
        {
            int p = permutation[k];
            if ((uint)p >= (uint)x.Rank || seen[p])
                throw new ArgumentException($"Permute: [{string.Join(", ", permutation)}] is not a permutation of " +
                    $"the {x.Rank} axes of {x.Shape}.");
            seen[p] = true;
            dims[k] = x.Shape[p];
        }
        var y = Tensor.EmptyLike(x, new Shape(dims[..x.Rank]));
        x.Backend.Permute(x, permutation, y, accumulate: false);
        if (Tape.ShouldRecord(x)) Tape.Push(Instance, y, x).Indices = permutation;
        return y;
    }

    public override void Backward(TapeEntry e)
    {
        var dx = Tape.GradOf(e.A, out bool fresh);      // a permutation writes every element of dx
        if (dx is null) return;
        var perm = e.Indices!;
        Span<int> inverse = stackalloc int[perm.Length];
        for (int k = 0; k < perm.Length; k++) inverse[perm[k]] = k;
        e.A!.Backend.Permute(e.Output.Grad!, inverse, dx, accumulate: !fresh);
    }
}

/// <summary>Broadcast x to a larger shape (NumPy rules), copying; dx += dy summed over the broadcast axes.</summary>
internal sealed class BroadcastOp : Op
{
    public static readonly BroadcastOp Instance = new();

    public override string Name => "BroadcastTo";

    public static Tensor Forward(Tensor x, Shape shape)
    {
        if (Shape.Broadcast(x.Shape, shape, "BroadcastTo") != shape)
            throw new ArgumentException($"BroadcastTo: tensor of shape {x.Shape} cannot be broadcast to {shape}.");
        var y = Tensor.ZerosLike(x, shape);
        x.Backend.Binary(BinaryKind.Add, y, x, y);
        if (Tape.ShouldRecord(x)) Tape.Push(Instance, y, x);
        return y;
    }

    public override void Backward(TapeEntry e)
    {
        var dx = Tape.GradOf(e.A);
        if (dx is not null) e.A!.Backend.SumToShape(e.Output.Grad!, dx, 1f);
    }
}

/// <summary>
/// One input's part of a concatenation or a slice: y[.., start:start+len, ..] along an axis. Concat records one
/// entry per input (so any number of inputs fit the fixed-size tape entry); backward copies the matching
/// slice of the gradient back.
/// </summary>
internal sealed class SliceOp : Op
{
    public static readonly SliceOp Instance = new();
    public static readonly ConcatPart ConcatPartInstance = new();

    public override string Name => "Slice";

    public static Tensor Forward(Tensor x, int axis, int start, int length)
    {
        axis = x.Shape.NormalizeAxis(axis);
        if (start < 0 || length < 0 || start + length > x.Shape[axis])
            throw new ArgumentOutOfRangeException(nameof(start),
                $"Slice: [{start}, {start + length}) is outside axis {axis} of shape {x.Shape}.");
        var y = Tensor.EmptyLike(x, x.Shape.With(axis, length));
        x.Backend.CopySlice(x, axis, start, y, 0, length, accumulate: false);
        if (Tape.ShouldRecord(x))
        {
            var e = Tape.Push(Instance, y, x);
            e.I0 = axis;
            e.I1 = start;
        }
        return y;
    }

    public override void Backward(TapeEntry e)
    {
        var dx = Tape.GradOf(e.A);
        if (dx is null) return;
        e.A!.Backend.CopySlice(e.Output.Grad!, e.I0, 0, dx, e.I1, e.Output.Shape[e.I0], accumulate: true);
    }

    public static Tensor Concat(ReadOnlySpan<Tensor> parts, int axis)
    {
        if (parts.Length == 0) throw new ArgumentException("Concat: no tensors given.", nameof(parts));
        var first = parts[0];
        axis = first.Shape.NormalizeAxis(axis);
        int total = 0;
        foreach (var p in parts)
        {
            if (p.Rank != first.Rank || p.Shape.With(axis, 0) != first.Shape.With(axis, 0))
                throw new ArgumentException($"Concat: shapes {first.Shape} and {p.Shape} differ outside axis {axis}.");
            total += p.Shape[axis];
        }
        foreach (var p in parts) Tensor.CheckSameDevice("Concat", first, p);
        var y = Tensor.EmptyLike(first, first.Shape.With(axis, total));
        int offset = 0;
        foreach (var p in parts)
        {
            int len = p.Shape[axis];
            p.Backend.CopySlice(p, axis, 0, y, offset, len, accumulate: false);
            if (Tape.ShouldRecord(p))
            {
                var e = Tape.Push(ConcatPartInstance, y, p);
                e.I0 = axis;
                e.I1 = offset;
            }
            offset += len;
        }
        return y;
    }

    /// <summary>Backward of one concatenated input: dx += dy[.., offset:offset+len, ..].</summary>
    internal sealed class ConcatPart : Op
    {
        public override string Name => "Concat";

        public override void Backward(TapeEntry e)
        {
            var dx = Tape.GradOf(e.A, out bool fresh);   // the part's whole gradient is copied: no zero fill needed
            if (dx is null) return;
            e.A!.Backend.CopySlice(e.Output.Grad!, e.I0, e.I1, dx, 0, e.A.Shape[e.I0], accumulate: !fresh);
        }
    }
}

/// <summary>
/// Index-select along an axis: y[.., j, ..] = x[.., indices[j], ..]; dx[.., indices[j], ..] += dy[.., j, ..].
/// </summary>
internal sealed class GatherOp : Op
{
    public static readonly GatherOp Instance = new();

    public override string Name => "Gather";

    public static Tensor Forward(Tensor x, int axis, int[] indices)
    {
        axis = x.Shape.NormalizeAxis(axis);
        int n = x.Shape[axis];
        foreach (int i in indices)
            if ((uint)i >= (uint)n)
                throw new ArgumentOutOfRangeException(nameof(indices),
                    $"Gather: index {i} is out of range for axis {axis} of shape {x.Shape}.");
        var y = Tensor.EmptyLike(x, x.Shape.With(axis, indices.Length));
        x.Backend.Gather(x, axis, indices, y);
        if (Tape.ShouldRecord(x))
        {
            var e = Tape.Push(Instance, y, x);
            e.I0 = axis;
            e.Indices = indices;
        }
        return y;
    }

    public override void Backward(TapeEntry e)
    {
        var dx = Tape.GradOf(e.A);
        if (dx is not null) e.A!.Backend.GatherBackward(e.Output.Grad!, e.I0, e.Indices!, dx);
    }
}
