using Amortized.Tensors.Autodiff;

namespace Amortized.Tensors.Tests.Autodiff;

/// <summary>
/// y = x^2 with a backward rule that can be made deliberately wrong: dx_i += scale_i * 2 x_i dy_i, where
/// scale_i = <c>scale</c> for every element (wrongIndex &lt; 0) or only for element wrongIndex. scale = 1 is correct.
/// </summary>
internal sealed class SquareWithScaledBackwardOp : Op
{
    public static readonly SquareWithScaledBackwardOp Instance = new();

    public override string Name => "SquareWithScaledBackward (test)";

    public static Tensor Forward(Tensor x, float scale, int wrongIndex = -1)
    {
        var y = Tensor.Zeros(x.Shape);
        for (int i = 0; i < x.Size; i++) y.Span[i] = x.Span[i] * x.Span[i];
        if (Tape.ShouldRecord(x))
        {
            var e = Tape.Push(Instance, y, x);
            e.F0 = scale;
            e.I0 = wrongIndex;
        }
        return y;
    }

    public override void Backward(TapeEntry e)
    {
        var dx = Tape.GradOf(e.A);
        if (dx is null) return;
        var x = e.A!.Span;
        var dy = e.Output.Grad!.Span;
        for (int i = 0; i < x.Length; i++)
        {
            float scale = e.I0 < 0 || e.I0 == i ? e.F0 : 1f;
            dx.Span[i] += scale * 2f * x[i] * dy[i];
        }
    }
}

/// <summary>
/// y = a + b for a (M, N) and b (N) broadcast over rows, with a backward that forgets the broadcast sum for b:
/// db += dy[0, :] instead of sum over rows of dy (a classic broadcasting bug). da is correct.
/// </summary>
internal sealed class RowBroadcastAddMissingSumOp : Op
{
    public static readonly RowBroadcastAddMissingSumOp Instance = new();

    public override string Name => "RowBroadcastAddMissingSum (test)";

    public static Tensor Forward(Tensor a, Tensor b)
    {
        int m = a.Shape[0], n = a.Shape[1];
        var y = Tensor.Zeros(a.Shape);
        for (int r = 0; r < m; r++)
            for (int c = 0; c < n; c++) y.Span[r * n + c] = a.Span[r * n + c] + b.Span[c];
        if (Tape.ShouldRecord(a, b)) Tape.Push(Instance, y, a, b);
        return y;
    }

    public override void Backward(TapeEntry e)
    {
        var dy = e.Output.Grad!.Span;
        var da = Tape.GradOf(e.A);
        if (da is not null)
            for (int i = 0; i < dy.Length; i++) da.Span[i] += dy[i];
        var db = Tape.GradOf(e.B);
        if (db is not null)
            for (int c = 0; c < db.Size; c++) db.Span[c] += dy[c];          // BUG on purpose: only row 0
    }
}
