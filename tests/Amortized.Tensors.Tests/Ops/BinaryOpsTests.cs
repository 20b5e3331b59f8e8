using Amortized.Testing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace Amortized.Tensors.Tests.Ops;

/// <summary>
/// Broadcasting binary ops. Shapes come in random broadcastable pairs: either side may lack leading axes or
/// have size-1 axes, so the gradient of each input must be summed back over the axes it was broadcast along.
/// </summary>
[Properties(MaxTest = 25, Replay = TestSeeds.FsCheckReplay)]
public class BinaryOpsTests
{
    private static Property GradientProperty(string label, Func<Tensor, Tensor, Tensor> f,
        Func<Rng, int[], Tensor> left, Func<Rng, int[], Tensor> right) =>
        Prop.ForAll(Cases.BroadcastPairs(), c =>
        {
            var rng = c.Rng();
            GradCheck.Assert($"{label} {c}", t => f(t[0], t[1]), left(rng, c.A), right(rng, c.B));
        });

    private static Tensor Signed(Rng rng, int[] dims) => TestTensors.Uniform(rng, -2f, 2f, dims);

    private static Tensor AwayFromZero(Rng rng, int[] dims) => TestTensors.SignedUniform(rng, 0.5f, 2f, dims);

    [Property]
    public Property Add_BroadcastPairs_GradientsMatchFiniteDifferences() =>
        GradientProperty("add", (a, b) => a + b, Signed, Signed);

    [Property]
    public Property Sub_BroadcastPairs_GradientsMatchFiniteDifferences() =>
        GradientProperty("sub", (a, b) => a - b, Signed, Signed);

    [Property]
    public Property Mul_BroadcastPairs_GradientsMatchFiniteDifferences() =>
        GradientProperty("mul", (a, b) => a * b, Signed, Signed);

    [Property]
    public Property Div_DenominatorAwayFromZero_GradientsMatchFiniteDifferences() =>
        GradientProperty("div", (a, b) => a / b, Signed, AwayFromZero);

    [Property]
    public Property Pow_PositiveBaseTensorExponent_GradientsMatchFiniteDifferences() =>
        GradientProperty("pow", (a, b) => a.Pow(b), (r, d) => TestTensors.Uniform(r, 0.5f, 2f, d), Signed);

    [Property]
    public Property SameInputTwice_BroadcastPairs_GradientsSumBothUses() =>
        GradientProperty("a * a + a / b", (a, b) => a * a + a / b, Signed, AwayFromZero);

    [Fact]
    public void Mul_RankZeroOperand_GradientsMatchFiniteDifferences()
    {
        var rng = new Rng(TestSeeds.Default);

        GradCheck.Assert("scalar * matrix", t => t[0] * t[1], Tensor.Scalar(1.5f), TestTensors.Uniform(rng, -1f, 1f, 3, 4));
        GradCheck.Assert("matrix / scalar", t => t[0] / t[1], TestTensors.Uniform(rng, -1f, 1f, 3, 4), Tensor.Scalar(-1.25f));
    }

    // ---- forward oracle ----

    private static readonly (string Name, Func<Tensor, Tensor, Tensor> Op, Func<double, double, double> Oracle)[] s_ops =
    [
        ("add", (a, b) => a + b, (a, b) => a + b),
        ("sub", (a, b) => a - b, (a, b) => a - b),
        ("mul", (a, b) => a * b, (a, b) => a * b),
        ("div", (a, b) => a / b, (a, b) => a / b),
        ("pow", (a, b) => a.Pow(b), Math.Pow),
    ];

    [Property]
    public Property Forward_BroadcastPairs_MatchesScalarOracle() =>
        Prop.ForAll(Cases.BroadcastPairs(), c =>
        {
            var rng = c.Rng();
            var a = TestTensors.Uniform(rng, 0.5f, 2f, c.A);
            var b = TestTensors.SignedUniform(rng, 0.5f, 2f, c.B);
            int[] dims = Oracle.BroadcastDims(c.A, c.B);
            foreach (var (name, op, oracle) in s_ops)
            {
                var y = op(a, b);
                Assert.Equal(dims, y.Shape.ToArray());
                var expected = new double[y.Size];
                for (int i = 0; i < expected.Length; i++)
                {
                    int[] index = Oracle.Unravel(i, dims);
                    expected[i] = oracle(a.Span[Oracle.BroadcastSource(index, c.A)],
                        b.Span[Oracle.BroadcastSource(index, c.B)]);
                }
                NumericAssert.AssertClose(expected, y, Tolerances.Float32Atol, Tolerances.Float32Rtol, $"{name} {c}");
            }
        });

    [Fact]
    public void Add_ColumnPlusRow_GivesOuterSum()
    {
        var column = Tensor.FromArray([1f, 2f, 3f], 3, 1);
        var row = Tensor.FromArray([10f, 20f], 2);

        var y = column + row;

        Assert.Equal([3, 2], y.Shape.ToArray());
        Assert.Equal([11f, 21f, 12f, 22f, 13f, 23f], y.ToArray());
    }
}
