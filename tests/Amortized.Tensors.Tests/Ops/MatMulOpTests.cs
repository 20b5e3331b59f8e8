using Amortized.Kernels.Cpu;
using Amortized.Testing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace Amortized.Tensors.Tests.Ops;

/// <summary>
/// MatMul (2D, batched, batched with a shared 2D b; every transpose flag combination) and the fused Linear
/// (with and without bias, every activation): gradient checks and a naive double oracle.
/// </summary>
[Properties(MaxTest = 20, Replay = TestSeeds.FsCheckReplay)]
public class MatMulOpTests
{
    private static readonly (bool A, bool B)[] s_flags = [(false, false), (false, true), (true, false), (true, true)];

    private static Property GradientProperty(Arbitrary<MatMulCase> cases) =>
        Prop.ForAll(cases, c =>
        {
            foreach (var (ta, tb) in s_flags)
            {
                var rng = c.Rng();
                var a = TestTensors.Uniform(rng, -1f, 1f, c.ADims(ta));
                var b = TestTensors.Uniform(rng, -1f, 1f, c.BDims(tb));
                GradCheck.Assert($"matmul transA {ta} transB {tb} {c}", t => t[0].MatMul(t[1], ta, tb), a, b);
            }
        });

    [Property]
    public Property MatMul2D_EveryTransposeFlag_GradientsMatchFiniteDifferences() =>
        GradientProperty(Cases.MatMuls(0, 0));

    [Property]
    public Property MatMulBatched_EveryTransposeFlag_GradientsMatchFiniteDifferences() =>
        GradientProperty(Cases.MatMuls(1, 2, sharedB: false));

    [Property]
    public Property MatMulSharedB_EveryTransposeFlag_GradientsMatchFiniteDifferences() =>
        GradientProperty(Cases.MatMuls(1, 2, sharedB: true));

    [Property(MaxTest = 40)]
    public Property MatMul_EveryTransposeFlag_MatchesNaiveDoubleProduct() =>
        Prop.ForAll(Cases.MatMuls(0, 2), c =>
        {
            foreach (var (ta, tb) in s_flags)
            {
                var rng = c.Rng();
                var a = TestTensors.Uniform(rng, -1f, 1f, c.ADims(ta));
                var b = TestTensors.Uniform(rng, -1f, 1f, c.BDims(tb));

                var y = a.MatMul(b, ta, tb);

                Assert.Equal([.. c.Batch, c.M, c.N], y.Shape.ToArray());
                NumericAssert.AssertClose(NaiveMatMul(c, a, b, ta, tb), y, Tolerances.Float32Atol, Tolerances.Float32Rtol,
                    $"matmul transA {ta} transB {tb} {c}");
            }
        });

    private static double[] NaiveMatMul(MatMulCase c, Tensor a, Tensor b, bool ta, bool tb)
    {
        int batch = Oracle.Size(c.Batch);
        var result = new double[batch * c.M * c.N];
        for (int p = 0; p < batch; p++)
        {
            int aBase = p * c.M * c.K, bBase = c.SharedB ? 0 : p * c.K * c.N;
            for (int i = 0; i < c.M; i++)
                for (int j = 0; j < c.N; j++)
                {
                    double sum = 0;
                    for (int k = 0; k < c.K; k++)
                    {
                        double av = a.Span[aBase + (ta ? k * c.M + i : i * c.K + k)];
                        double bv = b.Span[bBase + (tb ? j * c.K + k : k * c.N + j)];
                        sum += av * bv;
                    }
                    result[(p * c.M + i) * c.N + j] = sum;
                }
        }
        return result;
    }

    // ---- Linear ----

    private static readonly Activation[] s_activations = Enum.GetValues<Activation>();

    /// <summary>Kinks of each activation: the pre-activation must stay this far from them for differences to hold.</summary>
    private static float[] Kinks(Activation activation) => activation switch
    {
        Activation.Relu => [0f],
        Activation.HardSilu => [-3f, 3f],
        _ => [],
    };

    /// <summary>
    /// The largest change of a pre-activation z = x W + b when one input moves by the differencing step
    /// (0.01 max(1, |v|) on entries bounded by 1.5), doubled.
    /// </summary>
    private const float PreActivationMargin = 0.04f;

    private sealed record LinearCase(int[] Lead, int In, int Out, ulong Seed)
    {
        public Rng Rng() => new(Seed);

        public override string ToString() => $"x {ShapeGen.Format([.. Lead, In])} W ({In}, {Out}) seed {Seed}";
    }

    private static Arbitrary<LinearCase> LinearCases() =>
        (from lead in ShapeGen.Dims(0, 2, 3)
         from i in Gen.Choose(1, 5)
         from o in Gen.Choose(1, 5)
         from seed in ShapeGen.Seed
         select new LinearCase(lead, i, o, seed)).ToArbitrary();

    /// <summary>Draws x, W, b until every pre-activation (with or without b) is clear of the activation's kinks.</summary>
    private static (Tensor X, Tensor W, Tensor B) LinearInputs(LinearCase c, Activation activation, bool withBias)
    {
        var rng = c.Rng();
        float[] kinks = Kinks(activation);
        for (int attempt = 0; attempt < 10_000; attempt++)
        {
            var x = TestTensors.Uniform(rng, -1.5f, 1.5f, [.. c.Lead, c.In]);
            var w = TestTensors.Uniform(rng, -1f, 1f, c.In, c.Out);
            var b = TestTensors.Uniform(rng, -1f, 1f, c.Out);
            double[] z = NaivePreActivation(x, w, withBias ? b : null, c.In, c.Out);
            if (Array.TrueForAll(z, v => TestTensors.IsAway((float)v, kinks, PreActivationMargin)))
                return (x, w, b);
        }
        throw new InvalidOperationException($"No input clear of the kinks of {activation} for {c}.");
    }

    [Property]
    public Property Linear_EveryActivationWithAndWithoutBias_GradientsMatchFiniteDifferences() =>
        Prop.ForAll(LinearCases(), c =>
        {
            foreach (var activation in s_activations)
            {
                var (x, w, b) = LinearInputs(c, activation, withBias: true);
                GradCheck.Assert($"linear {activation} with bias {c}",
                    t => Tensor.Linear(t[0], t[1], t[2], activation), x, w, b);
                var (x0, w0, _) = LinearInputs(c, activation, withBias: false);
                GradCheck.Assert($"linear {activation} without bias {c}",
                    t => Tensor.Linear(t[0], t[1], null, activation), x0, w0);
            }
        });

    [Property]
    public Property Linear_EveryActivation_MatchesNaiveDoubleOracle() =>
        Prop.ForAll(LinearCases(), c =>
        {
            foreach (var activation in s_activations)
            {
                var rng = c.Rng();
                var x = TestTensors.Uniform(rng, -1.5f, 1.5f, [.. c.Lead, c.In]);
                var w = TestTensors.Uniform(rng, -1f, 1f, c.In, c.Out);
                var b = TestTensors.Uniform(rng, -1f, 1f, c.Out);

                var y = Tensor.Linear(x, w, b, activation);

                Assert.Equal([.. c.Lead, c.Out], y.Shape.ToArray());
                double[] z = NaivePreActivation(x, w, b, c.In, c.Out);
                Func<double, double> f = activation == Activation.Identity
                    ? v => v
                    : UnaryOracle.Get(OracleName(activation)).Oracle;
                var expected = new double[z.Length];
                for (int i = 0; i < z.Length; i++) expected[i] = f(z[i]);
                NumericAssert.AssertClose(expected, y, Tolerances.Float32Atol, Tolerances.Float32Rtol,
                    $"linear {activation} {c}");
            }
        });

    private static string OracleName(Activation activation) => activation switch
    {
        Activation.HardSilu => "hard-silu",
        _ => activation.ToString().ToLowerInvariant(),
    };

    private static double[] NaivePreActivation(Tensor x, Tensor w, Tensor? b, int inFeatures, int outFeatures)
    {
        int rows = x.Size / inFeatures;
        var z = new double[rows * outFeatures];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outFeatures; o++)
            {
                double sum = b is null ? 0 : b.Span[o];
                for (int i = 0; i < inFeatures; i++) sum += (double)x.Span[r * inFeatures + i] * w.Span[i * outFeatures + o];
                z[r * outFeatures + o] = sum;
            }
        return z;
    }
}
