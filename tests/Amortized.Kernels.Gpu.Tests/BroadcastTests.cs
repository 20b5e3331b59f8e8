using Amortized.Kernels.Cpu;

namespace Amortized.Kernels.Gpu.Tests;

/// <summary>
/// Broadcasting Binary and SumToShape against their CPU twins (Amortized.Kernels.Cpu). Add/Sub/Mul/Div are one IEEE
/// operation: bitwise. Pow uses different libraries: 2e-6 relative. SumToShape sums in a different order: each side is
/// within (count + 2) u sum|terms| of the exact sum, so they differ by at most 2 (count + 2) u S with S = |scale| sum
/// |src| + |dst| (computed by running the CPU twin on absolute values).
/// </summary>
public sealed class BroadcastTests(DefaultDeviceFixture fixture) : IClassFixture<DefaultDeviceFixture>
{
    private readonly DefaultDeviceFixture _f = fixture;

    public static TheoryData<BinaryKind, int[], int[], int[]> BinaryCases()
    {
        var shapes = new (int[] A, int[] B, int[] Y)[]
        {
            ([3, 5], [3, 5], [3, 5]),
            ([4, 1, 5], [1, 3, 1], [4, 3, 5]),
            ([2, 3, 4], [1, 1, 1], [2, 3, 4]),
            ([1, 1], [3, 4], [3, 4]),
            ([2, 1, 3, 1, 2, 2], [1, 2, 1, 2, 1, 2], [2, 2, 3, 2, 2, 2]),
            ([7], [1], [7]),
        };
        var data = new TheoryData<BinaryKind, int[], int[], int[]>();
        foreach (BinaryKind op in Enum.GetValues<BinaryKind>())
        {
            foreach (var (a, b, y) in shapes)
                data.Add(op, a, b, y);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void BinaryMatchesCpu(BinaryKind op, int[] aDims, int[] bDims, int[] yDims)
    {
        int na = aDims.Aggregate(1, (p, d) => p * d), nb = bDims.Aggregate(1, (p, d) => p * d), ny = yDims.Aggregate(1, (p, d) => p * d);
        float[] a = op == BinaryKind.Pow ? Check.Random(na, 1, 0.3f, 2.5f) : Check.Random(na, 1);
        float[] b = Check.Random(nb, 2);
        if (op == BinaryKind.Div)
            b = b.Select(v => Math.Abs(v) < 0.1f ? 0.5f : v).ToArray();
        var y = new float[ny];
        BroadcastKernels.Binary(op, a, aDims, b, bDims, y, yDims);

        using var dA = _f.Upload(a);
        using var dB = _f.Upload(b);
        using var dY = _f.Upload(new float[ny]);
        _f.Kernels.Binary(op, dA.View, aDims, dB.View, bDims, dY.View, yDims);
        float[] actual = _f.Download(dY, ny);
        if (op == BinaryKind.Pow)
            Check.Close(y, actual, 2e-6, 0, "pow");
        else
            Check.Bitwise(y, actual, op.ToString());
    }

    public static TheoryData<int[], int[], float> SumToShapeCases() => new()
    {
        { [4, 3, 5], [1, 3, 1], 1f },
        { [4, 3, 5], [4, 1, 5], 0.5f },
        { [4, 3, 5], [1, 1, 1], -2f },
        { [4, 3, 5], [4, 3, 5], 0.25f },
        { [4, 3, 5], [1, 3, 5], 1f },
        { [2, 3, 1, 4, 2, 3], [1, 3, 1, 1, 2, 1], 1f },
        { [40, 3], [1, 3], 1f },      // few outputs, 40 terms each: one group per output
        { [300, 2], [1, 2], 0.125f }, // long sums: one group per output
        { [3, 50], [3, 1], 1f },      // group path with a reduced last axis
    };

    [Theory]
    [MemberData(nameof(SumToShapeCases))]
    public void SumToShapeMatchesCpu(int[] srcDims, int[] dstDims, float scale)
    {
        int ns = srcDims.Aggregate(1, (p, d) => p * d), nd = dstDims.Aggregate(1, (p, d) => p * d);
        float[] src = Check.Random(ns, 3), dst0 = Check.Random(nd, 4);
        var expected = (float[])dst0.Clone();
        BroadcastKernels.SumToShape(src, srcDims, expected, dstDims, scale);
        var magnitude = dst0.Select(Math.Abs).ToArray();
        BroadcastKernels.SumToShape(src.Select(Math.Abs).ToArray(), srcDims, magnitude, dstDims, Math.Abs(scale));
        int count = ns / nd;

        using var dSrc = _f.Upload(src);
        using var dDst = _f.Upload(dst0);
        _f.Kernels.SumToShape(dSrc.View, srcDims, dDst.View, dstDims, scale);
        float[] first = _f.Download(dDst, nd);
        Check.Within(expected, first, magnitude.Select(s => 2.0 * (count + 2) * Check.U * s).ToArray(), "SumToShape");

        using var dDst2 = _f.Upload(dst0);
        _f.Kernels.SumToShape(dSrc.View, srcDims, dDst2.View, dstDims, scale);
        Check.Bitwise(first, _f.Download(dDst2, nd), "SumToShape twice");
    }
}
