using Amortized.Kernels.Cpu;

namespace Amortized.Kernels.Gpu.Tests;

/// <summary>
/// Reductions and softmax against their CPU twins (ReductionKernels), x viewed (outer, length, inner) and reduced over
/// the middle axis. Tolerances: Max is exact. Sum differs by summation order only: 2 (L + 2) u |scale| sum|x|.
/// LogSumExp: the sum of exponentials (positive terms; the CPU adds in double) is within (L + 2) u relative plus an exp
/// ulp per term, and the log turns a relative error into an absolute one: 2 (L + 4) u + 2e-6 |y| (library log/exp).
/// Softmax: each output is exp(x - max) / sum: 2e-6 relative (library exp) plus the sum's (L + 2) u.
/// </summary>
public abstract class ReduceTestsBase<TFixture>(TFixture fixture) where TFixture : DeviceFixture
{
    protected TFixture F { get; } = fixture;

    protected void VerifyReduce(ReduceKind op, int outer, int length, int inner, float scale, int seed,
        Func<float[], float[]>? edit = null)
    {
        int n = outer * length * inner, outputs = outer * inner;
        float[] x = Check.Random(n, seed);
        if (edit is not null)
            x = edit(x);
        float[] expected = new float[outputs];
        ReductionKernels.Reduce(op, x, expected, outer, length, inner, scale);

        using var dX = F.Upload(x);
        using var dY = F.Upload(new float[outputs]);
        F.Kernels.Reduce(op, dX.View.SubView(0, n), dY.View.SubView(0, outputs), outer, length, inner, scale);
        float[] actual = F.Download(dY, outputs);

        var bound = new double[outputs];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                double abs = 0;
                for (int k = 0; k < length; k++)
                    abs += Math.Abs(x[(o * length + k) * inner + i]);
                int q = o * inner + i;
                bound[q] = op switch
                {
                    ReduceKind.Sum => 2.0 * (length + 2) * Check.U * Math.Abs(scale) * abs,
                    ReduceKind.Max => 0,
                    _ => 2.0 * (length + 4) * Check.U + 2e-6 * Math.Abs(expected[q]),
                };
            }
        }
        Check.Within(expected, actual, bound, $"{op}");

        F.Kernels.Reduce(op, dX.View.SubView(0, n), dY.View.SubView(0, outputs), outer, length, inner, scale);
        Check.Bitwise(actual, F.Download(dY, outputs), $"{op} twice");

        // Backward, from the CPU's y on both sides, overwriting and accumulating.
        float[] dy = Check.Random(outputs, seed + 1), dx0 = Check.Random(n, seed + 2);
        foreach (bool accumulate in new[] { false, true })
        {
            float[] dxExpected = (float[])dx0.Clone();
            ReductionKernels.ReduceBackward(op, x, expected, dy, dxExpected, outer, length, inner, scale, accumulate);
            using var dYc = F.Upload(expected);
            using var dDy = F.Upload(dy);
            using var dDx = F.Upload(dx0);
            F.Kernels.ReduceBackward(op, dX.View.SubView(0, n), dYc.View.SubView(0, outputs), dDy.View.SubView(0, outputs), dDx.View.SubView(0, n), outer, length, inner, scale, accumulate);
            float[] dxActual = F.Download(dDx, n);
            if (op == ReduceKind.LogSumExp)
            {
                // dy * exp(x - y): library exp, 2e-6 relative on the increment, plus one rounding of the sum.
                Check.Within(dxExpected, dxActual, dxExpected.Select((e, i) => 2e-6 * Math.Abs(e - (accumulate ? dx0[i] : 0f)) + 2 * Check.U * (Math.Abs(e) + (accumulate ? Math.Abs(dx0[i]) : 0))).ToArray(), "dx");
            }
            else
            {
                // Sum: scale * dy (+ dx) in one rounding each: bitwise; Max routes dy to the first maximum: bitwise.
                Check.Bitwise(dxExpected, dxActual, $"{op} dx (accumulate {accumulate})");
            }
        }
    }
}

public sealed class ReduceTests(DefaultDeviceFixture fixture) : ReduceTestsBase<DefaultDeviceFixture>(fixture), IClassFixture<DefaultDeviceFixture>
{
    public static TheoryData<ReduceKind, int, int, int, float> Shapes()
    {
        var data = new TheoryData<ReduceKind, int, int, int, float>();
        foreach (ReduceKind op in Enum.GetValues<ReduceKind>())
        {
            data.Add(op, 5, 7, 3, 0.5f);     // thread per output, strided rows
            data.Add(op, 6, 9, 1, 1f);       // thread per output, contiguous rows
            data.Add(op, 3, 40, 2, 0.25f);   // few outputs: group per output
            data.Add(op, 2, 300, 1, 1f);     // long rows: group per output
            data.Add(op, 4, 1, 2, 2f);       // length 1
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ReduceAndBackwardMatchCpu(ReduceKind op, int outer, int length, int inner, float scale) =>
        VerifyReduce(op, outer, length, inner, scale, seed: outer * 100 + length);

    [Theory]
    [InlineData(ReduceKind.LogSumExp, 3, 4, 2)]
    [InlineData(ReduceKind.LogSumExp, 2, 50, 1)]
    [InlineData(ReduceKind.Max, 3, 4, 2)]
    public void RowOfMinusInfinityGivesMinusInfinity(ReduceKind op, int outer, int length, int inner) =>
        VerifyReduce(op, outer, length, inner, 1f, seed: 17, edit: x =>
        {
            for (int k = 0; k < length; k++)
            {
                for (int i = 0; i < inner; i++)
                    x[k * inner + i] = float.NegativeInfinity;   // the whole of row o = 0
            }
            x[^1] = float.NegativeInfinity;                      // and one -inf element in another row
            return x;
        });

    [Fact]
    public void MaxBackwardGoesToTheFirstOfTiedMaxima() =>
        VerifyReduce(ReduceKind.Max, 3, 6, 2, 1f, seed: 19, edit: x =>
        {
            for (int i = 0; i < x.Length; i++)
                x[i] = MathF.Round(x[i]);   // values in {-2, ..., 2}: plenty of ties
            return x;
        });

    [Fact]
    public void EmptyRowsGiveTheIdentity()
    {
        using var dX = F.Upload(new float[1]);
        using var dY = F.Upload([7f, 7f, 7f, 7f]);
        F.Kernels.Reduce(ReduceKind.Sum, dX.View.SubView(0, 0), dY.View.SubView(0, 2), 2, 0, 1, 1f);
        F.Kernels.Reduce(ReduceKind.Max, dX.View.SubView(0, 0), dY.View.SubView(2, 2), 2, 0, 1, 1f);
        Assert.Equal([0f, 0f, float.NegativeInfinity, float.NegativeInfinity], F.Download(dY, 4));
    }

    [Theory]
    [InlineData(5, 7, 3)]
    [InlineData(4, 6, 1)]
    [InlineData(2, 3, 1)]
    public void SoftmaxAndBackwardMatchCpu(int outer, int length, int inner)
    {
        int n = outer * length * inner;
        float[] x = Check.Random(n, 23, -4f, 4f);
        x[0] = 95f;   // would overflow exp without max subtraction
        float[] expected = new float[n];
        ReductionKernels.Softmax(x, expected, outer, length, inner);
        using var dX = F.Upload(x);
        using var dY = F.Upload(new float[n]);
        F.Kernels.Softmax(dX.View, dY.View, outer, length, inner);
        Check.Close(expected, F.Download(dY, n), 2e-6 + 2 * (length + 2) * Check.U, 0, "softmax");

        float[] dy = Check.Random(n, 24), dx0 = Check.Random(n, 25);
        float[] dxExpected = (float[])dx0.Clone();
        ReductionKernels.SoftmaxBackward(expected, dy, dxExpected, outer, length, inner);
        using var dYc = F.Upload(expected);
        using var dDy = F.Upload(dy);
        using var dDx = F.Upload(dx0);
        F.Kernels.SoftmaxBackward(dYc.View, dDy.View, dDx.View, outer, length, inner);
        // Same operations in the same order on both sides (dot, then y * (dy - dot) + dx): a few roundings at most
        // if a device contracts to FMA; each term is O(|y| (|dy| + |dot|)).
        var bound = new double[n];
        for (int i = 0; i < n; i++)
            bound[i] = 4 * Check.U * (Math.Abs(dxExpected[i]) + Math.Abs(dx0[i]) + (length + 2) * Math.Abs(expected[i]) * 4);
        Check.Within(dxExpected, F.Download(dDx, n), bound, "softmax dx");
    }
}

/// <summary>Group reductions with 256-thread groups (the tree depth used on GPUs).</summary>
public sealed class ReduceWideTests(WideDeviceFixture fixture) : ReduceTestsBase<WideDeviceFixture>(fixture), IClassFixture<WideDeviceFixture>
{
    [Theory]
    [InlineData(ReduceKind.Sum)]
    [InlineData(ReduceKind.LogSumExp)]
    public void LongRowsWithWideGroups(ReduceKind op) => VerifyReduce(op, 2, 600, 1, 0.5f, seed: 29);

    [Fact]
    public void SumOfSquaresWithWideGroups()
    {
        const int n = 3000;
        float[] x = Check.Random(n, 31);
        double exact = x.Sum(v => (double)v * v);
        using var dX = F.Upload(x);
        using var dR = F.Upload(new float[1]);
        F.Kernels.SumOfSquares(dX.View, dR.View);
        float first = F.Download(dR, 1)[0];
        F.Kernels.SumOfSquares(dX.View, dR.View);
        Assert.True(Math.Abs(first - exact) <= (n + 2) * Check.U * exact, $"{first} vs {exact}");
        Assert.Equal(BitConverter.SingleToInt32Bits(first), BitConverter.SingleToInt32Bits(F.Download(dR, 1)[0]));
    }
}
