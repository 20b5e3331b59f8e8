using Amortized.Networks.Flows;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Amortized.Testing;
using Xunit;

namespace Amortized.Networks.Tests.Flows;

/// <summary>One contract, run over every invertible layer and flow (zuko's test_flows.py, BayesFlow's
/// test_inference_networks.py).</summary>
public class FlowContractTests
{
    public sealed record Case(string Name, int D, int C, Func<ParameterStore, Rng, IInvertibleLayer> Build, bool IdentityAtInit)
    {
        public override string ToString() => Name;
    }

    private static CouplingFlowOptions Small(CouplingTransformKind t, PermutationKind p, bool dual = true) => new()
    {
        Depth = 2, SubnetWidths = [16, 16], Dropout = 0f, Transform = t, Permutation = p, DualCoupling = dual,
        Spline = new SplineOptions { Bins = 6, Bound = 5f },
    };

    public static TheoryData<Case> Cases() => new()
    {
        new Case("actnorm", 3, 0, (s, r) => new ActNorm(s, "a", 3, r), true),
        new Case("random-permutation", 4, 0, (s, r) => FixedPermutation.Random("p", 4, r), false),
        new Case("swap-permutation", 3, 0, (s, r) => FixedPermutation.Swap("p", 3), false),
        new Case("lu-permutation", 3, 0, (s, r) => new LuPermutation(s, "p", 3, r), false),
        new Case("affine-coupling-conditional", 3, 2, (s, r) => new DualCoupling(s, "c", 3, 2, Small(CouplingTransformKind.Affine, PermutationKind.None), r), true),
        new Case("affine-coupling-tanh", 2, 0, (s, r) => new DualCoupling(s, "c", 2, 0, Small(CouplingTransformKind.Affine, PermutationKind.None) with { AffineScale = AffineScale.TanhExp }, r), true),
        new Case("spline-coupling-conditional", 3, 2, (s, r) => new DualCoupling(s, "c", 3, 2, Small(CouplingTransformKind.Spline, PermutationKind.None), r), true),
        new Case("spline-coupling-1d", 1, 0, (s, r) => new DualCoupling(s, "c", 1, 0, Small(CouplingTransformKind.Spline, PermutationKind.None), r), true),
        new Case("conditional-affine", 3, 2, (s, r) => new ConditionalAffine(s, "a", 3, 2, AffineScale.SoftplusAsinh, r), true),
        new Case("conditional-affine-tanh", 2, 3, (s, r) => new ConditionalAffine(s, "a", 2, 3, AffineScale.TanhExp, r), true),
        new Case("flow-conditional-affine", 3, 2, (s, r) => new CouplingFlow(s, "f", 3, 2, Small(CouplingTransformKind.Affine, PermutationKind.None) with { ConditionalAffine = true }, r), true),
        new Case("flow-affine-random", 4, 3, (s, r) => new CouplingFlow(s, "f", 4, 3, Small(CouplingTransformKind.Affine, PermutationKind.Random), r), false),
        new Case("flow-affine-identity-init", 2, 1, (s, r) => new CouplingFlow(s, "f", 2, 1, Small(CouplingTransformKind.Affine, PermutationKind.None), r), true),
        new Case("flow-spline-learnable", 3, 0, (s, r) => new CouplingFlow(s, "f", 3, 0, Small(CouplingTransformKind.Spline, PermutationKind.Learnable), r), false),
        new Case("flow-mixture-base", 3, 2, (s, r) => new CouplingFlow(s, "f", 3, 2, Small(CouplingTransformKind.Affine, PermutationKind.None) with { BaseMixtureComponents = 3 }, r), true),
        new Case("flow-single-coupling-swap", 2, 2, (s, r) => new CouplingFlow(s, "f", 2, 2, Small(CouplingTransformKind.Affine, PermutationKind.Swap, dual: false), r), true),
    };

    private static (IInvertibleLayer Layer, ParameterStore Store) Build(Case c, bool perturb)
    {
        var store = new ParameterStore();
        var rng = new Rng(TestSeeds.Default);
        var layer = c.Build(store, rng);
        if (perturb)
        {
            // Random parameters everywhere (zero-initialised output layers included), so nothing is the identity.
            // Kept moderate: with large random weights a spline gets bins so steep that float32 inversion loses
            // digits (a conditioning limit, not an error in the transform).
            var noise = new Rng(99);
            var values = store.Values;
            // Splines get smaller noise: each feature has 3K - 1 raw parameters, and large ones make bins steep.
            float scale = c.Name.Contains("spline", StringComparison.Ordinal) ? 0.04f : 0.1f;
            for (int i = 0; i < values.Length; i++) values[i] += scale * noise.Normal();
        }
        return (layer, store);
    }

    private static (Tensor X, Tensor? Cond) Inputs(Case c, int batch, ulong seed)
    {
        var rng = new Rng(seed);
        var x = Tensor.RandomNormal(new Shape(batch, c.D), rng);
        var cond = c.C > 0 ? Tensor.RandomNormal(new Shape(batch, c.C), rng) : null;
        return (x, cond);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void InverseOfForward_RecoversInputAndLogDetsCancel(Case c)
    {
        var (layer, _) = Build(c, perturb: true);
        foreach (int batch in new[] { 1, 3, 17 })
        {
            var (x, cond) = Inputs(c, batch, (ulong)batch);
            var (y, ld) = layer.Forward(x, cond);
            Assert.Equal(x.Shape, y.Shape);
            Assert.Equal(new Shape(batch), ld.Shape);
            var (back, ldInv) = layer.Inverse(y, cond);
            NumericAssert.AssertClose(x.Span, back.Span, 2e-4, 2e-4, $"{c.Name} inverse(forward(x))");
            // The inverse's log-det is evaluated at the reconstructed point, which carries the 2e-4 error above;
            // through steep spline bins that moves it by up to a few 1e-4, while a wrong log-det is off by O(1).
            for (int i = 0; i < batch; i++) Assert.InRange(ld.Span[i] + ldInv.Span[i], -1e-3, 1e-3);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LogDet_MatchesNumericalJacobian(Case c)
    {
        var (layer, _) = Build(c, perturb: true);
        var (x, cond) = Inputs(c, 4, 5);
        var (_, ld) = layer.Forward(x, cond);
        for (int row = 0; row < 4; row++)
        {
            var condRow = cond?.Slice(0, row, 1);
            float[] F(float[] v) => layer.Forward(Tensor.FromArray(v, 1, c.D), condRow).Y.ToArray();
            var jacobian = RichardsonJacobian(F, x.Slice(0, row, 1).ToArray());
            double expected = FiniteDifferences.LogAbsDeterminant(jacobian);
            Assert.True(Math.Abs(expected - ld.Span[row]) < 2e-3, $"{c.Name} row {row}: log|det J| numerical {expected}, layer {ld.Span[row]}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FreshLayer_IsIdentityWhereExpected(Case c)
    {
        var (layer, _) = Build(c, perturb: false);
        var (x, cond) = Inputs(c, 5, 8);
        var (y, ld) = layer.Forward(x, cond);
        bool identity = true;
        for (int i = 0; i < x.Size; i++) identity &= Math.Abs(x.Span[i] - y.Span[i]) < 1e-5;
        for (int i = 0; i < 5; i++) identity &= Math.Abs(ld.Span[i]) < 1e-5;
        Assert.Equal(c.IdentityAtInit, identity);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradient_ReachesEveryParameter(Case c)
    {
        var (layer, store) = Build(c, perturb: true);
        var (x, cond) = Inputs(c, 6, 9);
        x.RequiresGrad = true;
        var tape = new Tape();
        using (tape.Record())
        {
            var (y, ld) = layer.Forward(x, cond);
            var loss = (y * y).Sum() + ld.Sum();
            // A flow's base distribution may have parameters of its own (a mixture base), reached by its density.
            if (layer is InferenceNetwork network) loss += network.LogProb(x, cond).Sum();
            tape.Backward(loss);
        }
        Assert.True(x.Grad is not null && x.Grad.ToArray().Any(g => g != 0f), $"{c.Name}: no gradient reached the input");
        foreach (var p in store.Parameters)
        {
            bool any = false;
            foreach (float g in p.Grad!.Span) any |= g != 0f && float.IsFinite(g);
            Assert.True(any, $"{c.Name}: no gradient reached {p.Name}");
        }
    }

    /// <summary>
    /// Central differences at h and h/2 combined by Richardson extrapolation, (4 D(h/2) - D(h)) / 3, which
    /// cancels the O(h^2) truncation error. h is small (2e-3) because a spline is only C1 at its knots, where
    /// a wider stencil picks up the jump in the second derivative; float32 rounding then adds about 1e-4.
    /// </summary>
    private static double[,] RichardsonJacobian(Func<float[], float[]> f, float[] x)
    {
        var coarse = FiniteDifferences.NumericalJacobian(f, x, 2e-3);
        var fine = FiniteDifferences.NumericalJacobian(f, x, 1e-3);
        var result = new double[coarse.GetLength(0), coarse.GetLength(1)];
        for (int i = 0; i < coarse.GetLength(0); i++)
            for (int j = 0; j < coarse.GetLength(1); j++) result[i, j] = (4 * fine[i, j] - coarse[i, j]) / 3;
        return result;
    }
}
