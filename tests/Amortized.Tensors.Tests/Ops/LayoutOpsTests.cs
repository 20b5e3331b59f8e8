using Amortized.Testing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace Amortized.Tensors.Tests.Ops;

/// <summary>
/// Layout ops (reshape, permute/transpose, broadcast-to, concat, split, slice, index-select): gradient checks over
/// random shapes and axes, and exact forward oracles by index arithmetic (these ops copy, so results are exact).
/// </summary>
[Properties(MaxTest = 20, Replay = TestSeeds.FsCheckReplay)]
public class LayoutOpsTests
{
    private static Tensor Data(Rng rng, int[] dims) => TestTensors.Uniform(rng, -2f, 2f, dims);

    private static int[] RandomPermutation(Rng rng, int rank)
    {
        var perm = new int[rank];
        rng.Permutation(perm);
        return perm;
    }

    /// <summary>Random positive sizes adding up to <paramref name="total"/>, at most <paramref name="parts"/>.</summary>
    private static int[] RandomSizes(Rng rng, int total, int parts)
    {
        var sizes = new List<int>();
        int left = total;
        while (left > 0 && sizes.Count < parts - 1)
        {
            int s = rng.Integer(1, left + 1);
            sizes.Add(s);
            left -= s;
        }
        if (left > 0) sizes.Add(left);
        return [.. sizes];
    }

    /// <summary>Indices into an axis of length n, with at least one repeat when there are two or more.</summary>
    private static int[] IndicesWithRepeat(Rng rng, int n)
    {
        int[] indices = TestTensors.Indices(rng, n, rng.Integer(1, 7));
        if (indices.Length > 1) indices[^1] = indices[0];
        return indices;
    }

    private static Arbitrary<PairCase> BroadcastTargets() =>
        (from full in ShapeGen.Dims(1, 4)
         from reduced in ShapeGen.Reduced(full)
         from seed in ShapeGen.Seed
         select new PairCase(reduced, full, seed)).ToArbitrary();

    // ---- gradients ----

    [Property]
    public Property Reshape_RandomShapes_GradientMatchesFiniteDifferences() =>
        Prop.ForAll(Cases.Shapes(1, 4), c =>
        {
            var x = Data(c.Rng(), c.Dims);
            int[] reversed = [.. c.Dims.Reverse()];
            GradCheck.Assert($"reshape reversed {c}", t => t[0].Reshape(reversed), x);
            GradCheck.Assert($"reshape -1 {c}", t => t[0].Reshape(-1, 1), x);
        });

    [Property]
    public Property Permute_RandomPermutations_GradientMatchesFiniteDifferences() =>
        Prop.ForAll(Cases.Shapes(1, 4), c =>
        {
            var rng = c.Rng();
            var x = Data(rng, c.Dims);
            int[] perm = RandomPermutation(rng, c.Dims.Length);
            GradCheck.Assert($"permute [{string.Join(", ", perm)}] {c}", t => t[0].Permute(perm), x);
            if (c.Dims.Length >= 2)
            {
                GradCheck.Assert($"transpose {c}", t => t[0].Transpose(), x);
                GradCheck.Assert($"transpose 0 -1 {c}", t => t[0].Transpose(0, -1), x);
            }
        });

    [Property]
    public Property BroadcastTo_ReducedShapes_GradientMatchesFiniteDifferences() =>
        Prop.ForAll(BroadcastTargets(), c =>
            GradCheck.Assert($"broadcast {c}", t => t[0].BroadcastTo(new Shape(c.B)), Data(c.Rng(), c.A)));

    [Property]
    public Property Concat_TwoAndThreePartsEveryAxis_GradientsMatchFiniteDifferences() =>
        Prop.ForAll(Cases.Shapes(1, 4), c =>
        {
            var rng = c.Rng();
            int rank = c.Dims.Length;
            for (int axis = 0; axis < rank; axis++)
            {
                int given = axis % 2 == 1 ? axis - rank : axis;
                var parts = new Tensor[3];
                for (int p = 0; p < parts.Length; p++)
                {
                    int[] dims = [.. c.Dims];
                    dims[axis] = rng.Integer(1, 4);
                    parts[p] = Data(rng, dims);
                }
                GradCheck.Assert($"concat 2 axis {given} {c}", t => Tensor.Concat(t[0], t[1], given), parts[0], parts[1]);
                GradCheck.Assert($"concat 3 axis {given} {c}", t => Tensor.Concat(t, given), parts);
            }
        });

    [Property]
    public Property SplitAndSlice_EveryAxis_GradientsMatchFiniteDifferences() =>
        Prop.ForAll(Cases.Shapes(1, 4), c =>
        {
            var rng = c.Rng();
            var x = Data(rng, c.Dims);
            for (int axis = 0; axis < c.Dims.Length; axis++)
            {
                int n = c.Dims[axis];
                int[] sizes = RandomSizes(rng, n, 3);
                for (int p = 0; p < sizes.Length; p++)
                {
                    int piece = p;
                    GradCheck.Assert($"split axis {axis} sizes [{string.Join(", ", sizes)}] piece {p} {c}",
                        t => t[0].Split(axis, sizes)[piece], x);
                }
                int start = rng.Integer(0, n), length = rng.Integer(1, n - start + 1);
                GradCheck.Assert($"slice axis {axis} [{start}, {start + length}) {c}", t => t[0].Slice(axis, start, length), x);
            }
        });

    [Property]
    public Property IndexSelect_RepeatedIndicesEveryAxis_GradientMatchesFiniteDifferences() =>
        Prop.ForAll(Cases.Shapes(1, 4), c =>
        {
            var rng = c.Rng();
            var x = Data(rng, c.Dims);
            for (int axis = 0; axis < c.Dims.Length; axis++)
            {
                int[] indices = IndicesWithRepeat(rng, c.Dims[axis]);
                GradCheck.Assert($"index-select axis {axis} [{string.Join(", ", indices)}] {c}",
                    t => t[0].IndexSelect(axis, indices), x);
            }
        });

    // ---- forward oracles ----

    [Property(MaxTest = 40)]
    public Property Permute_RandomPermutations_MatchesIndexOracle() =>
        Prop.ForAll(Cases.Shapes(1, 4), c =>
        {
            var rng = c.Rng();
            var x = Data(rng, c.Dims);
            int[] perm = RandomPermutation(rng, c.Dims.Length);

            var y = x.Permute(perm);

            int[] yDims = [.. perm.Select(p => c.Dims[p])];
            Assert.Equal(yDims, y.Shape.ToArray());
            var expected = new double[y.Size];
            for (int i = 0; i < y.Size; i++)
            {
                int[] yIndex = Oracle.Unravel(i, yDims);
                var xIndex = new int[perm.Length];
                for (int k = 0; k < perm.Length; k++) xIndex[perm[k]] = yIndex[k];
                expected[i] = x.Span[Oracle.Ravel(xIndex, c.Dims)];
            }
            NumericAssert.AssertClose(expected, y, Tolerances.Exact, Tolerances.Exact, $"permute {c}");
        });

    [Property(MaxTest = 40)]
    public Property Concat_ThreePartsEveryAxis_MatchesIndexOracle() =>
        Prop.ForAll(Cases.Shapes(1, 4), c =>
        {
            var rng = c.Rng();
            for (int axis = 0; axis < c.Dims.Length; axis++)
            {
                var parts = new Tensor[3];
                var offsets = new int[4];
                for (int p = 0; p < 3; p++)
                {
                    int[] dims = [.. c.Dims];
                    dims[axis] = rng.Integer(1, 4);
                    parts[p] = Data(rng, dims);
                    offsets[p + 1] = offsets[p] + dims[axis];
                }

                var y = Tensor.Concat(parts, axis);

                int[] yDims = [.. c.Dims];
                yDims[axis] = offsets[3];
                Assert.Equal(yDims, y.Shape.ToArray());
                var expected = new double[y.Size];
                for (int i = 0; i < y.Size; i++)
                {
                    int[] index = Oracle.Unravel(i, yDims);
                    int p = 0;
                    while (index[axis] >= offsets[p + 1]) p++;
                    index[axis] -= offsets[p];
                    expected[i] = parts[p].Span[Oracle.Ravel(index, parts[p].Shape.ToArray())];
                }
                NumericAssert.AssertClose(expected, y, Tolerances.Exact, Tolerances.Exact, $"concat axis {axis} {c}");
            }
        });

    [Property(MaxTest = 40)]
    public Property IndexSelectAndSlice_EveryAxis_MatchIndexOracle() =>
        Prop.ForAll(Cases.Shapes(1, 4), c =>
        {
            var rng = c.Rng();
            var x = Data(rng, c.Dims);
            for (int axis = 0; axis < c.Dims.Length; axis++)
            {
                int[] indices = IndicesWithRepeat(rng, c.Dims[axis]);
                int start = rng.Integer(0, c.Dims[axis]);
                int length = rng.Integer(1, c.Dims[axis] - start + 1);
                int[] slice = [.. Enumerable.Range(start, length)];
                var results = new[]
                {
                    ("gather", x.IndexSelect(axis, indices), indices),
                    ("slice", x.Slice(axis, start, length), slice),
                };
                foreach (var (name, y, picked) in results)
                {
                    int[] yDims = [.. c.Dims];
                    yDims[axis] = picked.Length;
                    Assert.Equal(yDims, y.Shape.ToArray());
                    var expected = new double[y.Size];
                    for (int i = 0; i < y.Size; i++)
                    {
                        int[] index = Oracle.Unravel(i, yDims);
                        index[axis] = picked[index[axis]];
                        expected[i] = x.Span[Oracle.Ravel(index, c.Dims)];
                    }
                    NumericAssert.AssertClose(expected, y, Tolerances.Exact, Tolerances.Exact, $"{name} axis {axis} {c}");
                }
            }
        });

    [Property(MaxTest = 40)]
    public Property BroadcastTo_ReducedShapes_MatchesIndexOracle() =>
        Prop.ForAll(BroadcastTargets(), c =>
        {
            var x = Data(c.Rng(), c.A);

            var y = x.BroadcastTo(new Shape(c.B));

            var expected = new double[y.Size];
            for (int i = 0; i < y.Size; i++) expected[i] = x.Span[Oracle.BroadcastSource(Oracle.Unravel(i, c.B), c.A)];
            NumericAssert.AssertClose(expected, y, Tolerances.Exact, Tolerances.Exact, $"broadcast {c}");
        });

    [Fact]
    public void Reshape_InferredDimension_KeepsRowMajorOrder()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);

        var y = x.Reshape(3, -1);

        Assert.Equal([3, 2], y.Shape.ToArray());
        Assert.Equal(x.ToArray(), y.ToArray());
    }

    [Fact]
    public void Split_ThreeSizes_PiecesConcatenateBackToInput()
    {
        var x = TestTensors.Uniform(new Rng(TestSeeds.Default), -1f, 1f, 2, 6, 3);

        var pieces = x.Split(1, 1, 3, 2);

        Assert.Equal([[2, 1, 3], [2, 3, 3], [2, 2, 3]], pieces.Select(p => p.Shape.ToArray()).ToArray());
        Assert.Equal(x.ToArray(), Tensor.Concat(pieces, 1).ToArray());
    }
}
