using Xunit;

namespace Amortized.Plots.Tests;

/// <summary>Every figure renders a non-empty PNG of the requested size and an SVG with its text, for 1, 2 and 5 parameters.</summary>
public sealed class FigureTests
{
    private const int N = 60;

    public static TheoryData<int> ParameterCounts => [1, 2, 5];

    [Fact]
    public void Loss_TrainAndValidation_Renders()
    {
        var rng = TestData.NewRandom();
        var train = new double[30];
        var validation = new double?[30];
        for (int e = 0; e < train.Length; e++)
        {
            train[e] = 2 * Math.Exp(-e / 6.0) + 0.05 * TestData.Normal(rng);
            validation[e] = e % 3 == 2 ? train[e] + 0.1 : null;
        }
        TestData.AssertRenders(Figures.Loss(train, validation, "Loss of run 7"), "Loss of run 7", "validation", "epoch");
    }

    [Fact]
    public void Loss_NoValidationAndOneEpoch_Renders()
    {
        TestData.AssertRenders(Figures.Loss([1.5], []), "Training loss");
    }

    [Theory]
    [MemberData(nameof(ParameterCounts))]
    public void CalibrationEcdf_Renders(int d)
    {
        var rng = TestData.NewRandom();
        (double[] z, double[] lower, double[] upper) = TestData.Band(N);
        string[] names = TestData.Names(d);
        var plot = Figures.CalibrationEcdf(TestData.Uniform(rng, N * d), N, names, z, lower, upper, 0.95);
        TestData.AssertRenders(plot, "Calibration: rank ECDF difference", names[d - 1], "95% simultaneous band");
    }

    [Theory]
    [MemberData(nameof(ParameterCounts))]
    public void RankHistograms_Renders(int d)
    {
        var rng = TestData.NewRandom();
        var ranks = new int[N * d];
        for (int i = 0; i < ranks.Length; i++)
        {
            ranks[i] = rng.Next(0, 100);
        }
        string[] names = TestData.Names(d);
        TestData.AssertRenders(Figures.RankHistograms(ranks, N, 99, names), "SBC rank histograms", names[d - 1], "99% pointwise binomial band");
    }

    [Theory]
    [MemberData(nameof(ParameterCounts))]
    public void Recovery_Renders(int d)
    {
        var rng = TestData.NewRandom();
        double[] truths = TestData.Normals(rng, N * d);
        double[] medians = truths.Select(t => 0.9 * t + 0.2 * TestData.Normal(rng)).ToArray();
        double[] mads = TestData.Uniform(rng, N * d);
        double[] r = Enumerable.Repeat(0.987, d).ToArray();
        string[] names = TestData.Names(d);
        TestData.AssertRenders(Figures.Recovery(truths, medians, mads, N, names, r), "Parameter recovery", $"{names[d - 1]} (r = 0.987)");
    }

    [Theory]
    [MemberData(nameof(ParameterCounts))]
    public void ZScoreContraction_Renders(int d)
    {
        var rng = TestData.NewRandom();
        string[] names = TestData.Names(d);
        var plot = Figures.ZScoreContraction(TestData.Normals(rng, N * d), TestData.Uniform(rng, N * d), N, names);
        TestData.AssertRenders(plot, "z-score vs contraction", names[d - 1], "posterior contraction");
    }

    [Theory]
    [MemberData(nameof(ParameterCounts))]
    public void Pairs_WithPriorAndTruth_Renders(int d)
    {
        var rng = TestData.NewRandom();
        string[] names = TestData.Names(d);
        float[] draws = TestData.NormalFloats(rng, 400 * d, 0.3);
        float[] prior = TestData.NormalFloats(rng, 300 * d, 2);
        var plot = Figures.Pairs(draws, 400, names, prior, 300, new float[d]);
        TestData.AssertRenders(plot, "Posterior pairs", names[d - 1], "density");
    }

    [Fact]
    public void Pairs_PosteriorOnly_Renders()
    {
        var rng = TestData.NewRandom();
        TestData.AssertRenders(Figures.Pairs(TestData.NormalFloats(rng, 500 * 2), 500, ["a", "b"]), "Posterior pairs");
    }

    [Fact]
    public void Pairs_ManyDraws_ScatterIsThinnedButRenders()
    {
        var rng = TestData.NewRandom();
        TestData.AssertRenders(Figures.Pairs(TestData.NormalFloats(rng, 9000 * 2), 9000, ["a", "b"]), "Posterior pairs");
    }

    [Fact]
    public void MmdNull_Renders()
    {
        var rng = TestData.NewRandom();
        double[] nulls = TestData.Normals(rng, 300, 0.01, 0.05);
        TestData.AssertRenders(Figures.MmdNull(nulls, 0.12, 0.004), "MMD under the null (p = 0.004)", "observed = 0.12");
    }

    [Theory]
    [MemberData(nameof(ParameterCounts))]
    public void ModelComparisonCalibration_Renders(int m)
    {
        var rng = TestData.NewRandom();
        var probabilities = new double[N * m];
        var truth = new int[N];
        for (int n = 0; n < N; n++)
        {
            truth[n] = rng.Next(m);
            double sum = 0;
            for (int k = 0; k < m; k++)
            {
                probabilities[n * m + k] = Math.Exp(TestData.Normal(rng) + (k == truth[n] ? 1 : 0));
                sum += probabilities[n * m + k];
            }
            for (int k = 0; k < m; k++)
            {
                probabilities[n * m + k] /= sum;
            }
        }
        string[] names = TestData.Names(m);
        TestData.AssertRenders(Figures.ModelComparisonCalibration(probabilities, truth, N, names), "Model comparison: calibration", $"{names[m - 1]} (ECE = ");
    }

    [Theory]
    [MemberData(nameof(ParameterCounts))]
    public void ConfusionMatrix_Renders(int m)
    {
        var counts = new int[m, m];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < m; j++)
            {
                counts[i, j] = i == j ? 40 : 3 + i + j;
            }
        }
        string[] names = TestData.Names(m);
        TestData.AssertRenders(Figures.ConfusionMatrix(counts, names), "confusion matrix (row-normalized)", names[m - 1]);
        TestData.AssertRenders(Figures.ConfusionMatrix(counts, names, normalize: false), "confusion matrix", "40");
    }

    [Fact]
    public void SuggestedSize_GridGrowsWithPanels_SingleIsDefault()
    {
        var rng = TestData.NewRandom();
        var two = Figures.ZScoreContraction(TestData.Normals(rng, 20), TestData.Uniform(rng, 20), 10, ["a", "b"]);
        var five = Figures.ZScoreContraction(TestData.Normals(rng, 50), TestData.Uniform(rng, 50), 10, TestData.Names(5));
        (int w2, int h2) = Figures.SuggestedSize(two);
        (int w5, int h5) = Figures.SuggestedSize(five);
        Assert.True(w5 > w2 && h5 > h2, $"2 panels: {w2} x {h2}; 5 panels: {w5} x {h5}");
        Assert.Equal((800, 500), Figures.SuggestedSize(new ScottPlot.Plot()));
    }
}
