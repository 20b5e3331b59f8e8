using Amortized.Inference.Diagnostics;
using Amortized.Inference.Simulators;
using Xunit;

namespace Amortized.Inference.Tests.Diagnostics;

public class PosteriorDrawsTests
{
    [Fact]
    public void Indexer_RowMajorNSD_ReadsTheRightElement()
    {
        var values = new float[2 * 3 * 4];
        for (int i = 0; i < values.Length; i++) values[i] = i;
        var draws = new PosteriorDraws(values, 2, 3, 4);
        Assert.Equal((1 * 3 + 2) * 4 + 3, draws[1, 2, 3]);
        Assert.Equal(["theta[0]", "theta[1]", "theta[2]", "theta[3]"], draws.Names);
        Assert.Equal(24, draws.Values.Length);
        Assert.Contains("(2, 3, 4)", Assert.Throws<ArgumentOutOfRangeException>(() => draws[2, 0, 0]).Message);
    }

    [Fact]
    public void Ctor_WrongLength_NamesArgumentExpectedAndActual()
    {
        var ex = Assert.Throws<ArgumentException>(() => new PosteriorDraws(new float[10], 2, 3, 2));
        Assert.Equal("values", ex.ParamName);
        Assert.Contains("10 elements", ex.Message);
        Assert.Contains("2 x 3 x 2 = 12", ex.Message);
    }

    [Fact]
    public void Ctor_BadSizesAndNames_NameTheArgument()
    {
        Assert.Equal("draws", Assert.Throws<ArgumentOutOfRangeException>(() => new PosteriorDraws(new float[2], 2, 1, 1)).ParamName);
        Assert.Equal("datasets", Assert.Throws<ArgumentOutOfRangeException>(() => new PosteriorDraws([], 0, 2, 1)).ParamName);
        var ex = Assert.Throws<ArgumentException>(() => new PosteriorDraws(new float[8], 2, 2, 2, ["a"]));
        Assert.Equal("names", ex.ParamName);
        Assert.Contains("1 names given for D = 2", ex.Message);
    }

    [Fact]
    public void FromBatch_TrailingAxes_AreFlattenedToD()
    {
        var data = new float[2 * 3 * 2 * 2];
        for (int i = 0; i < data.Length; i++) data[i] = i;
        var batch = new SimulationBatch(2).Set("theta", data, 2, 3, 2, 2).Set("mu", new float[6], 2, 3);
        var draws = PosteriorDraws.FromBatch(batch, "theta");
        Assert.Equal((2, 3, 4), (draws.Datasets, draws.Draws, draws.Parameters));
        Assert.Equal(data[(1 * 3 + 1) * 4 + 2], draws[1, 1, 2]);
        Assert.Equal(1, PosteriorDraws.FromBatch(batch, "mu").Parameters);
    }

    [Fact]
    public void FromBatch_KeyWithoutDrawAxis_ThrowsWithShape()
    {
        var batch = new SimulationBatch(3).Set("theta", new float[3], 3);
        var ex = Assert.Throws<ArgumentException>(() => PosteriorDraws.FromBatch(batch, "theta"));
        Assert.Contains("(3,)", ex.Message);
        Assert.Contains("(N, S)", ex.Message);
    }

    [Fact]
    public void Metrics_TruthsOfWrongShape_NameTruthsAndBothShapes()
    {
        var draws = new PosteriorDraws(new float[2 * 3 * 2], 2, 3, 2);
        var ex = Assert.Throws<ArgumentException>(() => SimulationBasedCalibration.Ranks(draws, new float[3]));
        Assert.Equal("truths", ex.ParamName);
        Assert.Contains("3 values", ex.Message);
        Assert.Contains("(N, D) = (2, 2)", ex.Message);
        Assert.Contains("(2, 3, 2)", ex.Message);
        Assert.Equal("truths", Assert.Throws<ArgumentException>(() => PosteriorMetrics.ZScores(draws, new float[5])).ParamName);
        Assert.Equal("truths", Assert.Throws<ArgumentException>(() => PosteriorMetrics.Tarp(draws, new float[5])).ParamName);
        Assert.Equal("priorSd", Assert.Throws<ArgumentException>(() => PosteriorMetrics.Contraction(draws, new double[3])).ParamName);
    }
}
