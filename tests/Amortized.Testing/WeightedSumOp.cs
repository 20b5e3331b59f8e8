using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Testing;

/// <summary>
/// The gradient check's loss L = sum_i r_i y_i with fixed weights r, as a tape op of its own, so that seeding
/// backward does not go through the engine's Mul and Sum (which are themselves under test).
/// Shapes: y any, r same size, L scalar. Derivative: dy_i += dL r_i.
/// </summary>
internal sealed class WeightedSumOp : Op
{
    public static readonly WeightedSumOp Instance = new();

    public override string Name => "WeightedSum (test)";

    public static Tensor Forward(Tensor y, double[] weights)
    {
        var loss = Tensor.FromArray([(float)Evaluate(y.Span, weights)]);
        if (Tape.ShouldRecord(y))
        {
            var e = Tape.Push(Instance, loss, y);
            var r = new float[weights.Length];
            for (int i = 0; i < r.Length; i++) r[i] = (float)weights[i];
            e.Saved0 = Tensor.FromArray(r, y.Shape.ToArray());
        }
        return loss;
    }

    /// <summary>sum_i r_i y_i accumulated in double.</summary>
    public static double Evaluate(ReadOnlySpan<float> y, double[] weights)
    {
        double sum = 0;
        for (int i = 0; i < y.Length; i++) sum += weights[i] * y[i];
        return sum;
    }

    public override void Backward(TapeEntry e)
    {
        var dy = Tape.GradOf(e.A);
        if (dy is null) return;
        float dLoss = e.Output.Grad!.Span[0];
        ReadOnlySpan<float> r = e.Saved0!.Span;
        Span<float> d = dy.Span;
        for (int i = 0; i < d.Length; i++) d[i] += dLoss * r[i];          // dy_i += dL r_i
    }
}
