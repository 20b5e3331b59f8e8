using System.Globalization;
using ScottPlot;

namespace Amortized.Plots;

public static partial class Figures
{
    /// <summary>
    /// Simulation-based calibration in ECDF difference form: per parameter, ECDF(z) − z of the fractional ranks
    /// (a flat line at 0 when calibrated) with the shaded simultaneous band. One panel per parameter, all on
    /// one y-scale so the panels compare at a glance.
    /// </summary>
    /// <remarks>Säilynoja, Bürkner and Vehtari (2022), "Graphical test for discrete uniformity and its
    /// applications in goodness-of-fit evaluation and multiple sample comparison", Statistics and Computing 32.
    /// The band is computed by the caller (a metric); it is drawn as given.</remarks>
    /// <param name="fractionalRanks">(N x D) fractional rank of the true value among the posterior
    /// draws, in [0, 1].</param>
    /// <param name="numDatasets">N.</param>
    /// <param name="names">(D) parameter names.</param>
    /// <param name="bandZ">(K) grid of z in [0, 1] on which the band is given, K ≥ 2.</param>
    /// <param name="bandLowerDiff">(K) lower band edge as ECDF difference (lower(z) − z).</param>
    /// <param name="bandUpperDiff">(K) upper band edge as ECDF difference.</param>
    /// <param name="confidence">Simultaneous coverage of the band, in (0, 1), for the legend.</param>
    /// <param name="title">Figure title.</param>
    public static Plot CalibrationEcdf(
        double[] fractionalRanks, int numDatasets, IReadOnlyList<string> names,
        double[] bandZ, double[] bandLowerDiff, double[] bandUpperDiff, double confidence,
        string title = "Calibration: rank ECDF difference")
    {
        int d = CheckGrid(numDatasets, names);
        Check.Length(fractionalRanks, numDatasets * d, nameof(fractionalRanks), Shape(numDatasets, d));
        Check.InRange(fractionalRanks, 0, 1, nameof(fractionalRanks), d);
        ArgumentNullException.ThrowIfNull(bandZ);
        if (bandZ.Length < 2)
        {
            throw new ArgumentException($"bandZ has {bandZ.Length} values; at least 2 are needed.", nameof(bandZ));
        }
        Check.InRange(bandZ, 0, 1, nameof(bandZ));
        Check.Length(bandLowerDiff, bandZ.Length, nameof(bandLowerDiff), "bandZ.Length");
        Check.Length(bandUpperDiff, bandZ.Length, nameof(bandUpperDiff), "bandZ.Length");
        Check.Finite(bandLowerDiff, nameof(bandLowerDiff));
        Check.Finite(bandUpperDiff, nameof(bandUpperDiff));
        Check.Probability(confidence, nameof(confidence), open: true);
        ArgumentNullException.ThrowIfNull(title);

        var curves = new (double[] X, double[] Y)[d];
        (double low, double high) = MinMax(bandLowerDiff);
        high = Math.Max(high, MinMax(bandUpperDiff).Max);
        for (int j = 0; j < d; j++)
        {
            curves[j] = EcdfDifference(Column(fractionalRanks, numDatasets, d, j));
            (double min, double max) = MinMax(curves[j].Y);
            low = Math.Min(low, min);
            high = Math.Max(high, max);
        }
        (double bottom, double top) = FigureStyle.Padded(Math.Min(low, -0.01), Math.Max(high, 0.01), 0.08);

        var panels = new Plot?[d];
        for (int j = 0; j < d; j++)
        {
            Plot panel = FigureStyle.Panel(names[j], "fractional rank z", "ECDF(z) − z");
            var band = panel.Add.FillY(bandZ, bandLowerDiff, bandUpperDiff);
            band.FillColor = FigureStyle.Band;
            band.LineWidth = 0;
            var zero = panel.Add.HorizontalLine(0, 1, FigureStyle.Reference);
            zero.LineWidth = 1;
            var curve = panel.Add.ScatterLine(curves[j].X, curves[j].Y, FigureStyle.Posterior);
            curve.LineWidth = 1.8f;
            panel.Axes.SetLimits(0, 1, bottom, top);
            panels[j] = panel;
        }
        string bandLabel = $"{(confidence * 100).ToString("0.#", CultureInfo.InvariantCulture)}% simultaneous band";
        return FigureStyle.Grid(title, panels, FigureStyle.ColumnsFor(d), legend:
        [
            FigureStyle.Entry("rank ECDF − uniform", line: FigureStyle.Posterior),
            FigureStyle.Entry(bandLabel, fill: FigureStyle.Band),
        ]);
    }

    /// <summary>
    /// Exact ECDF(z) − z for values in [0, 1]: it falls with slope −1 between sorted values and jumps by 1/N at
    /// each, so two vertices per value (before and after the jump) plus the ends trace it without a grid.
    /// </summary>
    private static (double[] X, double[] Y) EcdfDifference(double[] values)
    {
        Array.Sort(values);
        int n = values.Length;
        var xs = new double[2 * n + 2];
        var ys = new double[2 * n + 2];
        xs[0] = 0;
        ys[0] = 0;
        for (int i = 0; i < n; i++)
        {
            double u = values[i];
            xs[2 * i + 1] = u;
            ys[2 * i + 1] = (double)i / n - u;
            xs[2 * i + 2] = u;
            ys[2 * i + 2] = (double)(i + 1) / n - u;
        }
        xs[^1] = 1;
        ys[^1] = 0;
        return (xs, ys);
    }

    /// <summary>
    /// SBC rank histograms: per parameter, how many datasets put the true value at each rank among the
    /// posterior draws, in <paramref name="bins"/> bins, over the grey band a calibrated posterior's counts fall
    /// in: per bin the central <paramref name="confidence"/> interval of Binomial(N, p_b), p_b the bin's share
    /// of rank values. The band is pointwise (each bin alone), not simultaneous across bins.
    /// </summary>
    /// <remarks>Talts et al. (2018), "Validating Bayesian inference algorithms with simulation-based
    /// calibration", arXiv:1804.06788.</remarks>
    /// <param name="ranks">(N x D) rank of the true value among <paramref name="numDraws"/> draws, in
    /// 0..numDraws.</param>
    /// <param name="numDatasets">N.</param>
    /// <param name="numDraws">L, posterior draws per dataset; ranks take the L + 1 values 0..L.</param>
    /// <param name="names">(D) parameter names.</param>
    /// <param name="bins">Histogram bins, 1..L+1; (L+1)/bins should be whole for equal expected counts.</param>
    /// <param name="confidence">Pointwise coverage of the band, in (0, 1).</param>
    /// <param name="title">Figure title.</param>
    public static Plot RankHistograms(
        int[] ranks, int numDatasets, int numDraws, IReadOnlyList<string> names, int bins = 20,
        double confidence = 0.99, string title = "Calibration: SBC rank histograms")
    {
        int d = CheckGrid(numDatasets, names);
        Check.Positive(numDraws, nameof(numDraws));
        Check.Length(ranks, numDatasets * d, nameof(ranks), Shape(numDatasets, d));
        if (bins < 1 || bins > numDraws + 1)
        {
            throw new ArgumentOutOfRangeException(nameof(bins), bins,
                $"bins must lie in [1, numDraws + 1] = [1, {numDraws + 1}]; it is {bins}.");
        }
        Check.Probability(confidence, nameof(confidence), open: true);
        ArgumentNullException.ThrowIfNull(title);
        for (int i = 0; i < ranks.Length; i++)
        {
            if (ranks[i] < 0 || ranks[i] > numDraws)
            {
                throw new ArgumentException(
                    $"ranks[{i}] (row {i / d}, column {i % d}) is {ranks[i]}; every rank must lie in [0, " +
                    $"numDraws] = [0, {numDraws}].",
                    nameof(ranks));
            }
        }

        (int[] first, int[] count) = RankBins.Layout(numDraws, bins);
        (int[] lower, int[] upper, double[] expected) = RankBins.Band(numDatasets, numDraws, bins, confidence);
        string bandLabel =
            $"{(confidence * 100).ToString("0.#", CultureInfo.InvariantCulture)}% pointwise binomial band";
        // Count first, so every panel gets the same y-range and heights compare across parameters.
        var counts = new int[d, bins];
        int maxCount = 0;
        for (int b = 0; b < bins; b++)
        {
            maxCount = Math.Max(maxCount, upper[b]);
        }
        for (int j = 0; j < d; j++)
        {
            for (int n = 0; n < numDatasets; n++)
            {
                int b = RankBins.BinOf(ranks[n * d + j], numDraws, bins);
                maxCount = Math.Max(maxCount, ++counts[j, b]);
            }
        }

        var panels = new Plot?[d];
        for (int j = 0; j < d; j++)
        {
            Plot panel = FigureStyle.Panel(names[j], $"rank among {numDraws} draws", "datasets per bin");
            // The band first, so the bars are drawn over it and stay fully visible.
            AddRankBand(panel, first, count, lower, upper, expected);
            var bars = new List<Bar>(bins);
            for (int b = 0; b < bins; b++)
            {
                // A bin covers rank values first..first+count−1; bars span them edge to edge.
                bars.Add(new Bar
                {
                    Position = first[b] - 0.5 + count[b] / 2.0,
                    Value = counts[j, b],
                    Size = count[b] * 0.92,
                    FillColor = FigureStyle.Posterior.WithAlpha(0.75),
                    LineWidth = 0,
                });
            }
            panel.Add.Bars(bars);
            panel.Axes.SetLimits(-0.5, numDraws + 0.5, 0, maxCount * 1.15 + 0.5);
            panels[j] = panel;
        }
        return FigureStyle.Grid(title, panels, FigureStyle.ColumnsFor(d), legend:
        [
            FigureStyle.Entry("datasets", fill: FigureStyle.Posterior.WithAlpha(0.75)),
            FigureStyle.Entry(bandLabel, fill: FigureStyle.Band),
            FigureStyle.Entry("expected", line: FigureStyle.Reference, lineWidth: 1),
        ]);
    }

    /// <summary>
    /// Grey rectangles from lower to upper count over each bin, and the expected count as a thin line.
    /// </summary>
    private static void AddRankBand(Plot panel, int[] first, int[] count, int[] lower, int[] upper,
        double[] expected)
    {
        for (int b = 0; b < first.Length; b++)
        {
            double left = first[b] - 0.5;
            double right = left + count[b];
            var rect = panel.Add.Rectangle(left, right, lower[b], upper[b]);
            rect.FillColor = FigureStyle.Band;
            rect.LineWidth = 0;
            var mean = panel.Add.Line(left, expected[b], right, expected[b]);
            mean.Color = FigureStyle.Reference;
            mean.LineWidth = 1;
        }
    }
}
