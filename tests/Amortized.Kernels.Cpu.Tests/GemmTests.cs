using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Amortized.Kernels.Cpu.Tests;

/// <summary>GEMM against the double oracle: shapes 0..257, every transpose, alpha/beta, padding, epilogues.</summary>
public sealed class GemmTests
{
    [Property(MaxTest = 200)]
    public Property Multiply_RandomShapesUpTo257_MatchesDoubleReference() =>
        Prop.ForAll(GemmCase.Arbitrary(257), c =>
        {
            GemmData before = c.Create(), after = before.Copy();
            after.Run();
            GemmAssert.Matches(before, after);
        });

    [Theory]
    [InlineData(Transpose.No, Transpose.No)]
    [InlineData(Transpose.No, Transpose.Yes)]
    [InlineData(Transpose.Yes, Transpose.No)]
    [InlineData(Transpose.Yes, Transpose.Yes)]
    public void Multiply_EachTransposeAcrossKBlocks_MatchesDoubleReference(Transpose transA, Transpose transB)
    {
        // K = 600 spans three K blocks (KC = 256), M and N are not multiples of any tile size.
        var c = new GemmCase(37, 53, 600, transA, transB, 2, 1, 3, 1.5f, 0.5f, true, Activation.Tanh, true, 7);
        GemmData before = c.Create(), after = before.Copy();
        after.Run();
        GemmAssert.Matches(before, after);
    }

    [Theory]
    [InlineData(0, 5, 3)]
    [InlineData(5, 0, 3)]
    [InlineData(5, 4, 0)]
    [InlineData(1, 1, 1)]
    [InlineData(1, 300, 1)]
    [InlineData(300, 1, 1)]
    [InlineData(1, 1, 300)]
    public void Multiply_DegenerateShapes_MatchDoubleReference(int m, int n, int k)
    {
        foreach (Activation act in Enum.GetValues<Activation>())
        {
            var c = new GemmCase(m, n, k, Transpose.No, Transpose.Yes, 0, 0, 1, 1f, 0.5f, true, act, true, m + n + k);
            GemmData before = c.Create(), after = before.Copy();
            after.Run();
            GemmAssert.Matches(before, after);
        }
    }

    [Fact]
    public void Multiply_BetaZero_IgnoresNaNInC()
    {
        var c = new GemmCase(20, 40, 9, Transpose.No, Transpose.No, 0, 0, 0, 1f, 0f, false, Activation.Relu, false, 3);
        GemmData before = c.Create();
        Array.Fill(before.C, float.NaN);
        GemmData after = before.Copy();
        after.Run();
        GemmAssert.Matches(before with { C = new float[before.C.Length] }, after);
    }

    [Fact]
    public void Multiply_AlphaZero_ScalesCAndAddsBiasWithoutReadingAB()
    {
        var c = new GemmCase(9, 7, 5, Transpose.Yes, Transpose.No, 0, 0, 0, 0f, 2f, true, Activation.Silu, true, 4);
        GemmData before = c.Create();
        Array.Fill(before.A, float.NaN); // alpha = 0: A and B are not read, so NaN cannot leak in
        GemmData after = before.Copy();
        after.Run();
        GemmAssert.Matches(before with { A = new float[before.A.Length] }, after);
    }

    [Theory]
    [InlineData(4, 4, 4, 3, 4, 4, 16, "lda=3")]
    [InlineData(4, 4, 4, 4, 4, 4, 15, "ldc")]
    [InlineData(4, 4, 4, 4, 4, 4, 16, "it has 15")]
    public void Multiply_InconsistentArguments_ThrowWithShapes(
        int m, int n, int k, int lda, int ldb, int ldc, int cLength, string expectedInMessage)
    {
        var a = new float[expectedInMessage == "it has 15" ? 15 : 16];
        var b = new float[16];
        var c = new float[cLength];
        var e = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(Transpose.No, Transpose.No, m, n, k, 1f, a, lda, b, ldb, 0f, c, ldc));
        Assert.Contains(expectedInMessage, e.Message);
    }

    [Fact]
    public void Multiply_NegativeDimensionOrShortBias_Throws()
    {
        var x = new float[16];
        Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(Transpose.No, Transpose.No, -1, 4, 4, 1f, x, 4, x, 4, 0f, new float[16], 4));
        Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(Transpose.No, Transpose.No, 4, 4, 4, 1f, x, 4, x, 4, 0f, new float[16], 4, new float[3]));
    }

    [Fact]
    public void Multiply_SmallIntegerMatrices_AreExact()
    {
        // Integers below 2^24 are exact in float, so the product must be exact on every path.
        float[] a = [1, 2, 3, 4, 5, 6], b = [7, 8, 9, 10, 11, 12];
        foreach (SimdPath path in Enum.GetValues<SimdPath>())
        {
            var c = new float[4];
            Gemm.Multiply(Transpose.No, Transpose.No, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2, default, Activation.Identity,
                default, path, 1);
            Assert.Equal([58f, 64f, 139f, 154f], c);
        }
    }
}
