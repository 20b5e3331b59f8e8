using Amortized.Kernels.Cpu;

namespace Amortized.Kernels.Gpu.Tests;

/// <summary>
/// Permute, CopySlice, Gather and GatherBackward against their CPU twins (LayoutKernels): pure data movement (or
/// additions in the same order), so results must be bitwise identical.
/// </summary>
public sealed class LayoutTests(DefaultDeviceFixture fixture) : IClassFixture<DefaultDeviceFixture>
{
    private readonly DefaultDeviceFixture _f = fixture;

    public static TheoryData<int[], int[], bool> PermuteCases() => new()
    {
        { [2, 3, 4], [2, 0, 1], false },
        { [2, 3, 4], [1, 0, 2], true },
        { [2, 3, 1, 5], [3, 1, 0, 2], false },
        { [5, 3], [1, 0], true },
        { [2, 1, 3, 2, 2, 3], [5, 3, 1, 0, 4, 2], false },
        { [6], [0], true },
    };

    [Theory]
    [MemberData(nameof(PermuteCases))]
    public void PermuteMatchesCpu(int[] xDims, int[] permutation, bool accumulate)
    {
        int n = xDims.Aggregate(1, (p, d) => p * d);
        int[] yDims = permutation.Select(a => xDims[a]).ToArray();
        float[] x = Check.Random(n, 1), y0 = Check.Random(n, 2);
        var y = (float[])y0.Clone();
        LayoutKernels.Permute(x, xDims, permutation, y, accumulate);
        using var dX = _f.Upload(x);
        using var dY = _f.Upload(y0);
        _f.Kernels.Permute(dX.View, xDims, permutation, dY.View, accumulate);
        Check.Bitwise(y, _f.Download(dY, n), "permute");
    }

    [Theory]
    [InlineData(3, 7, 5, 2, 2, 1, 4, false)]
    [InlineData(3, 7, 5, 2, 2, 1, 4, true)]
    [InlineData(4, 3, 6, 1, 0, 3, 3, true)]
    [InlineData(1, 9, 9, 3, 0, 0, 9, false)]
    public void CopySliceMatchesCpu(int outer, int srcAxis, int dstAxis, int inner, int srcStart, int dstStart, int length, bool accumulate)
    {
        float[] src = Check.Random(outer * srcAxis * inner, 3), dst0 = Check.Random(outer * dstAxis * inner, 4);
        var dst = (float[])dst0.Clone();
        LayoutKernels.CopySlice(src, srcAxis, srcStart, dst, dstAxis, dstStart, length, outer, inner, accumulate);
        using var dSrc = _f.Upload(src);
        using var dDst = _f.Upload(dst0);
        _f.Kernels.CopySlice(dSrc.View, dDst.View, outer, srcAxis, dstAxis, inner, srcStart, dstStart, length, accumulate);
        Check.Bitwise(dst, _f.Download(dDst, dst0.Length), "CopySlice");
    }

    [Theory]
    [InlineData(3, 5, 2)]
    [InlineData(4, 5, 1)]
    [InlineData(1, 5, 3)]
    public void GatherAndBackwardMatchCpu(int outer, int axisLen, int inner)
    {
        int[] indices = [4, 0, 4, 2, 1, 4];   // repeats accumulate in the backward pass; 3 is never picked
        int count = indices.Length;
        float[] x = Check.Random(outer * axisLen * inner, 5);
        var y = new float[outer * count * inner];
        LayoutKernels.Gather(x, indices, y, outer, axisLen, inner);
        using var dX = _f.Upload(x);
        using var dIdx = _f.Upload(indices);
        using var dY = _f.Upload(new float[outer * count * inner]);
        _f.Kernels.Gather(dX.View, dIdx.View, dY.View, outer, axisLen, inner, count);
        Check.Bitwise(y, _f.Download(dY, outer * count * inner), "Gather");

        float[] dy = Check.Random(outer * count * inner, 6), dx0 = Check.Random(x.Length, 7);
        var dx = (float[])dx0.Clone();
        LayoutKernels.GatherBackward(dy, indices, dx, outer, axisLen, inner);
        using var dDy = _f.Upload(dy);
        using var dDx = _f.Upload(dx0);
        _f.Kernels.GatherBackward(dDy.View, dIdx.View, dDx.View, outer, axisLen, inner, count);
        Check.Bitwise(dx, _f.Download(dDx, x.Length), "GatherBackward");
    }
}
