using Amortized.Kernels.Cpu;
using Amortized.Networks.Summaries;
using Amortized.Tensors;
using Amortized.Testing;
using Xunit;

namespace Amortized.Networks.Tests.Summaries;

public class TimeSeriesTests
{
    [Fact]
    public void CausalConv1D_Forward_MatchesNaiveOracle()
    {
        var store = new ParameterStore();
        var rng = new Rng(TestSeeds.Default);
        int b = 2, t = 5, inF = 3, c = 4, k = 3;
        var conv = new CausalConv1D(store, "conv", inF, c, k, Activation.Identity, Initializer.GlorotUniform, rng);
        rng.FillNormal(store.Find("conv.bias")!.Span, 0f, 1f);
        var x = Tensor.RandomNormal(new Shape(b, t, inF), rng);
        var w = store.Find("conv.kernel")!;
        var bias = store.Find("conv.bias")!;
        var expected = new double[b * t * c];
        for (int bi = 0; bi < b; bi++)
            for (int ti = 0; ti < t; ti++)
                for (int ci = 0; ci < c; ci++)
                {
                    double s = bias.Span[ci];
                    for (int j = 0; j < k; j++)
                    {
                        int source = ti - (k - 1) + j;   // tap j looks back k-1-j steps
                        if (source < 0) continue;
                        for (int i = 0; i < inF; i++) s += (double)x[bi, source, i] * w[j * inF + i, ci];
                    }
                    expected[(bi * t + ti) * c + ci] = s;
                }
        NumericAssert.AssertClose(expected, conv.Forward(x), 1e-5, 1e-5, "CausalConv1D vs oracle");
    }

    [Fact]
    public void CausalConv1D_LaterInputs_DoNotChangeEarlierOutputs()
    {
        var rng = new Rng(2);
        var conv = new CausalConv1D(new ParameterStore(), "conv", 2, 3, 4, Activation.Silu, Initializer.GlorotUniform, rng);
        var x = Tensor.RandomNormal(new Shape(1, 6, 2), rng);
        var before = conv.Forward(x);
        x[0, 4, 0] = 100f;
        var after = conv.Forward(x);
        NumericAssert.AssertClose(before.Slice(1, 0, 4).Span, after.Slice(1, 0, 4).Span, 0, 0, "steps before the change");
    }

    /// <summary>The GRU's final state against a double-precision loop of the reset-after equations, both directions.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gru_Forward_MatchesNaiveOracle(bool reverse)
    {
        var store = new ParameterStore();
        var rng = new Rng(TestSeeds.Default);
        int b = 2, t = 4, inF = 3, hd = 3;
        var gru = new Gru(store, "gru", inF, hd, Initializer.GlorotUniform, rng);
        foreach (var p in store.Parameters) rng.FillNormal(p.Span, 0f, 0.5f);
        var x = Tensor.RandomNormal(new Shape(b, t, inF), rng);
        var w = store.Find("gru.kernel")!;
        var u = store.Find("gru.recurrent_kernel")!;
        var bw = store.Find("gru.bias")!;
        var bu = store.Find("gru.recurrent_bias")!;
        var expected = new double[b * hd];
        for (int bi = 0; bi < b; bi++)
        {
            var h = new double[hd];
            for (int s = 0; s < t; s++)
            {
                int ti = reverse ? t - 1 - s : s;
                var xp = new double[3 * hd];
                var hp = new double[3 * hd];
                for (int j = 0; j < 3 * hd; j++)
                {
                    xp[j] = bw.Span[j];
                    for (int i = 0; i < inF; i++) xp[j] += (double)x[bi, ti, i] * w[i, j];
                    hp[j] = bu.Span[j];
                    for (int i = 0; i < hd; i++) hp[j] += h[i] * u[i, j];
                }
                var next = new double[hd];
                for (int j = 0; j < hd; j++)
                {
                    double z = 1 / (1 + Math.Exp(-(xp[j] + hp[j])));
                    double r = 1 / (1 + Math.Exp(-(xp[hd + j] + hp[hd + j])));
                    double n = Math.Tanh(xp[2 * hd + j] + r * hp[2 * hd + j]);
                    next[j] = (1 - z) * n + z * h[j];
                }
                h = next;
            }
            Array.Copy(h, 0, expected, bi * hd, hd);
        }
        NumericAssert.AssertClose(expected, gru.Forward(x, null, reverse), 1e-5, 1e-5, $"Gru (reverse {reverse}) vs oracle");
    }

    /// <summary>Padding at the end with a mask gives each sequence's own final states, in both directions.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gru_PaddedAtEnd_EqualsUnpadded(bool reverse)
    {
        var rng = new Rng(4);
        var gru = new Gru(new ParameterStore(), "gru", 2, 4, Initializer.GlorotUniform, rng);
        int[] lengths = [3, 6, 1];
        var x = Tensor.RandomNormal(new Shape(3, 6, 2), rng);
        var mask = Tensor.Zeros(3, 6);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 6; j++)
            {
                mask[i, j] = j < lengths[i] ? 1f : 0f;
                if (j >= lengths[i]) { x[i, j, 0] = 300f; x[i, j, 1] = -300f; }
            }
        var padded = gru.Forward(x, mask, reverse);
        for (int i = 0; i < 3; i++)
        {
            var alone = gru.Forward(x.Slice(0, i, 1).Slice(1, 0, lengths[i]), null, reverse);
            NumericAssert.AssertClose(alone.Span, padded.Slice(0, i, 1).Span, 1e-6, 1e-6, $"sequence {i} (length {lengths[i]})");
        }
    }

    [Fact]
    public void TimeSeriesNetwork_DefaultOptions_BuildAndRun()
    {
        var net = new TimeSeriesNetwork(new ParameterStore(), "ts", 2, null, new Rng(1));
        Assert.Equal(16, net.SummaryDim);
        Assert.True(net.Options.Bidirectional);
        Assert.Equal(new Shape(2, 16), net.Forward(Tensor.RandomNormal(new Shape(2, 8, 2), new Rng(2)), null).Shape);
    }

    [Fact]
    public void TimeSeriesNetwork_MismatchedConvolutionLists_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => new TimeSeriesNetwork(new ParameterStore(), "ts", 2,
            new TimeSeriesNetworkOptions { Filters = [4, 4], KernelSizes = [3] }, new Rng(1)));
        Assert.Contains("KernelSizes", ex.Message, StringComparison.Ordinal);
    }
}
