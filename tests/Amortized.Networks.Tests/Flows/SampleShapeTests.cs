using Amortized.Networks.Flows;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Networks.Tests.Flows;

public class SampleShapeTests
{
    private static CouplingFlow Flow(int conditionDim) =>
        new(new ParameterStore(), "f", 3, conditionDim, new CouplingFlowOptions { Depth = 2, SubnetWidths = [8], Dropout = 0f }, new Rng(1));

    [Fact]
    public void Sample_OneCondition_ReturnsDrawsByDimension()
    {
        var flow = Flow(2);
        Assert.Equal(new Shape(7, 3), flow.Sample(7, Tensor.FromArray([1f, 2f], 2), new Rng(2)).Shape);
        Assert.Equal(new Shape(7, 3), flow.Sample(7, Tensor.FromArray([1f, 2f], 1, 2), new Rng(2)).Shape);
    }

    [Fact]
    public void Sample_ManyConditions_ReturnsConditionByDrawByDimension()
    {
        var flow = Flow(2);
        var draws = flow.Sample(5, Tensor.Zeros(4, 2), new Rng(2));
        Assert.Equal(new Shape(4, 5, 3), draws.Shape);
    }

    [Fact]
    public void Sample_SameSeed_SameDraws()
    {
        var flow = Flow(0);
        Assert.Equal(flow.Sample(10, null, new Rng(5)).ToArray(), flow.Sample(10, null, new Rng(5)).ToArray());
        Assert.NotEqual(flow.Sample(10, null, new Rng(5)).ToArray(), flow.Sample(10, null, new Rng(6)).ToArray());
    }

    [Fact]
    public void LogProb_WrongConditionShape_NamesShapes()
    {
        var flow = Flow(2);
        var ex = Assert.Throws<ArgumentException>(() => flow.LogProb(Tensor.Zeros(4, 3), Tensor.Zeros(4, 5)));
        Assert.Contains("(4, 5)", ex.Message);
        Assert.Contains("(4, 2)", ex.Message);
        Assert.Throws<ArgumentException>(() => flow.LogProb(Tensor.Zeros(4, 3), null));
        Assert.Throws<ArgumentException>(() => flow.LogProb(Tensor.Zeros(4, 2), Tensor.Zeros(4, 2)));
    }
}
