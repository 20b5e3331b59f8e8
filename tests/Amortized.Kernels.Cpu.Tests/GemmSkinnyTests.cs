namespace Amortized.Kernels.Cpu.Tests;

/// <summary>
/// Products with a thin side (N or M at most <see cref="GemmSkinny.MaxThin"/>) against the double oracle: both
/// kernels (dot and axpy), thin N and thin M, every transpose, long sides with vector and row remainders,
/// K with vector remainders, padding, alpha/beta and epilogues, on both vector paths.
/// </summary>
public sealed class GemmSkinnyTests
{
    public static TheoryData<KernelPath, Transpose, Transpose> PathsAndTransposes()
    {
        var data = new TheoryData<KernelPath, Transpose, Transpose>();
        foreach (KernelPath path in new[] { KernelPath.Vector256, KernelPath.Vector512 })
        {
            foreach (Transpose ta in Enum.GetValues<Transpose>())
            {
                foreach (Transpose tb in Enum.GetValues<Transpose>())
                    data.Add(path, ta, tb);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(PathsAndTransposes))]
    public void Multiply_ThinNOrThinM_MatchesDoubleReference(KernelPath kernelPath, Transpose transA, Transpose transB)
    {
        SimdPath path = kernelPath.ToSimd();
        int seed = 0;
        // Long side 131 = 2 x 64 + 3: four-vector blocks, single vectors and scalar rows on both widths;
        // K = 37 leaves a vector remainder; K = 1 has no vector part at all.
        foreach (int thin in new[] { 1, 2, 3, 4, 5, 8 })
        {
            foreach ((int longSide, int k) in new[] { (131, 37), (64, 128), (7, 1), (20, 300) })
            {
                foreach (bool thinN in new[] { true, false })
                {
                    (int m, int n) = thinN ? (longSide, thin) : (thin, longSide);
                    // Thin sides past MaxThinDot take the skinny kernels only in the axpy layout.
                    bool axpyLayout = thinN ? transA == Transpose.Yes : transB == Transpose.No;
                    if (longSide > GemmSkinny.MaxThin)
                        Assert.Equal(thin <= GemmSkinny.MaxThinDot || axpyLayout,
                            GemmSkinny.Applies(m, n, transA, transB, path));
                    Activation act = (Activation)(seed % 9);
                    float beta = seed % 3 == 0 ? 0f : seed % 3 == 1 ? 1f : 0.75f;
                    var c = new GemmCase(m, n, k, transA, transB, seed % 2, 2 * (seed % 2), 3,
                        seed % 4 == 0 ? -0.5f : 1f,
                        beta, seed % 2 == 0, act, seed % 3 != 2, seed);
                    seed++;
                    GemmData before = c.Create(), after = before.Copy();
                    after.Run(path, 1);
                    GemmAssert.Matches(before, after);
                }
            }
        }
    }

    [Theory]
    [InlineData(KernelPath.Vector256)]
    [InlineData(KernelPath.Vector512)]
    public void Multiply_ThinNWithKTooLongToPack_MatchesDoubleReference(KernelPath kernelPath)
    {
        // 8 columns of K = 40,000 do not fit the packing buffer, so B is read through its strides.
        var c = new GemmCase(5, 8, 40_000, Transpose.No, Transpose.No, 0, 0, 0, 1f, 0f, true, Activation.Identity,
            false, 11);
        GemmData before = c.Create(), after = before.Copy();
        after.Run(kernelPath.ToSimd(), 1);
        GemmAssert.Matches(before, after);
    }

    [Fact]
    public void Applies_OnlyToAThinSideOnAVectorPath()
    {
        Assert.True(GemmSkinny.Applies(512, 2, Transpose.No, Transpose.No, SimdPath.Vector512));
        Assert.True(GemmSkinny.Applies(3, 128, Transpose.Yes, Transpose.No, SimdPath.Vector256));
        Assert.True(GemmSkinny.Applies(128, 8, Transpose.Yes, Transpose.No, SimdPath.Vector512));
        Assert.False(GemmSkinny.Applies(512, 8, Transpose.No, Transpose.No, SimdPath.Vector512));
        Assert.False(GemmSkinny.Applies(512, GemmSkinny.MaxThin + 1, Transpose.Yes, Transpose.No, SimdPath.Vector512));
        Assert.False(GemmSkinny.Applies(512, 2, Transpose.No, Transpose.No, SimdPath.Scalar));
    }
}
