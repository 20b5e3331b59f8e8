using System.Globalization;
using ScottPlot;

namespace Amortized.Plots;

public static partial class Figures
{
    /// <summary>
    /// Reliability diagram per model: datasets binned by the predicted probability of that model, and per
    /// non-empty bin the mean predicted probability against the share of datasets truly from that model, over
    /// the y = x line. The panel title carries the expected calibration error,
    /// ECE = Σ_b (n_b / N)·|mean prediction_b − observed frequency_b|.
    /// </summary>
    /// <param name="predictedProbabilities">(N x M) posterior model probabilities, each in [0, 1].</param>
    /// <param name="trueModels">(N) index of the model that simulated each dataset, in 0..M−1.</param>
    /// <param name="numDatasets">N.</param>
    /// <param name="modelNames">(M) model names.</param>
    /// <param name="bins">Equal-width probability bins over [0, 1], ≥ 1.</param>
    /// <param name="title">Figure title.</param>
    public static Plot ModelComparisonCalibration(
        double[] predictedProbabilities, int[] trueModels, int numDatasets, IReadOnlyList<string> modelNames,
        int bins = 10, string title = "Model comparison: calibration")
    {
        int m = CheckGrid(numDatasets, modelNames, nameof(modelNames));
        Check.Length(predictedProbabilities, numDatasets * m, nameof(predictedProbabilities),
            Shape(numDatasets, m, "numDatasets", "modelNames.Count"));
        Check.InRange(predictedProbabilities, 0, 1, nameof(predictedProbabilities), m);
        Check.Length(trueModels, numDatasets, nameof(trueModels), "numDatasets");
        for (int n = 0; n < numDatasets; n++)
        {
            if (trueModels[n] < 0 || trueModels[n] >= m)
            {
                throw new ArgumentException(
                    $"trueModels[{n}] is {trueModels[n]}; every index must lie in [0, {m - 1}].", nameof(trueModels));
            }
        }
        Check.Positive(bins, nameof(bins));
        ArgumentNullException.ThrowIfNull(title);

        var panels = new Plot?[m];
        for (int k = 0; k < m; k++)
        {
            var sumPredicted = new double[bins];
            var hits = new double[bins];
            var count = new int[bins];
            for (int n = 0; n < numDatasets; n++)
            {
                double p = predictedProbabilities[n * m + k];
                int b = Math.Min((int)(p * bins), bins - 1);
                sumPredicted[b] += p;
                hits[b] += trueModels[n] == k ? 1 : 0;
                count[b]++;
            }
            var xs = new List<double>();
            var ys = new List<double>();
            double ece = 0;
            for (int b = 0; b < bins; b++)
            {
                if (count[b] == 0)
                {
                    continue;
                }
                double meanPredicted = sumPredicted[b] / count[b];
                double frequency = hits[b] / count[b];
                xs.Add(meanPredicted);
                ys.Add(frequency);
                ece += (double)count[b] / numDatasets * Math.Abs(meanPredicted - frequency);
            }

            Plot panel = FigureStyle.Panel($"{modelNames[k]} (ECE = {FigureStyle.Format(ece)})",
                "predicted probability", "observed frequency");
            Diagonal(panel, 0, 1, k == 0 ? "perfect calibration" : null);
            var curve = panel.Add.Scatter(xs.ToArray(), ys.ToArray(), FigureStyle.Posterior);
            curve.LineWidth = 2;
            curve.MarkerSize = 7;
            if (k == 0)
            {
                curve.LegendText = "binned datasets";
                panel.ShowLegend(Alignment.UpperLeft);
            }
            panel.Axes.SetLimits(-0.03, 1.03, -0.03, 1.03);
            panels[k] = panel;
        }
        return FigureStyle.Grid(title, panels, FigureStyle.ColumnsFor(m));
    }

    /// <summary>
    /// Confusion matrix of model comparison as a heatmap with the value written in each cell: rows are the true
    /// model, columns the predicted (most probable) model, true model 0 in the top row.
    /// </summary>
    /// <param name="counts">(M x M) counts[true, predicted]; each ≥ 0.</param>
    /// <param name="modelNames">(M) model names.</param>
    /// <param name="normalize">Show each row divided by its sum, i.e. the share of the true model's datasets
    /// that were predicted as each model; a row with no datasets shows 0.</param>
    /// <param name="title">Figure title.</param>
    public static Plot ConfusionMatrix(int[,] counts, IReadOnlyList<string> modelNames, bool normalize = true,
        string title = "Model comparison: confusion matrix")
    {
        ArgumentNullException.ThrowIfNull(counts);
        Check.Names(modelNames, nameof(modelNames));
        int m = modelNames.Count;
        if (counts.GetLength(0) != m || counts.GetLength(1) != m)
        {
            throw new ArgumentException(
                $"counts is ({counts.GetLength(0)}, {counts.GetLength(1)}); expected ({m}, {m}) " +
                "(modelNames.Count squared).", nameof(counts));
        }
        ArgumentNullException.ThrowIfNull(title);
        var values = new double[m, m];
        for (int i = 0; i < m; i++)
        {
            long rowSum = 0;
            for (int j = 0; j < m; j++)
            {
                if (counts[i, j] < 0)
                {
                    throw new ArgumentException(
                        $"counts[{i}, {j}] is {counts[i, j]}; counts cannot be negative.", nameof(counts));
                }
                rowSum += counts[i, j];
            }
            for (int j = 0; j < m; j++)
            {
                values[i, j] = !normalize ? counts[i, j] : rowSum == 0 ? 0 : (double)counts[i, j] / rowSum;
            }
        }

        double max = 0;
        foreach (double v in values)
        {
            max = Math.Max(max, v);
        }
        string fullTitle = normalize ? $"{title} (row-normalized)" : title;
        Plot plot = FigureStyle.Panel(fullTitle, "predicted model", "true model");
        var colormap = new ScottPlot.Colormaps.Blues();
        float fontSize = m <= 4 ? 16 : m <= 8 ? 13 : 10;
        for (int i = 0; i < m; i++)
        {
            double y = m - 1 - i;
            for (int j = 0; j < m; j++)
            {
                // Scale against the largest cell. ScottPlot's Blues runs from dark (0) to light (1), so larger
                // values take smaller positions; the range stops short of both ends so an empty cell is not
                // pure white on the white figure and the largest is not near-black under its label.
                double shade = max > 0 ? values[i, j] / max : 0;
                var cell = plot.Add.Rectangle(j - 0.5, j + 0.5, y - 0.5, y + 0.5);
                cell.FillColor = colormap.GetColor(0.95 - 0.8 * shade);
                cell.LineColor = Colors.White;
                cell.LineWidth = 1;
                string label = normalize
                    ? values[i, j].ToString("0.00", CultureInfo.InvariantCulture)
                    : counts[i, j].ToString(CultureInfo.InvariantCulture);
                var text = plot.Add.Text(label, j, y);
                text.Alignment = Alignment.MiddleCenter;
                text.LabelFontSize = fontSize;
                text.LabelFontColor = shade > 0.55 ? Colors.White : Colors.Black;
            }
        }
        var positions = new double[m];
        var topDown = new string[m];
        var names = new string[m];
        for (int k = 0; k < m; k++)
        {
            positions[k] = k;
            names[k] = modelNames[k];
            topDown[k] = modelNames[m - 1 - k];
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, names);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, topDown);
        plot.HideGrid();
        plot.Axes.SetLimits(-0.5, m - 0.5, -0.5, m - 0.5);
        // Wide enough for the title (about 11 px a character at the figure title size) and square-ish cells.
        int width = Math.Max(200 + 110 * Math.Max(m, 3), 11 * fullTitle.Length + 80);
        plot = FigureStyle.Single(plot, fullTitle, width, 140 + 100 * Math.Max(m, 3));
        // Model names are the only labels on these axes, so they get the axis-label size, not tick size.
        plot.Axes.Bottom.TickLabelStyle.FontSize = FigureStyle.AxisLabelSize;
        plot.Axes.Left.TickLabelStyle.FontSize = FigureStyle.AxisLabelSize;
        return plot;
    }
}
