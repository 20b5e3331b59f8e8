using FsCheck;
using FsCheck.Fluent;

namespace Amortized.Kernels.Cpu.Tests;

/// <summary>
/// One GEMM call to test: shapes, transposes, row-stride padding, scalars, epilogue and a data seed.
/// Shapes: op(A) (M, K), op(B) (K, N), C (M, N) with row strides K/M + PadA, N/K + PadB, N + PadC.
/// </summary>
internal sealed record GemmCase(
    int M, int N, int K, Transpose TransA, Transpose TransB, int PadA, int PadB, int PadC,
    float Alpha, float Beta, bool WithBias, Activation Activation, bool WithPre, int Seed)
{
    public override string ToString() =>
        $"M={M} N={N} K={K} {TransA}/{TransB} pad=({PadA},{PadB},{PadC}) alpha={Alpha} beta={Beta} " +
        $"bias={WithBias} act={Activation} pre={WithPre} seed={Seed}";

    /// <summary>Random data for this case (System.Random with the case's seed, so a failure replays).</summary>
    public GemmData Create()
    {
        var rng = new Random(Seed);
        int lda = (TransA == Transpose.No ? K : M) + PadA, ldb = (TransB == Transpose.No ? N : K) + PadB;
        int ldc = N + PadC;
        int rowsA = TransA == Transpose.No ? M : K, rowsB = TransB == Transpose.No ? K : N;
        float[] a = Fill(rng, rowsA * lda), b = Fill(rng, rowsB * ldb), c = Fill(rng, M * ldc);
        float[] bias = WithBias ? Fill(rng, N) : [];
        float[] pre = WithPre ? new float[M * ldc] : [];
        return new GemmData(this, a, lda, b, ldb, c, ldc, bias, pre);
    }

    private static float[] Fill(Random rng, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
            values[i] = (float)(rng.NextDouble() * 2 - 1);
        return values;
    }

    /// <summary>A dimension in [0, max], biased to small values and to edges around tile sizes.</summary>
    public static Gen<int> Dim(int max) => Gen.Frequency(
        (3, Gen.Choose(0, Math.Min(max, 20))),
        (2, Gen.Choose(0, max)),
        (1, Gen.Elements(0, 1, 5, 6, 7, 11, 12, 13, 15, 16, 17, 31, 32, 33, 63, 64, 65).Where(d => d <= max)));

    /// <summary>Cases with every dimension in [0, maxDim] and any transpose, scalars and epilogue.</summary>
    public static Arbitrary<GemmCase> Arbitrary(int maxDim, bool epilogue = true) =>
        (from m in Dim(maxDim)
         from n in Dim(maxDim)
         from k in Dim(maxDim)
         from transA in Gen.Elements(Transpose.No, Transpose.Yes)
         from transB in Gen.Elements(Transpose.No, Transpose.Yes)
         from padA in Gen.Elements(0, 0, 1, 3)
         from padB in Gen.Elements(0, 0, 2, 5)
         from padC in Gen.Elements(0, 0, 1, 4)
         from alpha in Gen.Elements(1f, 1f, -0.5f, 2f)
         from beta in Gen.Elements(0f, 0f, 1f, 0.75f)
         from withBias in epilogue ? Gen.Elements(false, true) : Gen.Constant(false)
         from activation in epilogue ? Gen.Elements(Enum.GetValues<Activation>()) : Gen.Constant(Activation.Identity)
         from withPre in epilogue ? Gen.Elements(false, true) : Gen.Constant(false)
         from seed in Gen.Choose(0, int.MaxValue)
         select new GemmCase(m, n, k, transA, transB, padA, padB, padC, alpha, beta, withBias, activation, withPre,
             seed)).ToArbitrary();
}

/// <summary>The buffers of a <see cref="GemmCase"/>; C and Pre are outputs (C is also the beta input).</summary>
internal sealed record GemmData(
    GemmCase Case, float[] A, int Lda, float[] B, int Ldb, float[] C, int Ldc, float[] Bias, float[] Pre)
{
    public int M => Case.M;
    public int N => Case.N;
    public int K => Case.K;
    public Transpose TransA => Case.TransA;
    public Transpose TransB => Case.TransB;
    public float Alpha => Case.Alpha;
    public float Beta => Case.Beta;

    /// <summary>A copy with its own C and Pre, for running the same case again.</summary>
    public GemmData Copy() => this with { C = (float[])C.Clone(), Pre = (float[])Pre.Clone() };

    /// <summary>Runs the public entry point (default path, <see cref="KernelThreading.MaxThreads"/>).</summary>
    public void Run() => Gemm.Multiply(TransA, TransB, M, N, K, Alpha, A, Lda, B, Ldb, Beta, C, Ldc, Bias,
        Case.Activation, Pre);

    /// <summary>Runs a forced SIMD path with an explicit thread cap.</summary>
    internal void Run(SimdPath path, int maxThreads) => Gemm.Multiply(TransA, TransB, M, N, K, Alpha, A, Lda, B,
        Ldb, Beta, C, Ldc, Bias, Case.Activation, Pre, path, maxThreads);
}
