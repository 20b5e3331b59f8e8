using Amortized.Kernels.Cpu;
using ILGPU;

namespace Amortized.Kernels.Gpu.Tests;

/// <summary>
/// GEMM against <see cref="Amortized.Kernels.Cpu.Gemm.Multiply"/>. Tolerance (derived, not tuned): each side
/// computes every dot product with at most k + 3 roundings, so each differs from the exact value by at most
/// (k + 3) u S with S = |alpha| sum |a||b| + |beta||c| + |bias| (u = 2^-24); the two sides then differ by at most
/// 2 (k + 3) u S. The activation is 1.2-Lipschitz at most here (GELU's slope peaks near 1.13) and adds a few ulp of its
/// own (8 u |value|). S is computed by running the CPU GEMM on absolute values.
/// </summary>
public abstract class GemmTestsBase<TFixture>(TFixture fixture) where TFixture : DeviceFixture
{
    protected TFixture Fixture { get; } = fixture;

    private sealed record Case(
        Transpose TransA, Transpose TransB, int M, int N, int K, float Alpha, float Beta,
        bool Bias, Activation Activation, bool Pre, int Pad = 0, bool NanInC = false, bool NanInAB = false, int Seed = 1);

    private (float[] C, float[]? Pre) RunGpu(Case t, float[] a, int lda, float[] b, int ldb, float[] c0, int ldc, float[]? bias)
    {
        using var da = Fixture.Upload(a);
        using var db = Fixture.Upload(b);
        using var dc = Fixture.Upload(c0);
        using var dbias = Fixture.Upload(bias ?? []);
        using var dpre = Fixture.Upload(t.Pre ? new float[c0.Length] : []);
        Fixture.Kernels.Gemm(t.TransA, t.TransB, t.M, t.N, t.K, t.Alpha, da.View.SubView(0, a.Length), lda, db.View.SubView(0, b.Length), ldb,
            t.Beta, dc.View.SubView(0, c0.Length), ldc, bias is null ? default : dbias.View.SubView(0, bias.Length), t.Activation,
            t.Pre ? dpre.View.SubView(0, c0.Length) : default);
        return (Fixture.Download(dc, c0.Length), t.Pre ? Fixture.Download(dpre, c0.Length) : null);
    }

    private void Verify(Case t)
    {
        int aRows = t.TransA == Transpose.No ? t.M : t.K, aCols = t.TransA == Transpose.No ? t.K : t.M;
        int bRows = t.TransB == Transpose.No ? t.K : t.N, bCols = t.TransB == Transpose.No ? t.N : t.K;
        int lda = aCols + t.Pad, ldb = bCols + t.Pad, ldc = t.N + t.Pad;
        float[] a = Check.Random(Math.Max(0, (aRows - 1) * lda + aCols), t.Seed, -1f, 1f);
        float[] b = Check.Random(Math.Max(0, (bRows - 1) * ldb + bCols), t.Seed + 1, -1f, 1f);
        float[] c0 = Check.Random((t.M - 1) * ldc + t.N, t.Seed + 2, -1f, 1f);
        float[]? bias = t.Bias ? Check.Random(t.N, t.Seed + 3, -1f, 1f) : null;
        if (t.NanInC)
            Array.Fill(c0, float.NaN);
        if (t.NanInAB)
        {
            Array.Fill(a, float.NaN);
            Array.Fill(b, float.NaN);
        }

        float[] expected = (float[])c0.Clone();
        float[]? expectedPre = t.Pre ? new float[c0.Length] : null;
        Gemm.Multiply(t.TransA, t.TransB, t.M, t.N, t.K, t.Alpha, a, lda, b, ldb, t.Beta, expected, ldc, bias, t.Activation, expectedPre);

        // S = |alpha| |A||B| + |beta| |C| + |bias| (NaN-free stand-ins where the call must not read the operand).
        float[] absA = a.Select(v => float.IsNaN(v) ? 0f : Math.Abs(v)).ToArray();
        float[] absB = b.Select(v => float.IsNaN(v) ? 0f : Math.Abs(v)).ToArray();
        float[] scale = c0.Select(v => float.IsNaN(v) ? 0f : Math.Abs(v)).ToArray();
        Gemm.Multiply(t.TransA, t.TransB, t.M, t.N, t.K, Math.Abs(t.Alpha), absA, lda, absB, ldb, Math.Abs(t.Beta), scale, ldc,
            bias?.Select(Math.Abs).ToArray(), Activation.Identity, default);

        var (actual, actualPre) = RunGpu(t, a, lda, b, ldb, c0, ldc, bias);

        // Padding elements between rows of C must be untouched.
        var bound = new double[c0.Length];
        var preBound = new double[c0.Length];
        for (int i = 0; i < t.M; i++)
        {
            for (int j = 0; j < t.N; j++)
            {
                int idx = i * ldc + j;
                double s = 2 * (t.K + 3) * Check.U * scale[idx];
                preBound[idx] = s;
                bound[idx] = 1.2 * s + 8 * Check.U * Math.Abs(expected[idx]) + 1e-30;
            }
        }
        Check.Within(expected, actual, bound, "C");
        if (t.Pre)
            Check.Within(expectedPre!, actualPre!, preBound, "pre");
        foreach (float v in actual.Where((_, idx) => idx % ldc < t.N))
            Assert.False(float.IsNaN(v), "NaN leaked into C");
    }

    public static TheoryData<Transpose, Transpose, int, int, int> TransposeShapes()
    {
        var data = new TheoryData<Transpose, Transpose, int, int, int>();
        foreach (var ta in new[] { Transpose.No, Transpose.Yes })
        {
            foreach (var tb in new[] { Transpose.No, Transpose.Yes })
            {
                data.Add(ta, tb, 5, 7, 3);
                data.Add(ta, tb, 17, 9, 33);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(TransposeShapes))]
    public void EveryTransposeWithAlphaBetaBiasActivationPreAndPadding(Transpose ta, Transpose tb, int m, int n, int k) =>
        Verify(new Case(ta, tb, m, n, k, 1.25f, -0.5f, Bias: true, Activation.Silu, Pre: true, Pad: 2));

    [Theory]
    [InlineData(Transpose.No, Transpose.No)]
    [InlineData(Transpose.Yes, Transpose.Yes)]
    public void BetaZeroDoesNotReadNaNInC(Transpose ta, Transpose tb) =>
        Verify(new Case(ta, tb, 6, 5, 4, 1f, 0f, Bias: true, Activation.Identity, Pre: false, NanInC: true));

    [Fact]
    public void AlphaZeroDoesNotReadAOrB() =>
        Verify(new Case(Transpose.No, Transpose.Yes, 4, 6, 5, 0f, 0.75f, Bias: true, Activation.Relu, Pre: true, NanInAB: true));

    [Fact]
    public void KZeroScalesCAndAppliesEpilogue() =>
        Verify(new Case(Transpose.Yes, Transpose.No, 3, 5, 0, 1f, 2f, Bias: true, Activation.Tanh, Pre: false));

    [Fact]
    public void BetaOneAccumulatesWithoutBias() =>
        Verify(new Case(Transpose.No, Transpose.No, 7, 3, 6, -1f, 1f, Bias: false, Activation.Identity, Pre: false));

    [Fact]
    public void SeveralBlocksInBothDirections() =>
        Verify(Fixture.Kernels.UsesBlockedGemm
            ? new Case(Transpose.Yes, Transpose.No, 70, 66, 20, 1f, 0.5f, Bias: true, Activation.Gelu, Pre: true, Seed: 7)
            : new Case(Transpose.Yes, Transpose.No, 9, 10, 7, 1f, 0.5f, Bias: true, Activation.Gelu, Pre: true, Seed: 7));

    [Fact]
    public void SameCallTwiceIsBitwiseIdentical()
    {
        var t = new Case(Transpose.Yes, Transpose.Yes, 11, 13, 37, 0.9f, 0f, Bias: true, Activation.Softplus, Pre: false);
        float[] a = Check.Random(t.K * t.M, 21), b = Check.Random(t.N * t.K, 22), c0 = new float[t.M * t.N];
        float[] bias = Check.Random(t.N, 23);
        var first = RunGpu(t, a, t.M, b, t.K, c0, t.N, bias).C;
        var second = RunGpu(t, a, t.M, b, t.K, c0, t.N, bias).C;
        Check.Bitwise(first, second, "C");
    }
}

/// <summary>GEMM on the default CPU device (16 threads per group): the small-tile kernel.</summary>
public sealed class GemmSmallTileTests(DefaultDeviceFixture fixture) : GemmTestsBase<DefaultDeviceFixture>(fixture), IClassFixture<DefaultDeviceFixture>
{
    [Fact]
    public void UsesTheSmallTileKernel()
    {
        if (!TestAccelerators.UseCuda)
            Assert.False(Fixture.Kernels.UsesBlockedGemm);
        Assert.True(Fixture.Accelerator.MaxNumThreadsPerGroup >= GemmKernels.SmallThreads);
    }

    [Theory]
    [InlineData(Activation.Identity)]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Silu)]
    [InlineData(Activation.HardSilu)]
    [InlineData(Activation.Softplus)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Gelu)]
    [InlineData(Activation.Mish)]
    public void EveryActivationInTheEpilogue(Activation activation)
    {
        // Inputs scaled up so the pre-activations span the interesting range of every activation (about +-6).
        new GemmActivationCase(Fixture).Run(activation);
    }
}

/// <summary>GEMM on a CPU device with 256 threads per group: the register-blocked kernel and split-K.</summary>
public sealed class GemmBlockedTests(WideDeviceFixture fixture) : GemmTestsBase<WideDeviceFixture>(fixture), IClassFixture<WideDeviceFixture>
{
    [Fact]
    public void UsesTheBlockedKernel() => Assert.True(Fixture.Kernels.UsesBlockedGemm);

    [Fact]
    public void SplitKMatchesAndIsDeterministic()
    {
        // 9 x 6 is one tile, fewer than the multiprocessors, and k = 600 >= 512: K is split into fixed slices.
        int m = 9, n = 6, k = 600;
        Assert.True(GpuKernels.SplitCount(1, k, Fixture.Accelerator.NumMultiprocessors) > 1);
        float[] a = Check.Random(k * m, 31, -1f, 1f), b = Check.Random(k * n, 32, -1f, 1f), c0 = Check.Random(m * n, 33, -1f, 1f);
        float[] bias = Check.Random(n, 34, -1f, 1f);
        float[] expected = (float[])c0.Clone(), expectedPre = new float[m * n];
        Gemm.Multiply(Transpose.Yes, Transpose.No, m, n, k, 0.5f, a, m, b, n, 0.25f, expected, n, bias, Activation.Tanh, expectedPre);
        float[] scale = c0.Select(Math.Abs).ToArray();
        Gemm.Multiply(Transpose.Yes, Transpose.No, m, n, k, 0.5f, a.Select(Math.Abs).ToArray(), m, b.Select(Math.Abs).ToArray(), n, 0.25f, scale, n,
            bias.Select(Math.Abs).ToArray(), Activation.Identity, default);

        float[] Run(out float[] pre)
        {
            using var da = Fixture.Upload(a);
            using var db = Fixture.Upload(b);
            using var dc = Fixture.Upload(c0);
            using var dbias = Fixture.Upload(bias);
            using var dpre = Fixture.Upload(new float[m * n]);
            Fixture.Kernels.Gemm(Transpose.Yes, Transpose.No, m, n, k, 0.5f, da.View, m, db.View, n, 0.25f, dc.View, n, dbias.View, Activation.Tanh, dpre.View);
            pre = Fixture.Download(dpre, m * n);
            return Fixture.Download(dc, m * n);
        }

        float[] first = Run(out float[] pre1), second = Run(out float[] pre2);
        double[] preBound = scale.Select(s => 2 * (k + 3) * Check.U * s).ToArray();
        Check.Within(expectedPre, pre1, preBound, "pre");
        Check.Within(expected, first, preBound.Select((s, i) => s + 8 * Check.U * Math.Abs(expected[i])).ToArray(), "C");
        Check.Bitwise(first, second, "C");
        Check.Bitwise(pre1, pre2, "pre");
    }
}

/// <summary>GEMM (6 x 5 x 4) with a bias and pre, scaled so pre-activations reach about +-6.</summary>
internal sealed class GemmActivationCase(DeviceFixture fixture)
{
    public void Run(Activation activation)
    {
        int m = 6, n = 5, k = 4;
        float[] a = Check.Random(m * k, 41, -1.5f, 1.5f), b = Check.Random(k * n, 42, -1.5f, 1.5f), bias = Check.Random(n, 43, -1f, 1f);
        float[] expected = new float[m * n], expectedPre = new float[m * n];
        Gemm.Multiply(Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, 0f, expected, n, bias, activation, expectedPre);
        float[] scale = new float[m * n];
        Gemm.Multiply(Transpose.No, Transpose.No, m, n, k, 1f, a.Select(Math.Abs).ToArray(), k, b.Select(Math.Abs).ToArray(), n, 0f, scale, n,
            bias.Select(Math.Abs).ToArray(), Activation.Identity, default);

        using var da = fixture.Upload(a);
        using var db = fixture.Upload(b);
        using var dc = fixture.Upload(new float[m * n]);
        using var dbias = fixture.Upload(bias);
        using var dpre = fixture.Upload(new float[m * n]);
        fixture.Kernels.Gemm(Transpose.No, Transpose.No, m, n, k, 1f, da.View, k, db.View, n, 0f, dc.View, n, dbias.View, activation, dpre.View);
        float[] actual = fixture.Download(dc, m * n), pre = fixture.Download(dpre, m * n);
        double[] preBound = scale.Select(s => 2 * (k + 3) * Check.U * s).ToArray();
        Check.Within(expectedPre, pre, preBound, "pre");
        Check.Within(expected, actual, preBound.Select((s, i) => 1.2 * s + 8 * Check.U * Math.Abs(expected[i]) + 1e-30).ToArray(), $"C ({activation})");
    }
}
