using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Amortized.Kernels.Cpu.Tests;

/// <summary>
/// Each microkernel path called directly, whatever the hardware (Vector512 runs in software without AVX-512,
/// so sizes stay small), and bitwise-identical results for 1, 2 and 3 threads.
/// </summary>
public sealed class GemmPathTests
{
    public static TheoryData<KernelPath> Paths => new(Enum.GetValues<KernelPath>());

    [Property(MaxTest = 40)]
    public Property Multiply_Vector512Path_MatchesDoubleReference() => PathProperty(SimdPath.Vector512);

    [Property(MaxTest = 40)]
    public Property Multiply_Vector256Path_MatchesDoubleReference() => PathProperty(SimdPath.Vector256);

    [Property(MaxTest = 40)]
    public Property Multiply_ScalarPath_MatchesDoubleReference() => PathProperty(SimdPath.Scalar);

    private static Property PathProperty(SimdPath path) =>
        Prop.ForAll(GemmCase.Arbitrary(70), c =>
        {
            GemmData before = c.Create(), after = before.Copy();
            after.Run(path, 1);
            GemmAssert.Matches(before, after);
        });

    [Theory]
    [MemberData(nameof(Paths))]
    public void Multiply_ThreadCounts1To3_BitwiseIdentical(KernelPath kernelPath)
    {
        SimdPath path = kernelPath.ToSimd();
        // Shapes large enough that the plan really uses 2 and 3 tasks (asserted), over every transpose and
        // epilogue, with K crossing a KC boundary.
        // Paths emulated in software get one smaller shape.
        (int M, int N, int K)[] shapes = path == SimdPaths.Best
            ? [(200, 150, 300), (97, 260, 400), (260, 33, 1000), (120, 300, 260)]
            : [(130, 90, 600)];
        int seed = 0;
        foreach ((int m, int n, int k) in shapes)
        {
            foreach (Transpose ta in Enum.GetValues<Transpose>())
            {
                foreach (Transpose tb in Enum.GetValues<Transpose>())
                {
                    Activation act = (Activation)(seed % 9);
                    var c = new GemmCase(m, n, k, ta, tb, 1, 0, 2, 1f, seed % 2, true, act, true, seed++);
                    // 2 or 3 tasks of a grid or of a K split (260 x 33 over K = 1000 splits K).
                    Assert.InRange(GemmPlan.Create(path, m, n, k, 3).TaskCount, 2, 3);
                    GemmData one = c.Create(), two = one.Copy(), three = one.Copy();
                    one.Run(path, 1);
                    two.Run(path, 2);
                    three.Run(path, 3);
                    GemmAssert.BitwiseEqual(one, two, "2 threads vs 1");
                    GemmAssert.BitwiseEqual(one, three, "3 threads vs 1");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Multiply_KSplit_BitwiseIdenticalForAnyThreadCountAndMatchesReference(KernelPath kernelPath)
    {
        SimdPath path = kernelPath.ToSimd();
        // Small outputs over long K (a weight gradient's shape) split K: 2 and 3 threads deal out the K blocks
        // differently (and K = 3000 ends in a partial block), beta 0, 1 and 0.75 take the three ways into C, and
        // N = 33 leaves a one-column tile whose epilogue runs scalar.
        int seed = 100;
        foreach ((int m, int n, int k) in new[] { (96, 33, 3000), (128, 128, 512) })
        {
            Assert.Equal(2, GemmPlan.Create(path, m, n, k, 2).KTasks);
            Assert.Equal(m == 96 ? 3 : 2, GemmPlan.Create(path, m, n, k, 3).KTasks);
            foreach (Transpose ta in Enum.GetValues<Transpose>())
            {
                foreach (float beta in new[] { 0f, 1f, 0.75f })
                {
                    Activation act = (Activation)(seed % 9);
                    var c = new GemmCase(m, n, k, ta, Transpose.No, 1, 2, 1, 1.5f, beta, seed % 2 == 0, act, true,
                        seed++);
                    GemmData one = c.Create(), two = one.Copy(), three = one.Copy();
                    one.Run(path, 1);
                    two.Run(path, 2);
                    three.Run(path, 3);
                    GemmAssert.BitwiseEqual(one, two, "2 threads vs 1");
                    GemmAssert.BitwiseEqual(one, three, "3 threads vs 1");
                    GemmAssert.Matches(c.Create(), two);
                }
            }
        }
    }

    [Theory]
    [InlineData(0f, 70)]
    [InlineData(1f, 70)]
    [InlineData(0f, 64)]
    [InlineData(1f, 64)]
    public void Multiply_AAndBReadInPlace_BitwiseEqualThePackedPanels(float beta, int n)
    {
        // With alpha 1 the AVX-512 kernel reads A in place, stored either way, and (at most 144 rows, whole
        // 32-column tiles: n = 64) an untransposed B too. With alpha 2 and A halved (exact in binary) the same
        // products go through packed panels. Same products, same order: the same bits, over edge rows
        // (37 = 3 x 12 + 1), three K blocks and an epilogue.
        const int m = 37, k = 600;
        var c = new GemmCase(m, n, k, Transpose.No, Transpose.No, 3, 1, 2, 1f, beta, true, Activation.Silu, true, 5);
        GemmData rowsA = c.Create();
        var transposedA = new float[k * m];
        var halvedA = new float[rowsA.A.Length];
        for (int i = 0; i < m; i++)
        {
            for (int p = 0; p < k; p++)
            {
                transposedA[p * m + i] = rowsA.A[i * rowsA.Lda + p];
                halvedA[i * rowsA.Lda + p] = rowsA.A[i * rowsA.Lda + p] / 2;
            }
        }
        GemmData columnsA = rowsA.Copy() with
        {
            A = transposedA, Lda = m, Case = c with { TransA = Transpose.Yes },
        };
        GemmData packed = rowsA.Copy() with { A = halvedA, Case = c with { Alpha = 2f } };
        rowsA.Run(SimdPath.Vector512, 1);
        columnsA.Run(SimdPath.Vector512, 1);
        packed.Run(SimdPath.Vector512, 1);
        GemmAssert.BitwiseEqual(packed, rowsA, "A in place vs packed");
        GemmAssert.BitwiseEqual(packed, columnsA, "transposed A in place vs packed");
        GemmAssert.Matches(c.Create(), rowsA);
    }

    [Fact]
    public void Plan_LargeProducts_SplitsIntoTileAlignedCoveringBlocks()
    {
        foreach (SimdPath path in Enum.GetValues<SimdPath>())
        {
            (int M, int N, int K)[] shapes = [(512, 512, 512), (128, 128, 2048), (2048, 128, 128), (7, 900, 900)];
            foreach ((int m, int n, int k) in shapes)
            {
                for (int threads = 1; threads <= 6; threads++)
                {
                    var plan = GemmPlan.Create(path, m, n, k, threads);
                    Assert.InRange(plan.TaskCount, 1, threads);
                    // Ranges tile [0, m) and [0, n) without gaps or overlap, on tile boundaries.
                    int end = 0;
                    for (int t = 0; t < plan.TasksM; t++)
                    {
                        (int s, int e) = plan.Rows(t, m);
                        Assert.Equal(end, s);
                        Assert.True(s % plan.Mr == 0 || s % ThreadSplit.RowAlignment == 0 || s == m);
                        end = e;
                    }
                    Assert.Equal(m, end);
                    end = 0;
                    for (int t = 0; t < plan.TasksN; t++)
                    {
                        (int s, int e) = plan.Cols(t, n);
                        Assert.Equal(end, s);
                        end = e;
                    }
                    Assert.Equal(n, end);
                }
            }
        }
    }

    [Fact]
    public void Plan_SmallProduct_StaysOnOneThread()
    {
        // The W1 small-K product: (512, 3) x (3, 128) is ~0.4 MFLOP, below the per-thread threshold. The epilogue
        // counts: (1024, 16) x (16, 128) is 4.2 MFLOP alone, one thread, and 12 with a SiLU on its 131,072 outputs.
        Assert.Equal(1, GemmPlan.Create(SimdPaths.Best, 512, 128, 3, 8).TaskCount);
        Assert.Equal(1, GemmPlan.Create(SimdPaths.Best, 1024, 128, 16, 2).TaskCount);
        Assert.Equal(2, GemmPlan.Create(SimdPaths.Best, 1024, 128, 16, 2, Activation.Silu).TaskCount);
        Assert.Equal(2, GemmPlan.Create(SimdPaths.Best, 512, 128, 128, 2).TaskCount);
    }
}
