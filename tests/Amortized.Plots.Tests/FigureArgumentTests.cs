using Xunit;

namespace Amortized.Plots.Tests;

/// <summary>
/// Bad input fails before rendering with an ArgumentException that names the argument and shows expected
/// against actual; degenerate but valid input (constant data) still renders.
/// </summary>
public sealed class FigureArgumentTests
{
    private static readonly string[] Two = ["a", "b"];

    private static void AssertRejects(string paramName, string[] messageParts, Action call)
    {
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(call);
        Assert.Equal(paramName, e.ParamName);
        foreach (string part in messageParts)
        {
            Assert.Contains(part, e.Message, StringComparison.Ordinal);
        }
    }

    private static double[] WithNaN(double[] values, int index)
    {
        values[index] = double.NaN;
        return values;
    }

    [Fact]
    public void Loss_NaN_NamesArgumentAndEpoch()
    {
        AssertRejects("trainLoss", ["trainLoss[1]", "NaN"], () => Figures.Loss([1, double.NaN, 0.5], []));
        AssertRejects("validationLoss", ["validationLoss[2]", "Infinity"],
            () => Figures.Loss([1, 0.9, 0.8], [null, 1, double.PositiveInfinity]));
    }

    [Fact]
    public void Loss_MismatchedLengths_ShowsExpectedAndActual()
    {
        AssertRejects("validationLoss", ["2 values", "expected 3"], () => Figures.Loss([1, 0.9, 0.8], [1, 0.9]));
        AssertRejects("trainLoss", ["empty"], () => Figures.Loss([], []));
    }

    [Fact]
    public void CalibrationEcdf_BadInputs_Rejected()
    {
        (double[] z, double[] lower, double[] upper) = TestData.Band(10);
        AssertRejects("fractionalRanks", ["19 values", "expected 20", "10 x 2"],
            () => Figures.CalibrationEcdf(new double[19], 10, Two, z, lower, upper, 0.95));
        AssertRejects("fractionalRanks", ["fractionalRanks[5] (row 2, column 1)", "NaN"],
            () => Figures.CalibrationEcdf(WithNaN(new double[20], 5), 10, Two, z, lower, upper, 0.95));
        double[] outside = new double[20];
        outside[3] = 1.5;
        AssertRejects("fractionalRanks", ["1.5", "[0, 1]"], () => Figures.CalibrationEcdf(outside, 10, Two, z, lower, upper, 0.95));
        AssertRejects("bandUpperDiff", ["50 values", "expected 51"],
            () => Figures.CalibrationEcdf(new double[20], 10, Two, z, lower, upper[..50], 0.95));
        AssertRejects("bandLowerDiff", ["NaN"],
            () => Figures.CalibrationEcdf(new double[20], 10, Two, z, WithNaN((double[])lower.Clone(), 7), upper, 0.95));
        AssertRejects("confidence", ["(0, 1)"], () => Figures.CalibrationEcdf(new double[20], 10, Two, z, lower, upper, 95));
        AssertRejects("numDatasets", ["at least 1"], () => Figures.CalibrationEcdf([], 0, Two, z, lower, upper, 0.95));
        AssertRejects("names", ["empty"], () => Figures.CalibrationEcdf([], 10, [], z, lower, upper, 0.95));
    }

    [Fact]
    public void RankHistograms_BadInputs_Rejected()
    {
        AssertRejects("ranks", ["ranks[3] (row 1, column 1)", "is 100", "[0, 99]"],
            () => Figures.RankHistograms([0, 5, 7, 100], 2, 99, Two));
        AssertRejects("ranks", ["3 values", "expected 4"], () => Figures.RankHistograms([0, 5, 7], 2, 99, Two));
        AssertRejects("bins", ["[1, 100]"], () => Figures.RankHistograms([0, 5, 7, 9], 2, 99, Two, bins: 101));
    }

    [Fact]
    public void Recovery_BadInputs_Rejected()
    {
        double[] ok = new double[6];
        AssertRejects("medians", ["medians[4] (row 2, column 0)", "NaN"],
            () => Figures.Recovery(ok, WithNaN(new double[6], 4), ok, 3, Two, [0.9, 0.9]));
        AssertRejects("mads", ["-1", "[0, "], () => Figures.Recovery(ok, ok, [0, 0, 0, -1, 0, 0], 3, Two, [0.9, 0.9]));
        AssertRejects("truths", ["5 values", "expected 6 (numDatasets x names.Count = 3 x 2)"],
            () => Figures.Recovery(new double[5], ok, ok, 3, Two, [0.9, 0.9]));
        AssertRejects("correlation", ["1 values", "expected 2"], () => Figures.Recovery(ok, ok, ok, 3, Two, [0.9]));
    }

    [Fact]
    public void ZScoreContraction_BadInputs_Rejected()
    {
        AssertRejects("contraction", ["NaN"], () => Figures.ZScoreContraction(new double[4], WithNaN(new double[4], 0), 2, Two));
        AssertRejects("zScores", ["3 values", "expected 4"], () => Figures.ZScoreContraction(new double[3], new double[4], 2, Two));
    }

    [Fact]
    public void Pairs_BadInputs_Rejected()
    {
        float[] draws = new float[10];
        AssertRejects("draws", ["draws[3] (row 1, column 1)", "NaN"],
            () => Figures.Pairs([0, 0, 0, float.NaN, 0, 0, 0, 0, 0, 0], 5, Two));
        AssertRejects("draws", ["10 values", "expected 12 (numDraws x names.Count = 6 x 2)"], () => Figures.Pairs(draws, 6, Two));
        AssertRejects("priorDraws", ["7 values", "expected 8"], () => Figures.Pairs(draws, 5, Two, new float[7], 4));
        AssertRejects("numPrior", ["at least 1"], () => Figures.Pairs(draws, 5, Two, new float[8], 0));
        AssertRejects("trueValue", ["3 values", "expected 2"], () => Figures.Pairs(draws, 5, Two, trueValue: new float[3]));
        AssertRejects("trueValue", ["Infinity"], () => Figures.Pairs(draws, 5, Two, trueValue: [0, float.PositiveInfinity]));
    }

    [Fact]
    public void MmdNull_BadInputs_Rejected()
    {
        AssertRejects("nullDistribution", ["NaN"], () => Figures.MmdNull([0.1, double.NaN, 0.2], 0.1, 0.5));
        AssertRejects("nullDistribution", ["at least 2"], () => Figures.MmdNull([0.1], 0.1, 0.5));
        AssertRejects("observedMmd", ["NaN"], () => Figures.MmdNull([0.1, 0.2], double.NaN, 0.5));
        AssertRejects("pValue", ["[0, 1]"], () => Figures.MmdNull([0.1, 0.2], 0.1, 1.5));
    }

    [Fact]
    public void ModelComparison_BadInputs_Rejected()
    {
        AssertRejects("predictedProbabilities", ["NaN"],
            () => Figures.ModelComparisonCalibration([0.5, double.NaN, 0.5, 0.5], [0, 1], 2, Two));
        AssertRejects("trueModels", ["trueModels[1] is 2", "[0, 1]"],
            () => Figures.ModelComparisonCalibration([0.5, 0.5, 0.5, 0.5], [0, 2], 2, Two));
        AssertRejects("predictedProbabilities", ["3 values", "expected 4"],
            () => Figures.ModelComparisonCalibration([0.5, 0.5, 0.5], [0, 1], 2, Two));
        AssertRejects("counts", ["(2, 3)", "expected (2, 2)"], () => Figures.ConfusionMatrix(new int[2, 3], Two));
        AssertRejects("counts", ["counts[1, 0] is -1"], () => Figures.ConfusionMatrix(new[,] { { 1, 0 }, { -1, 2 } }, Two));
    }

    [Fact]
    public void ConstantData_EveryFigureStillRenders()
    {
        const int n = 20;
        double[] ones = Enumerable.Repeat(1.0, n * 2).ToArray();
        double[] zeros = new double[n * 2];
        (double[] z, double[] lower, double[] upper) = TestData.Band(n);

        TestData.AssertRenders(Figures.Loss(Enumerable.Repeat(0.7, 5).ToArray(), [0.7, 0.7, 0.7, 0.7, 0.7]), "Training loss");
        TestData.AssertRenders(Figures.CalibrationEcdf(Enumerable.Repeat(0.5, n * 2).ToArray(), n, Two, z, lower, upper, 0.95), "rank ECDF");
        TestData.AssertRenders(Figures.RankHistograms(new int[n * 2], n, 99, Two), "SBC rank histograms");
        // Constant truths make the correlation undefined; the metric reports NaN and the title says so.
        TestData.AssertRenders(Figures.Recovery(ones, ones, zeros, n, Two, [double.NaN, double.NaN]), "r = n/a");
        TestData.AssertRenders(Figures.ZScoreContraction(zeros, ones, n, Two), "z-score");
        TestData.AssertRenders(Figures.Pairs(new float[50 * 2], 50, Two, new float[30 * 2], 30, [0, 0]), "Posterior pairs");
        TestData.AssertRenders(Figures.MmdNull(Enumerable.Repeat(0.05, 10).ToArray(), 0.05, 1), "p = 1");
        TestData.AssertRenders(Figures.ModelComparisonCalibration(Enumerable.Repeat(0.5, n * 2).ToArray(), new int[n], n, Two), "ECE = 0.5");
        TestData.AssertRenders(Figures.ConfusionMatrix(new int[2, 2], Two), "0.00");
    }
}
