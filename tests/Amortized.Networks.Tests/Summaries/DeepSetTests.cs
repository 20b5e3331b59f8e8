using Amortized.Networks.Optim;
using Amortized.Networks.Summaries;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Amortized.Testing;
using Xunit;

namespace Amortized.Networks.Tests.Summaries;

public class DeepSetTests
{
    private static readonly DeepSetOptions Small = new()
    {
        SummaryDim = 4, EquivariantWidths = [8, 8], InvariantInnerWidths = [8], InvariantOuterWidths = [8],
        InvariantLastWidths = [8], Dropout = 0f,
    };

    [Theory]
    [InlineData(SetPooling.Mean)]
    [InlineData(SetPooling.Max)]
    public void EquivariantLayer_PermutedElements_PermutesOutputRows(SetPooling pooling)
    {
        var rng = new Rng(TestSeeds.Default);
        var layer = new EquivariantLayer(new ParameterStore(), "eq", 3, Small with { InnerPooling = pooling }, rng);
        int b = 2, n = 5;
        var x = Tensor.RandomNormal(new Shape(b, n, 3), rng);
        var mask = Tensor.Ones(new Shape(b, n));
        mask[1, 0] = 0f;
        var order = new int[n];
        rng.Permutation(order);
        var expected = layer.Forward(x, mask).IndexSelect(1, order);
        var actual = layer.Forward(x.IndexSelect(1, order), mask.IndexSelect(1, order));
        Assert.Equal(new Shape(b, n, 8), actual.Shape);
        NumericAssert.AssertClose(expected.Span, actual.Span, 1e-5, 1e-5, $"EquivariantLayer ({pooling}) rows");
    }

    [Fact]
    public void EquivariantLayer_MaskedRows_DoNotChangeObservedRows()
    {
        var rng = new Rng(2);
        var layer = new EquivariantLayer(new ParameterStore(), "eq", 3, Small, rng);
        var x = Tensor.RandomNormal(new Shape(1, 4, 3), rng);
        var mask = Tensor.FromArray([1f, 1f, 0f, 1f], 1, 4);
        var before = layer.Forward(x, mask);
        for (int f = 0; f < 3; f++) x[0, 2, f] = 500f;
        var after = layer.Forward(x, mask);
        foreach (int j in new[] { 0, 1, 3 })
            NumericAssert.AssertClose(before.Slice(1, j, 1).Span, after.Slice(1, j, 1).Span, 0, 0, $"row {j}");
    }

    [Fact]
    public void Forward_DefaultOptions_MatchBayesFlowSizes()
    {
        var net = new DeepSet(new ParameterStore(), "ds", 2, null, new Rng(1));
        Assert.Equal(16, net.SummaryDim);
        Assert.Equal(2, net.EquivariantLayers.Count);
        Assert.Equal(64, net.EquivariantLayers[1].OutFeatures);
        Assert.Equal(0f, net.Options.Dropout);   // BayesFlow has 0.05, which makes posteriors too wide (DeepSetOptions.Dropout)
        Assert.Equal(new Shape(3, 16), net.Forward(Tensor.Zeros(3, 7, 2), null).Shape);
    }

    /// <summary>A deep set with a linear head learns the mean of a set of scalars: MSE falls below 5% of its start.</summary>
    [Fact]
    public void Train_MeanOfSet_LossFallsWellBelowStart()
    {
        var store = new ParameterStore();
        var rng = new Rng(TestSeeds.Default);
        var net = new DeepSet(store, "ds", 1, Small with { SummaryDim = 8 }, rng);
        var head = new Dense(store, "head", 8, 1, rng);
        var adam = new Adam(store, new AdamOptions { LearningRate = LearningRateSchedule.Constant(3e-3f) });
        var tape = new Tape();
        int b = 32, n = 10;
        var x = Tensor.Zeros(b, n, 1);
        var mask = Tensor.Zeros(b, n);
        var target = Tensor.Zeros(b, 1);
        float first = 0f, last = 0f;
        for (int step = 0; step < 300; step++)
        {
            // Random sets of 3..10 elements with random centres, padded to 10.
            for (int i = 0; i < b; i++)
            {
                int length = rng.Integer(3, n + 1);
                float centre = rng.Uniform(-2f, 2f), sum = 0f;
                for (int j = 0; j < n; j++)
                {
                    float v = centre + rng.Normal();
                    x[i, j, 0] = v;
                    mask[i, j] = j < length ? 1f : 0f;
                    if (j < length) sum += v;
                }
                target[i, 0] = sum / length;
            }
            store.ZeroGrad();
            using (tape.Record())
            {
                var loss = (head.Forward(net.Forward(x, mask, rng)) - target).Square().Mean();
                tape.Backward(loss);
                last = loss.Item();
            }
            adam.Update();
            if (step < 10) first += last / 10f;
        }
        Assert.True(last < 0.05f * first, $"MSE {last} did not fall well below its start {first}.");
    }
}
