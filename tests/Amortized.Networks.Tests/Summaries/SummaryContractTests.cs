using Amortized.Networks.Summaries;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Amortized.Testing;
using Xunit;

namespace Amortized.Networks.Tests.Summaries;

/// <summary>One contract, run over every summary network (BayesFlow's parametrized summary-network tests).
/// Legend: B batch, N set size or steps, F features, S summary width.</summary>
public class SummaryContractTests
{
    private const int F = 3;

    /// <summary>Float32 networks of a few layers: equal outputs agree to a few ulps of O(1) values.</summary>
    private const double Atol = 1e-5, Rtol = 1e-5;

    public sealed record Case(string Name, bool IsSet, Func<ParameterStore, Rng, SummaryNetwork> Build)
    {
        public override string ToString() => Name;
    }

    private static DeepSetOptions SmallDeepSet(SetPooling pooling) => new()
    {
        SummaryDim = 4, Depth = 2, InnerPooling = pooling, OutputPooling = pooling, EquivariantWidths = [8, 8],
        InvariantInnerWidths = [8], InvariantOuterWidths = [8], InvariantLastWidths = [8], Dropout = 0.1f,
    };

    private static SetTransformerOptions SmallSetTransformer(int? inducing) => new()
    {
        SummaryDim = 4, EmbedDims = [8, 8], NumHeads = [2, 1], MlpDepths = [1, 1], MlpWidths = [8, 8], KeyDim = 4,
        NumInducingPoints = inducing, NumSeeds = 2, Dropout = 0.1f,
    };

    private static TimeSeriesNetworkOptions SmallTimeSeries(bool bidirectional) => new()
    {
        SummaryDim = 4, Filters = [6, 5], KernelSizes = [3, 2], RecurrentDim = 5, Bidirectional = bidirectional, Dropout = 0.1f,
    };

    private static TimeSeriesTransformerOptions SmallTransformer(TimeSeriesPooling pooling, int? timeAxis) => new()
    {
        SummaryDim = 4, EmbedDims = [8, 8], NumHeads = [2, 1], MlpDepths = [1, 1], MlpWidths = [8, 8], KeyDim = 4,
        TimeEmbedDim = 3, TimeAxis = timeAxis, Pooling = pooling, NumSeeds = 2, Dropout = 0.1f,
    };

    public static TheoryData<Case> Cases() => new()
    {
        new Case("deepset-mean", true, (s, r) => new DeepSet(s, "ds", F, SmallDeepSet(SetPooling.Mean), r)),
        new Case("deepset-max", true, (s, r) => new DeepSet(s, "ds", F, SmallDeepSet(SetPooling.Max), r)),
        new Case("settransformer-sab", true, (s, r) => new SetTransformer(s, "st", F, SmallSetTransformer(null), r)),
        new Case("settransformer-isab", true, (s, r) => new SetTransformer(s, "st", F, SmallSetTransformer(3), r)),
        new Case("timeseries-bidirectional", false, (s, r) => new TimeSeriesNetwork(s, "ts", F, SmallTimeSeries(true), r)),
        new Case("timeseries-forward", false, (s, r) => new TimeSeriesNetwork(s, "ts", F, SmallTimeSeries(false), r)),
        new Case("timeseries-transformer-mean", false,
            (s, r) => new TimeSeriesTransformer(s, "tst", F, SmallTransformer(TimeSeriesPooling.Mean, null), r)),
        // The last feature is the time: Time2Vec of data, with the gradient reaching it through the sine.
        new Case("timeseries-transformer-attention-time-axis", false,
            (s, r) => new TimeSeriesTransformer(s, "tst", F, SmallTransformer(TimeSeriesPooling.Attention, -1), r)),
        new Case("timeseries-transformer-no-time", true, (s, r) => new TimeSeriesTransformer(s, "tst", F,
            SmallTransformer(TimeSeriesPooling.Mean, null) with { TimeEmbedding = TimeEmbeddingKind.None }, r)),
        // The single-input form of a fusion reads x (B, N, 2 + 1) as its members' features side by side.
        new Case("fusion-sets-head", true, (s, r) => new FusionNetwork(s, "fu",
        [
            new("a", new DeepSet(s, "fu.a", 2, SmallDeepSet(SetPooling.Mean), r)),
            new("b", new SetTransformer(s, "fu.b", 1, SmallSetTransformer(null), r)),
        ], new FusionNetworkOptions { SummaryDim = 4, HeadWidths = [8], Dropout = 0.1f }, r)),
        new Case("fusion-set-series-concat", false, (s, r) => new FusionNetwork(s, "fu",
        [
            new("set", new DeepSet(s, "fu.set", 1, SmallDeepSet(SetPooling.Max), r)),
            new("series", new TimeSeriesNetwork(s, "fu.series", 2, SmallTimeSeries(true), r)),
        ], null, r)),
        new Case("fusion-set-transformer-series", false, (s, r) => new FusionNetwork(s, "fu",
        [
            new("set", new DeepSet(s, "fu.set", 1, SmallDeepSet(SetPooling.Mean), r)),
            new("series", new TimeSeriesTransformer(s, "fu.series", 2, SmallTransformer(TimeSeriesPooling.Mean, null), r)),
        ], null, r)),
    };

    public static TheoryData<Case> SetCases()
    {
        var data = new TheoryData<Case>();
        foreach (Case c in Cases())
            if (c.IsSet) data.Add(c);
        return data;
    }

    private static (SummaryNetwork Net, ParameterStore Store) Build(Case c)
    {
        var store = new ParameterStore();
        var net = c.Build(store, new Rng(TestSeeds.Default));
        net.Training = false;
        return (net, store);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_SeveralBatchSizes_GivesBatchBySummary(Case c)
    {
        var (net, _) = Build(c);
        foreach (var (b, n) in new[] { (1, 1), (2, 5), (7, 3) })
        {
            var x = Tensor.RandomNormal(new Shape(b, n, F), new Rng((ulong)(b * 10 + n)));
            var y = net.Forward(x, null);
            Assert.Equal(new Shape(b, net.SummaryDim), y.Shape);
            Assert.All(y.ToArray(), v => Assert.True(float.IsFinite(v)));
            Assert.Equal(new Shape(b, net.SummaryDim), net.Forward(x, Tensor.Ones(new Shape(b, n))).Shape);
        }
    }

    [Theory]
    [MemberData(nameof(SetCases))]
    public void Forward_PermutedSetElements_OutputUnchanged(Case c)
    {
        var (net, _) = Build(c);
        int b = 3, n = 6;
        var rng = new Rng(11);
        var x = Tensor.RandomNormal(new Shape(b, n, F), rng);
        var mask = Tensor.Ones(new Shape(b, n));
        for (int j = 4; j < n; j++) mask[2, j] = 0f;   // set 2 has 4 elements; permuting moves its padding around
        var order = new int[n];
        rng.Permutation(order);
        var permuted = x.IndexSelect(1, order);
        var permutedMask = mask.IndexSelect(1, order);
        NumericAssert.AssertClose(net.Forward(x, null).Span, net.Forward(permuted, null).Span, Atol, Rtol, $"{c.Name} permuted");
        NumericAssert.AssertClose(net.Forward(x, mask).Span, net.Forward(permuted, permutedMask).Span, Atol, Rtol, $"{c.Name} permuted with mask");
    }

    /// <summary>Sets of lengths 5, 2, 4, 1 padded to 6 with garbage give each set's own unpadded summary.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_PaddedWithMask_EqualsUnpadded(Case c)
    {
        var (net, _) = Build(c);
        int[] lengths = [5, 2, 4, 1];
        int b = lengths.Length, n = 6;
        var rng = new Rng(12);
        var x = Tensor.RandomNormal(new Shape(b, n, F), rng);
        var mask = Tensor.Zeros(b, n);
        foreach (float garbage in new[] { 1e3f, float.NaN })
        {
            for (int i = 0; i < b; i++)
                for (int j = 0; j < n; j++)
                {
                    mask[i, j] = j < lengths[i] ? 1f : 0f;
                    if (j >= lengths[i])
                        for (int f = 0; f < F; f++) x[i, j, f] = float.IsNaN(garbage) ? garbage : rng.Uniform(-garbage, garbage);
                }
            var padded = net.Forward(x, mask);
            for (int i = 0; i < b; i++)
            {
                var alone = x.Slice(0, i, 1).Slice(1, 0, lengths[i]);
                var expected = net.Forward(alone, null);
                NumericAssert.AssertClose(expected.Span, padded.Slice(0, i, 1).Span, Atol, Rtol,
                    $"{c.Name} set {i} (length {lengths[i]}, padding {garbage})");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_WeightedOutput_ReachesEveryParameter(Case c)
    {
        var (net, store) = Build(c);
        net.Training = true;   // dropout on, driven by an explicit rng
        var rng = new Rng(13);
        var x = Tensor.RandomNormal(new Shape(3, 4, F), rng);
        var mask = Tensor.Ones(new Shape(3, 4));
        mask[1, 3] = 0f;
        store.ZeroGrad();
        var tape = new Tape();
        using (tape.Record())
        {
            var y = net.Forward(x, mask, rng);
            var weights = Tensor.RandomNormal(y.Shape, rng);
            tape.Backward((y * weights).Sum());
        }
        foreach (var p in store.Parameters)
        {
            bool nonzero = false;
            foreach (float g in p.Grad!.Span) nonzero |= g != 0f && float.IsFinite(g);
            Assert.True(nonzero, $"{c.Name}: parameter {p.Name} {p.Shape} received no gradient.");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_Input_MatchesFiniteDifferences(Case c)
    {
        var (net, _) = Build(c);
        var rng = new Rng(14);
        var x = Tensor.RandomNormal(new Shape(2, 3, F), rng);
        var mask = Tensor.Ones(new Shape(2, 3));
        mask[1, 2] = 0f;
        // A smaller step than the default 1e-2: stacks of post-LN attention blocks are curved enough that the
        // central difference's h^2 f'''/6 truncation reached 1.4% on one element at h = 1e-2 (4.6x that at
        // h = 3e-2, 0.13 of the tolerance at h = 3e-3), while float32 noise at h = 3e-3 is still ~3e-5.
        var options = new GradCheckOptions { Step = 3e-3 };
        GradCheck.Assert($"{c.Name} input", options, inputs => net.Forward(inputs[0], null), x);
        GradCheck.Assert($"{c.Name} input with mask", options, inputs => net.Forward(inputs[0], mask), x);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_BadShapes_ThrowWithShapes(Case c)
    {
        var (net, _) = Build(c);
        string type = net.GetType().Name;
        var rank2 = Assert.Throws<ArgumentException>(() => net.Forward(Tensor.Zeros(2, F), null));
        Assert.Contains($"{type} '{net.Name}'", rank2.Message);
        Assert.Contains($"(2, {F})", rank2.Message);
        var width = Assert.Throws<ArgumentException>(() => net.Forward(Tensor.Zeros(2, 4, F + 1), null));
        Assert.Contains($"(2, 4, {F + 1})", width.Message);
        Assert.Contains($"(B, N, {F})", width.Message);
        var maskShape = Assert.Throws<ArgumentException>(() => net.Forward(Tensor.Zeros(2, 4, F), Tensor.Ones(new Shape(2, 5))));
        Assert.Contains("(2, 5)", maskShape.Message);
        Assert.Contains("(2, 4)", maskShape.Message);
        Assert.Equal("mask", maskShape.ParamName);
        var maskValues = Assert.Throws<ArgumentException>(() => net.Forward(Tensor.Zeros(1, 2, F), Tensor.FromArray([1f, 0.5f], 1, 2)));
        Assert.Contains("0.5", maskValues.Message);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Build_SameSeed_SameNamedParametersAndValues(Case c)
    {
        var (net, store) = Build(c);
        var (_, again) = Build(c);
        Assert.Equal(net.ParameterCount, store.Parameters.Sum(p => p.Size));
        Assert.Equal(store.Parameters.Select(p => p.Name), again.Parameters.Select(p => p.Name));
        Assert.All(store.Parameters, p => Assert.StartsWith(net.Name + ".", p.Name, StringComparison.Ordinal));
        Assert.Equal(store.Values.ToArray(), again.Values.ToArray());
        Assert.Contains(net.GetType().Name, net.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_TrainingWithRng_AppliesDropoutOnlyInTraining(Case c)
    {
        var (net, _) = Build(c);
        var x = Tensor.RandomNormal(new Shape(2, 4, F), new Rng(15));
        var eval = net.Forward(x, null, new Rng(1)).ToArray();
        Assert.Equal(eval, net.Forward(x, null).ToArray());
        net.Training = true;
        Assert.NotEqual(eval, net.Forward(x, null, new Rng(1)).ToArray());
        Assert.Equal(eval, net.Forward(x, null).ToArray());   // no rng: no dropout
    }
}
