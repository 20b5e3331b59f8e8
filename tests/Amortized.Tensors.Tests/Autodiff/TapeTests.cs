using Amortized.Tensors.Autodiff;
using Xunit;

namespace Amortized.Tensors.Tests.Autodiff;

/// <summary>Recording rules of the tape, accumulation of gradients and the no-grad scope.</summary>
public class TapeTests
{
    private static Tensor Leaf(params float[] values)
    {
        var t = Tensor.FromArray(values, values.Length);
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>loss = sum(x * x + 3 x): dloss/dx = 2x + 3, through Mul, Add, a scalar op and Sum.</summary>
    private static Tensor Loss(Tensor x) => (x * x + x * 3f).Sum();

    [Fact]
    public void Backward_SimpleExpression_GivesExactGradient()
    {
        var x = Leaf(1f, -2f, 0.5f);
        var tape = new Tape();

        using (tape.Record()) tape.Backward(Loss(x));

        Assert.Equal([5f, -1f, 4f], x.Grad!.ToArray());
    }

    [Fact]
    public void Backward_TwoRecordings_AccumulatesIntoLeafGradient()
    {
        var x = Leaf(1f, -2f, 0.5f);
        var tape = new Tape();

        using (tape.Record()) tape.Backward(Loss(x));
        using (tape.Record()) tape.Backward(Loss(x));

        Assert.Equal([10f, -2f, 8f], x.Grad!.ToArray());
    }

    [Fact]
    public void Backward_CalledTwiceOnOneRecording_DoublesLeafGradient()
    {
        var x = Leaf(1f, -2f, 0.5f);
        var tape = new Tape();

        using (tape.Record())
        {
            var loss = Loss(x);
            tape.Backward(loss);
            tape.Backward(loss);
        }

        Assert.Equal([10f, -2f, 8f], x.Grad!.ToArray());
    }

    [Fact]
    public void Backward_InputUsedTwice_SumsBothContributions()
    {
        var x = Leaf(2f, -1f);
        var tape = new Tape();

        using (tape.Record()) tape.Backward((x * x * x + x).Sum());   // 3x^2 + 1

        Assert.Equal([13f, 4f], x.Grad!.ToArray());
    }

    [Fact]
    public void NoGrad_InsideRecording_RecordsNothing()
    {
        var x = Leaf(1f, 2f);
        var tape = new Tape();

        using (tape.Record())
        {
            Tensor y;
            using (Tape.NoGrad())
            {
                y = (x * x).Exp().Sum();
                Assert.Null(Tape.Current);
            }
            Assert.Equal(0, tape.Count);
            Assert.False(y.RequiresGrad);
            Assert.Same(tape, Tape.Current);
            _ = x * x;                                                // recording resumes after the scope
            Assert.Equal(1, tape.Count);
        }
        Assert.Null(Tape.Current);
    }

    [Fact]
    public void Record_NoInputRequiresGrad_RecordsNothing()
    {
        var a = Tensor.FromArray([1f, 2f], 2);
        var b = Tensor.FromArray([3f, 4f], 2);
        var tape = new Tape();

        using (tape.Record())
        {
            var y = (a * b).Exp().Sum();
            Assert.Equal(0, tape.Count);
            Assert.False(y.RequiresGrad);
        }
    }

    [Fact]
    public void Ops_WithoutActiveTape_RecordNothingAndLeaveGradNull()
    {
        var x = Leaf(1f, 2f);

        var y = (x * x).Sum();

        Assert.False(y.RequiresGrad);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void Backward_OnlySomeInputsRequireGrad_OthersGetNoGradient()
    {
        var x = Leaf(1f, 2f);
        var c = Tensor.FromArray([3f, 4f], 2);
        var tape = new Tape();

        using (tape.Record()) tape.Backward((x * c).Sum());

        Assert.Equal([3f, 4f], x.Grad!.ToArray());
        Assert.Null(c.Grad);
    }

    [Fact]
    public void Backward_NonScalarLoss_ThrowsNamingShape()
    {
        var x = Leaf(1f, 2f);
        var tape = new Tape();

        using (tape.Record())
        {
            var ex = Assert.Throws<ArgumentException>(() => tape.Backward(x * x));
            Assert.Contains("(2,)", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Backward_LossWithoutGradient_Throws()
    {
        var tape = new Tape();

        using (tape.Record())
            Assert.Throws<InvalidOperationException>(() => tape.Backward(Tensor.FromArray([1f, 2f], 2).Sum()));
    }
}
