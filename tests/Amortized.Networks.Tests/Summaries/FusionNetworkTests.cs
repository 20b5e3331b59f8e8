using Amortized.Networks.Summaries;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Amortized.Testing;
using Xunit;

namespace Amortized.Networks.Tests.Summaries;

/// <summary>
/// <see cref="FusionNetwork"/> over inputs of their own lengths and widths: a set (B, 6, 2) and a series (B, 5, 3).
/// The single-input contract (shapes, masks, gradients, dropout, seeds) runs in <see cref="SummaryContractTests"/>.
/// </summary>
public class FusionNetworkTests
{
    private static (FusionNetwork Net, ParameterStore Store) Build(FusionNetworkOptions? options)
    {
        var store = new ParameterStore();
        var rng = new Rng(TestSeeds.Default);
        var set = new DeepSet(store, "fusion.set", 2, new DeepSetOptions
        {
            SummaryDim = 3, Depth = 1, EquivariantWidths = [8], InvariantInnerWidths = [8], InvariantOuterWidths = [8],
            InvariantLastWidths = [8], Dropout = 0.1f,
        }, rng);
        var series = new TimeSeriesNetwork(store, "fusion.series", 3, new TimeSeriesNetworkOptions
        {
            SummaryDim = 4, Filters = [5], KernelSizes = [2], RecurrentDim = 4, Dropout = 0.1f,
        }, rng);
        var net = new FusionNetwork(store, "fusion", [new("x_set", set), new("x_ts", series)], options, rng);
        net.Training = false;
        return (net, store);
    }

    private static (Tensor Set, Tensor Series) Inputs(int b, ulong seed)
    {
        var rng = new Rng(seed);
        return (Tensor.RandomNormal(new Shape(b, 6, 2), rng), Tensor.RandomNormal(new Shape(b, 5, 3), rng));
    }

    [Fact]
    public void WithoutHead_IsTheBackbonesSummariesSideBySide()
    {
        var (net, _) = Build(null);
        var (set, series) = Inputs(4, 1);
        var y = net.Forward([set, series]);
        Assert.Equal(new Shape(4, 7), y.Shape);
        Assert.Equal(7, net.SummaryDim);
        Assert.Equal(["x_set", "x_ts"], net.MemberNames);
        var a = net.Backbones[0].Forward(set, null).ToArray();
        var b = net.Backbones[1].Forward(series, null).ToArray();
        var fused = y.ToArray();
        for (int r = 0; r < 4; r++)
        {
            Assert.Equal(a.AsSpan(r * 3, 3).ToArray(), fused.AsSpan(r * 7, 3).ToArray());
            Assert.Equal(b.AsSpan(r * 4, 4).ToArray(), fused.AsSpan(r * 7 + 3, 4).ToArray());
        }
    }

    [Fact]
    public void WithHead_MapsToTheSummaryDim_AndEveryParameterGetsAGradient()
    {
        var (net, store) = Build(new FusionNetworkOptions { SummaryDim = 5, HeadWidths = [6], Dropout = 0.1f });
        Assert.NotNull(net.Head);
        Assert.All(store.Parameters, p => Assert.StartsWith("fusion.", p.Name, StringComparison.Ordinal));
        net.Training = true;
        var rng = new Rng(3);
        var (set, series) = Inputs(3, 2);
        var setMask = Tensor.Ones(new Shape(3, 6));
        setMask[1, 5] = 0f;
        store.ZeroGrad();
        var tape = new Tape();
        using (tape.Record())
        {
            var y = net.Forward([set, series], [setMask, null], rng);
            Assert.Equal(new Shape(3, 5), y.Shape);
            tape.Backward((y * Tensor.RandomNormal(y.Shape, rng)).Sum());
        }
        foreach (var p in store.Parameters)
            Assert.True(p.Grad!.ToArray().Any(g => g != 0f && float.IsFinite(g)), $"parameter {p.Name} got no gradient");
    }

    [Fact]
    public void Backward_BothInputs_MatchFiniteDifferences()
    {
        var (net, _) = Build(new FusionNetworkOptions { SummaryDim = 3, HeadWidths = [5] });
        var (set, series) = Inputs(2, 4);
        var mask = Tensor.Ones(new Shape(2, 6));
        mask[0, 4] = 0f;
        var options = new GradCheckOptions { Step = 3e-3 };
        GradCheck.Assert("fusion inputs", options, x => net.Forward([x[0], x[1]], [mask, null]), set, series);
    }

    [Fact]
    public void PaddedMember_GivesTheUnpaddedSummaries()
    {
        var (net, _) = Build(new FusionNetworkOptions { SummaryDim = 3 });
        var (set, series) = Inputs(2, 5);
        var mask = Tensor.Ones(new Shape(2, 6));
        for (int j = 3; j < 6; j++)
        {
            mask[1, j] = 0f;
            set[1, j, 0] = float.NaN;
        }
        var padded = net.Forward([set, series], [mask, null]).Slice(0, 1, 1);
        var alone = net.Forward([set.Slice(0, 1, 1).Slice(1, 0, 3), series.Slice(0, 1, 1)]);
        NumericAssert.AssertClose(alone.Span, padded.Span, 1e-5, 1e-5, "set 1 padded to 6");
    }

    [Fact]
    public void BadInputs_ThrowNamingTheMembers()
    {
        var (net, store) = Build(null);
        var (set, series) = Inputs(2, 6);
        var count = Assert.Throws<ArgumentException>(() => net.Forward([set]));
        Assert.Contains("expected 2, one per member (x_set, x_ts)", count.Message);
        var rows = Assert.Throws<ArgumentException>(() => net.Forward([set, series.Slice(0, 0, 1)]));
        Assert.Contains("member 'x_ts' has 1 data sets", rows.Message);
        var width = Assert.Throws<ArgumentException>(() => net.Forward([series, set]));
        Assert.Contains("(B, N, 2)", width.Message);
        var rng = new Rng(1);
        var dup = Assert.Throws<ArgumentException>(() => new FusionNetwork(store, "f2",
            [new("a", net.Backbones[0]), new("a", net.Backbones[1])], null, rng));
        Assert.Contains("'a'", dup.Message);
        var head = Assert.Throws<ArgumentException>(() => new FusionNetwork(store, "f3",
            [new("a", net.Backbones[0])], new FusionNetworkOptions { HeadWidths = [4] }, rng));
        Assert.Contains("without SummaryDim", head.Message);
    }
}
