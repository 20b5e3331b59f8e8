using Amortized.Tensors.Autodiff;
using Amortized.Testing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace Amortized.Tensors.Tests.Ops;

/// <summary>
/// Reductions along every axis (keepDims both ways, negative axes too), reductions over all elements, softmax
/// and layer norm: gradient checks over random shapes and naive double oracles.
/// </summary>
[Properties(MaxTest = 20, Replay = TestSeeds.FsCheckReplay)]
public class ReduceOpsTests
{
    private enum Reduction { Sum, Mean, Max, LogSumExp }

    private static Tensor Reduce(Reduction kind, Tensor x, int axis, bool keepDims) => kind switch
    {
        Reduction.Sum => x.Sum(axis, keepDims),
        Reduction.Mean => x.Mean(axis, keepDims),
        Reduction.Max => x.Max(axis, keepDims),
        _ => x.LogSumExp(axis, keepDims),
    };

    /// <summary>Every (axis, keepDims) pair; odd axes are passed in their negative form (axis - rank).</summary>
    private static IEnumerable<(int Axis, int Given, bool KeepDims)> Axes(int rank)
    {
        for (int axis = 0; axis < rank; axis++)
        {
            int given = axis % 2 == 1 ? axis - rank : axis;
            yield return (axis, given, false);
            yield return (axis, given, true);
        }
    }

    /// <summary>Inputs for a reduction: max needs entries along the axis farther apart than the differencing step.</summary>
    private static Tensor Input(Reduction kind, Rng rng, int[] dims, int axis) =>
        kind == Reduction.Max ? TestTensors.DistinctAlong(rng, axis, 0.25f, dims) : TestTensors.Uniform(rng, -2f, 2f, dims);

    private static Property GradientProperty(Reduction kind) =>
        Prop.ForAll(Cases.Shapes(1, 4), c =>
        {
            foreach (var (axis, given, keepDims) in Axes(c.Dims.Length))
                GradCheck.Assert($"{kind} axis {given} keepDims {keepDims} {c}", t => Reduce(kind, t[0], given, keepDims),
                    Input(kind, c.Rng(), c.Dims, axis));
        });

    [Property]
    public Property Sum_EveryAxis_GradientMatchesFiniteDifferences() => GradientProperty(Reduction.Sum);

    [Property]
    public Property Mean_EveryAxis_GradientMatchesFiniteDifferences() => GradientProperty(Reduction.Mean);

    [Property]
    public Property Max_EveryAxisDistinctValues_GradientMatchesFiniteDifferences() => GradientProperty(Reduction.Max);

    [Property]
    public Property LogSumExp_EveryAxis_GradientMatchesFiniteDifferences() => GradientProperty(Reduction.LogSumExp);

    [Property]
    public Property SumAndMeanOverAll_RandomShapes_GradientsMatchFiniteDifferences() =>
        Prop.ForAll(Cases.Shapes(0, 4), c =>
        {
            var x = TestTensors.Uniform(c.Rng(), -2f, 2f, c.Dims);
            GradCheck.Assert($"sum all {c}", t => t[0].Sum(), x);
            GradCheck.Assert($"mean all {c}", t => t[0].Mean(), x);
        });

    [Property]
    public Property Softmax_EveryAxis_GradientMatchesFiniteDifferences() =>
        Prop.ForAll(Cases.Shapes(1, 4), c =>
        {
            var x = TestTensors.Uniform(c.Rng(), -2f, 2f, c.Dims);
            for (int axis = 0; axis < c.Dims.Length; axis++)
            {
                int given = axis % 2 == 1 ? axis - c.Dims.Length : axis;
                GradCheck.Assert($"softmax axis {given} {c}", t => t[0].Softmax(given), x);
            }
        });

    /// <summary>Rows with a spread of at least ~0.5 between entries, so 1/std stays moderate.</summary>
    private static Tensor LayerNormInput(Rng rng, int[] dims) => TestTensors.DistinctAlong(rng, -1, 0.5f, dims);

    [Property]
    public Property LayerNorm_WithAndWithoutAffine_GradientsMatchFiniteDifferences() =>
        Prop.ForAll(Cases.Shapes(1, 3), c =>
        {
            var rng = c.Rng();
            int d = c.Dims[^1];
            var x = LayerNormInput(rng, c.Dims);
            var gamma = TestTensors.Uniform(rng, 0.5f, 1.5f, d);
            var beta = TestTensors.Uniform(rng, -1f, 1f, d);
            GradCheck.Assert($"layernorm {c}", t => t[0].LayerNorm(null, null), x);
            GradCheck.Assert($"layernorm gamma beta {c}", t => t[0].LayerNorm(t[1], t[2]), x, gamma, beta);
            GradCheck.Assert($"layernorm gamma {c}", t => t[0].LayerNorm(t[1], null), x, gamma);
            GradCheck.Assert($"layernorm beta {c}", t => t[0].LayerNorm(null, t[1]), x, beta);
        });

    // ---- forward oracles ----

    private static double[] NaiveReduce(Reduction kind, Tensor x, int axis)
    {
        int outer = x.Shape.Outer(axis), n = x.Shape[axis], inner = x.Shape.Inner(axis);
        var result = new double[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double sum = 0, max = double.NegativeInfinity;
                for (int k = 0; k < n; k++)
                {
                    double v = x.Span[(o * n + k) * inner + i];
                    sum += v;
                    max = Math.Max(max, v);
                }
                double lse = 0;
                for (int k = 0; k < n; k++) lse += Math.Exp(x.Span[(o * n + k) * inner + i] - max);
                result[o * inner + i] = kind switch
                {
                    Reduction.Sum => sum,
                    Reduction.Mean => sum / n,
                    Reduction.Max => max,
                    _ => max + Math.Log(lse),
                };
            }
        return result;
    }

    [Property(MaxTest = 40)]
    public Property Reductions_EveryAxis_MatchNaiveDoubleOracle() =>
        Prop.ForAll(Cases.Shapes(1, 4), c =>
        {
            var x = TestTensors.Uniform(c.Rng(), -2f, 2f, c.Dims);
            foreach (var kind in Enum.GetValues<Reduction>())
                foreach (var (axis, given, keepDims) in Axes(c.Dims.Length))
                {
                    var y = Reduce(kind, x, given, keepDims);
                    int[] expectedDims = keepDims ? x.Shape.With(axis, 1).ToArray() : x.Shape.Without(axis).ToArray();
                    Assert.Equal(expectedDims, y.Shape.ToArray());
                    NumericAssert.AssertClose(NaiveReduce(kind, x, axis), y, Tolerances.Float32Atol, Tolerances.Float32Rtol,
                        $"{kind} axis {given} keepDims {keepDims} {c}");
                }
        });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Sum_MiddleAxisOfRank4_MatchesHandIndexedSum(int axis)
    {
        var x = TestTensors.Uniform(new Rng(TestSeeds.Default), -1f, 1f, 2, 3, 4, 5);

        var y = x.Sum(axis, keepDims: true);

        int[] dims = [2, 3, 4, 5];
        var expected = new double[y.Size];
        for (int i = 0; i < x.Size; i++)
        {
            int[] index = Oracle.Unravel(i, dims);
            index[axis] = 0;
            expected[Oracle.Ravel(index, y.Shape.ToArray())] += x.Span[i];
        }
        NumericAssert.AssertClose(expected, y, Tolerances.Float32Atol, Tolerances.Float32Rtol, $"sum axis {axis}");
    }

    [Fact]
    public void Max_TiedMaximum_GradientGoesToFirstOnly()
    {
        var x = Tensor.FromArray([1f, 3f, 3f, 2f, 5f, 5f], 2, 3);
        x.RequiresGrad = true;
        var tape = new Tape();

        using (tape.Record()) tape.Backward(x.Max(1).Sum());

        Assert.Equal([0f, 1f, 0f, 0f, 1f, 0f], x.Grad!.ToArray());
    }

    [Fact]
    public void SumAndMeanOverAll_Matrix_GiveTotalAndAverage()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);

        Assert.Equal(0, x.Sum().Rank);
        Assert.Equal(21f, x.Sum().Item());
        Assert.Equal(3.5f, x.Mean().Item());
    }

    [Fact]
    public void LogSumExp_LargeValues_DoesNotOverflow()
    {
        // Along the contiguous last axis and along a strided first axis.
        var row = Tensor.FromArray([1000f, 1000.5f, 999f], 1, 3);
        var column = Tensor.FromArray([1000f, -1000f, 1000.5f, -1000f, 999f, -1000f], 3, 2);
        double big = 1000 + Math.Log(1 + Math.Exp(0.5) + Math.Exp(-1));
        double small = -1000 + Math.Log(3);

        NumericAssert.AssertClose([big], row.LogSumExp(1), 0, Tolerances.Float32Rtol, "lse row");
        NumericAssert.AssertClose([big, small], column.LogSumExp(0), 0, Tolerances.Float32Rtol, "lse column");
    }

    private static double[] NaiveSoftmax(Tensor x, int axis)
    {
        int outer = x.Shape.Outer(axis), n = x.Shape[axis], inner = x.Shape.Inner(axis);
        var result = new double[x.Size];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double max = double.NegativeInfinity, sum = 0;
                for (int k = 0; k < n; k++) max = Math.Max(max, x.Span[(o * n + k) * inner + i]);
                for (int k = 0; k < n; k++) sum += Math.Exp(x.Span[(o * n + k) * inner + i] - max);
                for (int k = 0; k < n; k++)
                    result[(o * n + k) * inner + i] = Math.Exp(x.Span[(o * n + k) * inner + i] - max) / sum;
            }
        return result;
    }

    [Property(MaxTest = 40)]
    public Property Softmax_EveryAxis_MatchesNaiveDoubleOracle() =>
        Prop.ForAll(Cases.Shapes(1, 4), c =>
        {
            var x = TestTensors.Uniform(c.Rng(), -3f, 3f, c.Dims);
            for (int axis = 0; axis < c.Dims.Length; axis++)
                NumericAssert.AssertClose(NaiveSoftmax(x, axis), x.Softmax(axis),
                    Tolerances.Float32Atol, Tolerances.Float32Rtol,
                    $"softmax axis {axis} {c}");
        });

    [Fact]
    public void Softmax_LargeValues_DoesNotOverflow()
    {
        var x = Tensor.FromArray([1000f, 1001f, 1002f, -1000f, -1001f, -1002f], 2, 3);

        NumericAssert.AssertClose(NaiveSoftmax(x, 1), x.Softmax(1),
            Tolerances.Float32Atol, Tolerances.Float32Rtol, "softmax rows");
        NumericAssert.AssertClose(NaiveSoftmax(x, 0), x.Softmax(0),
            Tolerances.Float32Atol, Tolerances.Float32Rtol, "softmax columns");
    }

    private static double[] NaiveLayerNorm(Tensor x, Tensor? gamma, Tensor? beta, double epsilon)
    {
        int d = x.Shape[-1], rows = x.Size / d;
        var result = new double[x.Size];
        for (int r = 0; r < rows; r++)
        {
            double mean = 0, variance = 0;
            for (int j = 0; j < d; j++) mean += x.Span[r * d + j];
            mean /= d;
            for (int j = 0; j < d; j++) variance += Math.Pow(x.Span[r * d + j] - mean, 2);
            variance /= d;
            for (int j = 0; j < d; j++)
            {
                double v = (x.Span[r * d + j] - mean) / Math.Sqrt(variance + epsilon);
                result[r * d + j] = v * (gamma?.Span[j] ?? 1f) + (beta?.Span[j] ?? 0f);
            }
        }
        return result;
    }

    [Property(MaxTest = 40)]
    public Property LayerNorm_WithAndWithoutAffine_MatchesNaiveDoubleOracle() =>
        Prop.ForAll(Cases.Shapes(1, 3, maxDim: 8), c =>
        {
            var rng = c.Rng();
            int d = c.Dims[^1];
            var x = LayerNormInput(rng, c.Dims);
            var gamma = TestTensors.Uniform(rng, 0.5f, 1.5f, d);
            var beta = TestTensors.Uniform(rng, -1f, 1f, d);
            const float epsilon = 1e-5f;
            NumericAssert.AssertClose(NaiveLayerNorm(x, null, null, epsilon), x.LayerNorm(null, null, epsilon),
                Tolerances.Float32Atol, Tolerances.Float32Rtol, $"layernorm {c}");
            NumericAssert.AssertClose(NaiveLayerNorm(x, gamma, beta, epsilon), x.LayerNorm(gamma, beta, epsilon),
                Tolerances.Float32Atol, Tolerances.Float32Rtol, $"layernorm gamma beta {c}");
        });
}
