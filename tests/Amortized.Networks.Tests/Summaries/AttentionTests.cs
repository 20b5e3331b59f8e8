using Amortized.Networks.Summaries;
using Amortized.Tensors;
using Amortized.Testing;
using Xunit;

namespace Amortized.Networks.Tests.Summaries;

public class AttentionTests
{
    /// <summary>Multi-head attention against a naive double-precision loop, with a masked key.</summary>
    [Fact]
    public void MultiHeadAttention_Forward_MatchesNaiveOracle()
    {
        var store = new ParameterStore();
        var rng = new Rng(TestSeeds.Default);
        int b = 2, nq = 3, nk = 4, dq = 3, dkv = 2, heads = 2, dk = 3, o = 5;
        var mha = new MultiHeadAttention(store, "mha", dq, dkv, heads, dk, o, Initializer.GlorotUniform, rng);
        foreach (var p in store.Parameters) rng.FillNormal(p.Span, 0f, 0.5f);   // non-zero biases too
        var q = Tensor.RandomNormal(new Shape(b, nq, dq), rng);
        var kv = Tensor.RandomNormal(new Shape(b, nk, dkv), rng);
        var mask = Tensor.FromArray([1f, 0f, 1f, 1f, 1f, 1f, 1f, 0f], b, nk);
        var actual = mha.Forward(q, kv, mask);

        double[] Project(Tensor x, int bi, int row, string name)
        {
            var w = store.Find($"mha.{name}.kernel")!;
            var bias = store.Find($"mha.{name}.bias")!;
            int inF = w.Shape[0], outF = w.Shape[1];
            var y = new double[outF];
            for (int j = 0; j < outF; j++)
            {
                double s = bias.Span[j];
                for (int i = 0; i < inF; i++) s += (double)x[bi, row, i] * w[i, j];
                y[j] = s;
            }
            return y;
        }

        var expected = new double[b * nq * o];
        for (int bi = 0; bi < b; bi++)
        {
            for (int qi = 0; qi < nq; qi++)
            {
                var qp = Project(q, bi, qi, "query");
                var concat = new double[heads * dk];
                for (int h = 0; h < heads; h++)
                {
                    var logits = new double[nk];
                    double max = double.NegativeInfinity;
                    for (int ki = 0; ki < nk; ki++)
                    {
                        if (mask[bi, ki] == 0f) { logits[ki] = double.NegativeInfinity; continue; }
                        var kp = Project(kv, bi, ki, "key");
                        double s = 0;
                        for (int d = 0; d < dk; d++) s += qp[h * dk + d] * kp[h * dk + d];
                        logits[ki] = s / Math.Sqrt(dk);
                        max = Math.Max(max, logits[ki]);
                    }
                    double z = 0;
                    for (int ki = 0; ki < nk; ki++) z += Math.Exp(logits[ki] - max);
                    for (int ki = 0; ki < nk; ki++)
                    {
                        double a = Math.Exp(logits[ki] - max) / z;
                        var vp = Project(kv, bi, ki, "value");
                        for (int d = 0; d < dk; d++) concat[h * dk + d] += a * vp[h * dk + d];
                    }
                }
                var wo = store.Find("mha.output.kernel")!;
                var bo = store.Find("mha.output.bias")!;
                for (int j = 0; j < o; j++)
                {
                    double s = bo.Span[j];
                    for (int i = 0; i < heads * dk; i++) s += concat[i] * wo[i, j];
                    expected[(bi * nq + qi) * o + j] = s;
                }
            }
        }
        NumericAssert.AssertClose(expected, actual, 1e-5, 1e-5, "MultiHeadAttention vs oracle");
    }

    [Fact]
    public void MultiHeadAttention_MaskedKeyWithHugeValues_GetsNoWeight()
    {
        var store = new ParameterStore();
        var rng = new Rng(3);
        var mha = new MultiHeadAttention(store, "mha", 2, 2, 2, 2, 2, Initializer.GlorotUniform, rng);
        var q = Tensor.RandomNormal(new Shape(1, 2, 2), rng);
        var kv = Tensor.RandomNormal(new Shape(1, 3, 2), rng);
        var reference = mha.Forward(q, kv.Slice(1, 0, 2), null);
        kv[0, 2, 0] = 1e6f;
        kv[0, 2, 1] = -1e6f;
        var masked = mha.Forward(q, kv, Tensor.FromArray([1f, 1f, 0f], 1, 3));
        NumericAssert.AssertClose(reference.Span, masked.Span, 1e-6, 1e-6, "masked key");
    }

    [Fact]
    public void SetTransformer_DefaultOptions_BuildAndRun()
    {
        var net = new SetTransformer(new ParameterStore(), "st", 2, null, new Rng(1));
        Assert.Equal(16, net.SummaryDim);
        Assert.Equal(new Shape(2, 16), net.Forward(Tensor.RandomNormal(new Shape(2, 5, 2), new Rng(2)), null).Shape);
        var isab = new SetTransformer(new ParameterStore(), "st", 2, new SetTransformerOptions { NumInducingPoints = 4 }, new Rng(1));
        Assert.Contains("ISAB", isab.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void SetTransformer_MismatchedBlockLists_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => new SetTransformer(new ParameterStore(), "st", 2,
            new SetTransformerOptions { EmbedDims = [8, 8], NumHeads = [2] }, new Rng(1)));
        Assert.Contains("one entry per block", ex.Message, StringComparison.Ordinal);
    }
}
