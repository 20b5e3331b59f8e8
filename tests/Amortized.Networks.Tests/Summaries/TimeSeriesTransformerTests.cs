using Amortized.Networks.Summaries;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Amortized.Testing;
using Xunit;

namespace Amortized.Networks.Tests.Summaries;

/// <summary>Time2Vec and the TimeSeriesTransformer beyond the shared summary contract (SummaryContractTests).
/// Legend: B batch, T steps, F features, k periodic features.</summary>
public class TimeSeriesTransformerTests
{
    private static TimeSeriesTransformerOptions Small(int? timeAxis = null) => new()
    {
        SummaryDim = 3, EmbedDims = [8], NumHeads = [2], MlpDepths = [1], MlpWidths = [8], KeyDim = 4,
        TimeEmbedDim = 4, TimeAxis = timeAxis,
    };

    [Fact]
    public void Sin_ValueIsExactAndGradientIsCos_AgainstFiniteDifferences()
    {
        // Phases well outside [-pi, pi], as w t + b reaches for long series.
        var a = Tensor.RandomUniform(new Shape(3, 5), new Rng(TestSeeds.Default), -20f, 20f);
        var y = Time2Vec.Sin(a);
        for (int i = 0; i < a.Size; i++) Assert.Equal(MathF.Sin(a.Span[i]), y.Span[i]);
        GradCheck.Assert("Time2Vec.Sin", new GradCheckOptions { Step = 1e-3 }, inputs => Time2Vec.Sin(inputs[0]), a);

        // Recorded or not, the same values.
        var tape = new Tape();
        a.RequiresGrad = true;
        using (tape.Record())
            Assert.Equal(y.ToArray(), Time2Vec.Sin(a).ToArray());
    }

    [Fact]
    public void Time2Vec_Forward_MatchesDoubleOracle()
    {
        var store = new ParameterStore();
        var t2v = new Time2Vec(store, "t2v", 3, new Rng(TestSeeds.Default));
        var time = Tensor.RandomUniform(new Shape(2, 4), new Rng(2), 0f, 10f);
        var y = t2v.Forward(time);
        Assert.Equal(new Shape(2, 4, 4), y.Shape);
        float w0 = store.Find("t2v.trend_weight")!.Span[0], b0 = store.Find("t2v.trend_bias")!.Span[0];
        var w = store.Find("t2v.periodic_weights")!.Span;
        var b = store.Find("t2v.periodic_biases")!.Span;
        var expected = new double[2 * 4 * 4];
        for (int i = 0; i < 8; i++)
        {
            double t = time.Span[i];
            expected[i * 4] = w0 * t + b0;
            for (int k = 0; k < 3; k++) expected[i * 4 + 1 + k] = Math.Sin(w[k] * t + b[k]);
        }
        NumericAssert.AssertClose(expected, y, 1e-5, 1e-5, "Time2Vec vs oracle");
    }

    [Fact]
    public void Time2Vec_Gradients_TimeAndParameters_MatchFiniteDifferences()
    {
        var store = new ParameterStore();
        var t2v = new Time2Vec(store, "t2v", 4, new Rng(TestSeeds.Default));
        var time = Tensor.RandomUniform(new Shape(2, 3), new Rng(3), 0f, 6f);
        var parameters = store.Parameters.ToArray();
        GradCheck.Assert("Time2Vec time and parameters", new GradCheckOptions { Step = 1e-3 },
            inputs => t2v.Forward(inputs[0]), [time, .. parameters]);
    }

    [Fact]
    public void Time2Vec_NoPeriodicFeatures_IsTheTrendAlone()
    {
        var store = new ParameterStore();
        var t2v = new Time2Vec(store, "t2v", 0, new Rng(1));
        Assert.Equal(1, t2v.OutFeatures);
        Assert.Equal(2, store.Parameters.Count());
        Assert.Equal(new Shape(1, 5, 1), t2v.Forward(Tensor.Zeros(1, 5)).Shape);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Time2Vec(new ParameterStore(), "t2v", -1, new Rng(1)));
    }

    /// <summary>A time feature holding 0, 1, ..., T - 1 gives what the default step index gives.</summary>
    [Fact]
    public void TimeAxis_HoldingTheStepIndex_EqualsTheDefaultIndex()
    {
        int b = 3, t = 6, f = 2;
        var x = Tensor.RandomNormal(new Shape(b, t, f), new Rng(4));
        var withTime = Tensor.Zeros(b, t, f + 1);
        for (int i = 0; i < b; i++)
            for (int j = 0; j < t; j++)
            {
                withTime[i, j, 0] = x[i, j, 0];
                withTime[i, j, 1] = j;              // the time sits between the features
                withTime[i, j, 2] = x[i, j, 1];
            }
        // Same seed, same parameter order (time embedding first, then blocks of the same width): same weights.
        var byIndex = new TimeSeriesTransformer(new ParameterStore(), "tst", f, Small(), new Rng(5));
        var byAxis = new TimeSeriesTransformer(new ParameterStore(), "tst", f + 1, Small(timeAxis: 1), new Rng(5));
        var byNegativeAxis = new TimeSeriesTransformer(new ParameterStore(), "tst", f + 1, Small(timeAxis: -2), new Rng(5));
        var expected = byIndex.Forward(x, null);
        NumericAssert.AssertClose(expected.Span, byAxis.Forward(withTime, null).Span, 1e-5, 1e-5, "time axis 1");
        NumericAssert.AssertClose(expected.Span, byNegativeAxis.Forward(withTime, null).Span, 1e-5, 1e-5, "time axis -2");
    }

    [Fact]
    public void Forward_ReversedSeries_ChangesWithTimeEmbeddingOnly()
    {
        int b = 2, t = 5, f = 2;
        var x = Tensor.RandomNormal(new Shape(b, t, f), new Rng(6));
        var reversed = x.IndexSelect(1, [4, 3, 2, 1, 0]);
        var timed = new TimeSeriesTransformer(new ParameterStore(), "tst", f, Small(), new Rng(7));
        var d = timed.Forward(x, null).ToArray().Zip(timed.Forward(reversed, null).ToArray(), (p, q) => Math.Abs(p - q)).Max();
        Assert.True(d > 1e-3, $"order of the steps changed the summary by only {d}");
        var untimed = new TimeSeriesTransformer(new ParameterStore(), "tst", f,
            Small() with { TimeEmbedding = TimeEmbeddingKind.None }, new Rng(7));
        NumericAssert.AssertClose(untimed.Forward(x, null).Span, untimed.Forward(reversed, null).Span, 1e-5, 1e-5,
            "no time embedding: a set");
    }

    [Fact]
    public void DefaultOptions_AreBayesFlows_AndBuildAndRun()
    {
        var o = new TimeSeriesTransformerOptions();
        Assert.Equal((16, 8, TimeEmbeddingKind.Time2Vec, TimeSeriesPooling.Mean, 0f), (o.SummaryDim, o.TimeEmbedDim,
            o.TimeEmbedding, o.Pooling, o.Dropout));
        Assert.Equal([64, 64], o.EmbedDims);
        Assert.Equal([4, 4], o.NumHeads);
        var net = new TimeSeriesTransformer(new ParameterStore(), "tst", 2, null, new Rng(1));
        Assert.Equal(new Shape(2, 16), net.Forward(Tensor.RandomNormal(new Shape(2, 7, 2), new Rng(2)), null).Shape);
        Assert.Contains("Time2Vec of the step index", net.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void BadOptions_ThrowNamingTheProblem()
    {
        ArgumentException Build(int f, TimeSeriesTransformerOptions o) => Assert.Throws<ArgumentException>(
            () => new TimeSeriesTransformer(new ParameterStore(), "tst", f, o, new Rng(1)));
        Assert.Contains("one entry per block", Build(2, Small() with { NumHeads = [2, 2] }).Message, StringComparison.Ordinal);
        Assert.Contains("TimeAxis is 2; expected -2 to 1", Build(2, Small(timeAxis: 2)).Message, StringComparison.Ordinal);
        Assert.Contains("TimeAxis is -3", Build(2, Small(timeAxis: -3)).Message, StringComparison.Ordinal);
        Assert.Contains("TimeEmbedding is None",
            Build(2, Small(timeAxis: 0) with { TimeEmbedding = TimeEmbeddingKind.None }).Message, StringComparison.Ordinal);
        Assert.Contains("TimeEmbedDim is 0", Build(2, Small() with { TimeEmbedDim = 0 }).Message, StringComparison.Ordinal);
        Assert.Contains("Pooling 7", Build(2, Small() with { Pooling = (TimeSeriesPooling)7 }).Message, StringComparison.Ordinal);
        // Only the time, embedded: a valid network over the embedding alone.
        var timeOnly = new TimeSeriesTransformer(new ParameterStore(), "tst", 1, Small(timeAxis: 0), new Rng(1));
        Assert.Equal(new Shape(1, 3), timeOnly.Forward(Tensor.RandomNormal(new Shape(1, 4, 1), new Rng(2)), null).Shape);
    }
}
