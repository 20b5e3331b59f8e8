using System.Numerics.Tensors;
using Xunit.Sdk;

namespace Amortized.Kernels.Cpu.Tests;

/// <summary>
/// Kernels that split their work between threads (activations, bias-gradient and set sums, depth-K products):
/// bitwise the same result for 1, 2 and 3 threads, and the right result.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class ParallelKernelTests
{
    private static float[] Random(int n, int seed, float scale = 4f)
    {
        var rng = new Random(seed);
        var values = new float[n];
        for (int i = 0; i < n; i++)
            values[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return values;
    }

    /// <summary>Runs <paramref name="run"/> with 1, 2 and 3 threads and returns each result.</summary>
    private static float[][] PerThreadCount(Func<float[]> run)
    {
        int saved = KernelThreading.MaxThreads;
        try
        {
            var results = new float[3][];
            for (int threads = 1; threads <= 3; threads++)
            {
                KernelThreading.MaxThreads = threads;
                results[threads - 1] = run();
            }
            return results;
        }
        finally
        {
            KernelThreading.MaxThreads = saved;
        }
    }

    private static void AssertBitwiseEqual(float[][] results, string what)
    {
        for (int t = 1; t < results.Length; t++)
        {
            for (int i = 0; i < results[0].Length; i++)
            {
                if (BitConverter.SingleToInt32Bits(results[0][i]) != BitConverter.SingleToInt32Bits(results[t][i]))
                    throw new XunitException($"{what}: element {i} is {results[t][i]:R} on {t + 1} threads, " +
                        $"{results[0][i]:R} on 1.");
            }
        }
    }

    [Theory]
    [InlineData(Activation.Silu)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Gelu)]
    public void Activations_LongSpans_BitwiseEqualForAnyThreadCountAndInPlace(Activation act)
    {
        // 70,001 elements: 2 shares of at least 32,768, and a tail that is no whole vector.
        const int n = 70_001;
        float[] x = Random(n, 1), dy = Random(n, 2, 1f), dx0 = Random(n, 3, 1f);
        AssertBitwiseEqual(PerThreadCount(() =>
        {
            var y = new float[n];
            Activations.Forward(act, x, y);
            return y;
        }), $"{act} forward");
        AssertBitwiseEqual(PerThreadCount(() =>
        {
            var dx = new float[n];
            Activations.Backward(act, x, dy, dx);
            return dx;
        }), $"{act} backward");
        float[][] accumulated = PerThreadCount(() =>
        {
            var dx = (float[])dx0.Clone();
            Activations.BackwardAccumulate(act, x, dy, dx);
            return dx;
        });
        AssertBitwiseEqual(accumulated, $"{act} backward accumulate");
        // The split path against the scalar formula, element by element.
        for (int i = 0; i < n; i += 997)
        {
            float expected = dx0[i] + dy[i] * Activations.Derivative(act, x[i]);
            Assert.True(Math.Abs(accumulated[1][i] - expected) <= 1e-5 * (1 + Math.Abs(expected)),
                $"{act} at {x[i]}: {accumulated[1][i]} vs {expected}");
        }
        // In place on the split path equals out of place.
        float[][] inPlace = PerThreadCount(() =>
        {
            var y = (float[])x.Clone();
            Activations.Forward(act, y, y);
            return y;
        });
        var outOfPlace = new float[n];
        Activations.Forward(act, x, outOfPlace);
        Assert.Equal(outOfPlace, inPlace[2]);
    }

    [Fact]
    public void Activations_SplitPathWithPartialOverlap_Throws()
    {
        int saved = KernelThreading.MaxThreads;
        try
        {
            KernelThreading.MaxThreads = 2;
            var buffer = new float[70_000];
            var e = Assert.Throws<ArgumentException>(() =>
                Activations.Forward(Activation.Silu, buffer.AsSpan(0, 60_000), buffer.AsSpan(3, 60_000)));
            Assert.Contains("partially overlaps", e.Message);
        }
        finally
        {
            KernelThreading.MaxThreads = saved;
        }
    }

    [Theory]
    [InlineData(1000, 67, 1f)]
    [InlineData(12_800, 64, 0.5f)]
    [InlineData(300, 128, 1f)]
    public void BiasGradient_ColumnSums_BitwiseEqualForAnyThreadCountAndMatchDouble(int rows, int inner, float scale)
    {
        float[] src = Random(rows * inner, rows, 1f), start = Random(inner, 7, 1f);
        float[][] results = PerThreadCount(() =>
        {
            var dst = (float[])start.Clone();
            BroadcastKernels.SumToShape(src, [rows, inner], dst, [1, inner], scale);
            return dst;
        });
        AssertBitwiseEqual(results, $"sum of ({rows}, {inner})");
        for (int j = 0; j < inner; j++)
        {
            double sum = 0, magnitude = 0;
            for (int r = 0; r < rows; r++)
            {
                sum += src[r * inner + j];
                magnitude += Math.Abs(src[r * inner + j]);
            }
            double expected = start[j] + scale * sum;
            Assert.True(Math.Abs(results[0][j] - expected) <= 1e-6 * (magnitude + 1), $"column {j}");
        }
    }

    [Theory]
    [InlineData(128, 100, 64, 0.01f)]  // W2's mean pool: 128 sets of 100 rows of 64
    [InlineData(7, 300, 33, 1f)]       // few sets, odd widths
    [InlineData(3, 20_000, 1, 0.5f)]   // one feature per row
    public void SetSumAndItsBroadcast_BitwiseEqualForAnyThreadCountAndRight(int outer, int n, int inner, float scale)
    {
        float[] x = Random(outer * n * inner, outer + n, 1f), dy = Random(outer * inner, inner, 1f);
        float[][] sums = PerThreadCount(() =>
        {
            var y = new float[outer * inner];
            ReductionKernels.Reduce(ReduceKind.Sum, x, y, outer, n, inner, scale);
            return y;
        });
        AssertBitwiseEqual(sums, $"set sum of ({outer}, {n}, {inner})");
        float[][] broadcasts = PerThreadCount(() =>
        {
            var dx = new float[outer * n * inner];
            ReductionKernels.ReduceBackward(ReduceKind.Sum, x, sums[0], dy, dx, outer, n, inner, scale,
                accumulate: false);
            return dx;
        });
        AssertBitwiseEqual(broadcasts, $"set broadcast of ({outer}, {inner}) over {n}");
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                double sum = 0, magnitude = 0;
                for (int k = 0; k < n; k++)
                {
                    sum += x[(o * n + k) * inner + i];
                    magnitude += Math.Abs(x[(o * n + k) * inner + i]);
                }
                Assert.True(Math.Abs(sums[0][o * inner + i] - scale * sum) <= 1e-6 * (Math.Abs(scale) * magnitude + 1),
                    $"sum ({o}, {i})");
                for (int k = 0; k < n; k += 7)
                    Assert.Equal(scale * dy[o * inner + i], broadcasts[0][(o * n + k) * inner + i]);
            }
        }
    }

    [Theory]
    [InlineData(KernelPath.Vector256)]
    [InlineData(KernelPath.Vector512)]
    public void ThinSide_LongSideSplit_BitwiseEqualForAnyThreadCountAndRight(KernelPath kernelPath)
    {
        // Long side 1000 (shares 496 + 504 on 2 threads, 320 + 336 + 344 on 3), both kernels (dot, axpy), thin N
        // and thin M (its epilogue after the split), every transpose, with bias, activation, pre-activation and
        // beta; then a B too long to pack (read through its strides by every share).
        SimdPath path = kernelPath.ToSimd();
        int seed = 100;
        var cases = new List<GemmCase>();
        foreach (Transpose ta in Enum.GetValues<Transpose>())
        {
            foreach (Transpose tb in Enum.GetValues<Transpose>())
            {
                foreach (int thin in new[] { 2, 3, 8 })
                {
                    foreach (bool thinN in new[] { true, false })
                    {
                        (int m, int n) = thinN ? (1000, thin) : (thin, 1000);
                        if (!GemmSkinny.Applies(m, n, ta, tb, path))
                            continue;
                        cases.Add(new GemmCase(m, n, 128, ta, tb, 1, 2, 3, 1f, seed % 2 == 0 ? 0f : 0.75f,
                            true, Activation.Silu, true, seed++));
                    }
                }
            }
        }
        cases.Add(new GemmCase(64, 8, 33_000, Transpose.No, Transpose.No, 0, 0, 0, 1f, 0f, true,
            Activation.Identity, false, seed));
        foreach (GemmCase c in cases)
        {
            GemmData start = c.Create();
            GemmData[] runs = new GemmData[3];
            PerThreadCount(() =>
            {
                GemmData run = start.Copy();
                run.Run(path, KernelThreading.MaxThreads);
                runs[KernelThreading.MaxThreads - 1] = run;
                return run.C;
            });
            GemmAssert.BitwiseEqual(runs[0], runs[1], $"2 threads vs 1 ({c})");
            GemmAssert.BitwiseEqual(runs[0], runs[2], $"3 threads vs 1 ({c})");
            GemmAssert.Matches(start, runs[1]);
        }
    }

    [Fact]
    public void SetSum_OverAnAxis_SameBitsAsAddingRowAfterRow()
    {
        // (outer 3, n 100, inner 70): the register sums add rows in the order a cleared row plus each row would.
        const int outer = 3, n = 100, inner = 70;
        float[] x = Random(outer * n * inner, 5, 1f);
        var y = new float[outer * inner];
        ReductionKernels.Reduce(ReduceKind.Sum, x, y, outer, n, inner, 1f);
        for (int o = 0; o < outer; o++)
        {
            var expected = new float[inner];
            for (int k = 0; k < n; k++)
                TensorPrimitives.Add(expected, x.AsSpan((o * n + k) * inner, inner), expected);
            Assert.Equal(expected, y.AsSpan(o * inner, inner).ToArray());
        }
    }

    [Theory]
    [InlineData(KernelPath.Vector256)]
    [InlineData(KernelPath.Vector512)]
    public void ThinK_EveryDepthTransposeAndEpilogue_MatchesDoubleReference(KernelPath kernelPath)
    {
        SimdPath path = kernelPath.ToSimd();
        int seed = 0;
        foreach (int k in new[] { 1, 2, 3, 4 })
        {
            // N = 9 and 70 leave scalar columns, 130 a single-vector strip; M = 1 and 37 stay on one thread.
            foreach ((int m, int n) in new[] { (1, 9), (37, 70), (300, 130) })
            {
                foreach (Transpose ta in Enum.GetValues<Transpose>())
                {
                    foreach (Transpose tb in Enum.GetValues<Transpose>())
                    {
                        Assert.True(GemmThinK.Applies(k, path));
                        var c = new GemmCase(m, n, k, ta, tb, seed % 2, seed % 3, 2, seed % 4 == 0 ? -0.5f : 1f,
                            seed % 3 == 0 ? 0f : 0.75f, seed % 2 == 0, (Activation)(seed % 9), seed % 3 != 1, seed);
                        seed++;
                        GemmData before = c.Create(), after = before.Copy();
                        after.Run(path, 3);
                        GemmAssert.Matches(before, after);
                    }
                }
            }
        }
    }

    [Fact]
    public void ThinK_RowsSplitBetweenThreads_BitwiseEqual()
    {
        // 5,000 rows x 64 columns with SiLU: enough for 2 and 3 row shares.
        var c = new GemmCase(5000, 64, 2, Transpose.No, Transpose.No, 0, 0, 0, 1f, 0f, true, Activation.Silu, true, 9);
        GemmData one = c.Create(), two = one.Copy(), three = one.Copy();
        one.Run(SimdPaths.Best, 1);
        two.Run(SimdPaths.Best, 2);
        three.Run(SimdPaths.Best, 3);
        GemmAssert.BitwiseEqual(one, two, "2 threads vs 1");
        GemmAssert.BitwiseEqual(one, three, "3 threads vs 1");
        GemmAssert.Matches(c.Create(), two);
    }
}
