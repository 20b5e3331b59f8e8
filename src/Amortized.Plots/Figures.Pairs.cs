using ScottPlot;

namespace Amortized.Plots;

public static partial class Figures
{
    /// <summary>At most this many points per scatter panel; more only overplot and slow the SVG down.</summary>
    private const int MaxScatterPoints = 2000;

    /// <summary>
    /// Pairs plot of posterior draws for one dataset: D x D panels with histograms (as densities) on the
    /// diagonal and translucent scatter plots below it; the upper triangle is left empty. Prior draws, when
    /// given, are drawn in grey behind the posterior; the true value, when given, as red lines and a cross.
    /// Every panel in a column shares the x-range. Ranges cover the posterior draws and the true value, not
    /// the prior: a prior far wider than the posterior would otherwise squeeze the posterior into a few pixels,
    /// so the prior is shown where it overlaps (its histogram still normalized over all prior draws).
    /// </summary>
    /// <remarks>Scatter panels show at most 2000 points, every k-th draw in order (k = ⌈S/2000⌉), so the
    /// figure is deterministic; histograms use every draw.</remarks>
    /// <param name="draws">(S x D) posterior draws; finite.</param>
    /// <param name="numDraws">S.</param>
    /// <param name="names">(D) parameter names.</param>
    /// <param name="priorDraws">(P x D) prior draws, or null for none; finite.</param>
    /// <param name="numPrior">P; ignored when <paramref name="priorDraws"/> is null.</param>
    /// <param name="trueValue">(D) true parameter value, or null when unknown; finite.</param>
    /// <param name="title">Figure title.</param>
    public static Plot Pairs(
        float[] draws, int numDraws, IReadOnlyList<string> names,
        float[]? priorDraws = null, int numPrior = 0, float[]? trueValue = null,
        string title = "Posterior pairs")
    {
        Check.Positive(numDraws, nameof(numDraws));
        Check.Names(names, nameof(names));
        int d = names.Count;
        Check.Length(draws, numDraws * d, nameof(draws), Shape(numDraws, d, "numDraws"));
        Check.Finite(draws, nameof(draws), d);
        if (priorDraws is not null)
        {
            Check.Positive(numPrior, nameof(numPrior));
            Check.Length(priorDraws, numPrior * d, nameof(priorDraws), Shape(numPrior, d, "numPrior"));
            Check.Finite(priorDraws, nameof(priorDraws), d);
        }
        if (trueValue is not null)
        {
            Check.Length(trueValue, d, nameof(trueValue), "names.Count");
            Check.Finite(trueValue, nameof(trueValue));
        }
        ArgumentNullException.ThrowIfNull(title);

        var posterior = new double[d][];
        var prior = priorDraws is null ? null : new double[d][];
        var limits = new (double Low, double High)[d];
        for (int j = 0; j < d; j++)
        {
            posterior[j] = ColumnOf(draws, numDraws, d, j);
            (double low, double high) = MinMax(posterior[j]);
            if (prior is not null)
            {
                // The axes span the prior's draws too, so the figure shows how far the data moved the posterior.
                prior[j] = ColumnOf(priorDraws!, numPrior, d, j);
                (double priorLow, double priorHigh) = MinMax(prior[j]);
                (low, high) = (Math.Min(low, priorLow), Math.Max(high, priorHigh));
            }
            if (trueValue is not null)
            {
                (low, high) = (Math.Min(low, trueValue[j]), Math.Max(high, trueValue[j]));
            }
            limits[j] = FigureStyle.Padded(low, high);
        }

        var panels = new Plot?[d * d];
        for (int row = 0; row < d; row++)
        {
            for (int column = 0; column <= row; column++)
            {
                string xLabel = row == d - 1 ? names[column] : "";
                Plot panel = row == column
                    ? PairsDiagonal(posterior[row], prior?[row], trueValue, row,
                        limits[row], names[row], xLabel)
                    : PairsScatter(posterior, prior, trueValue, row, column, limits, xLabel,
                        column == 0 ? names[row] : "");
                // One fixed padding for every cell, so data areas line up along rows and columns whatever
                // the tick labels and titles measure.
                panel.Layout.Fixed(new PixelPadding(64, 12, 48, 32));
                panels[row * d + column] = panel;
            }
        }
        float cell = d <= 2 ? 340 : d <= 4 ? 280 : 230;
        var legend = new List<LegendItem> { FigureStyle.Entry("posterior (contours: 50% and 90% highest density)",
            fill: FigureStyle.Posterior.WithAlpha(0.7)) };
        if (prior is not null) legend.Add(FigureStyle.Entry("prior", fill: FigureStyle.Prior.WithAlpha(0.45)));
        if (trueValue is not null) legend.Add(FigureStyle.Entry("true value", line: FigureStyle.Truth));
        return FigureStyle.Grid(title, panels, d, cell, cell * 0.9f, legend);
    }

    private static Plot PairsDiagonal(
        double[] posterior, double[]? prior, float[]? trueValue, int j, (double Low, double High) limits,
        string name, string xLabel)
    {
        Plot panel = FigureStyle.Panel(name, xLabel, "density");
        // As many bins across the posterior's own range as its draws support, however wide the prior makes the axis.
        (double low, double high) = MinMax(posterior);
        double share = high > low ? (high - low) / (limits.High - limits.Low) : 1;
        int bins = (int)Math.Clamp(Math.Round(Histograms.BinsFor(posterior) / Math.Max(share, 1e-3)), 1, 150);
        double top = 0;
        if (prior is not null)
        {
            var priorBars = Histograms.Add(panel, prior, limits.Low, limits.High, bins,
                FigureStyle.Prior.WithAlpha(0.45), density: true);
            top = MaxBar(priorBars);
        }
        var bars = Histograms.Add(panel, posterior, limits.Low, limits.High, bins,
            FigureStyle.Posterior.WithAlpha(0.7), density: true);
        top = Math.Max(top, MaxBar(bars));
        if (trueValue is not null)
        {
            panel.Add.VerticalLine(trueValue[j], 2, FigureStyle.Truth);
        }
        panel.Axes.SetLimits(limits.Low, limits.High, 0, top > 0 ? top * 1.1 : 1);
        return panel;
    }

    private static Plot PairsScatter(
        double[][] posterior, double[][]? prior, float[]? trueValue, int row, int column,
        (double Low, double High)[] limits, string xLabel, string yLabel)
    {
        Plot panel = FigureStyle.Panel("", xLabel, yLabel);
        panel.Axes.Title.IsVisible = false;
        if (prior is not null)
        {
            (double[] px, double[] py) = Thin(prior[column], prior[row]);
            panel.Add.Markers(px, py, MarkerShape.FilledCircle, 3, FigureStyle.Prior.WithAlpha(0.25));
        }
        (double[] x, double[] y) = Thin(posterior[column], posterior[row]);
        panel.Add.Markers(x, y, MarkerShape.FilledCircle, 3, FigureStyle.Posterior.WithAlpha(0.3));
        foreach (var (x0, y0, x1, y1) in DensityContours.Segments(posterior[column], posterior[row],
            limits[column], limits[row], [0.5, 0.9]))
        {
            var segment = panel.Add.Line(x0, y0, x1, y1);
            segment.Color = FigureStyle.Posterior.Darken(0.3);
            segment.LineWidth = 1.4f;
        }
        if (trueValue is not null)
        {
            panel.Add.VerticalLine(trueValue[column], 1, FigureStyle.Truth.WithAlpha(0.6));
            panel.Add.HorizontalLine(trueValue[row], 1, FigureStyle.Truth.WithAlpha(0.6));
            panel.Add.Marker(trueValue[column], trueValue[row], MarkerShape.Cross, 12, FigureStyle.Truth);
        }
        panel.Axes.SetLimits(limits[column].Low, limits[column].High, limits[row].Low, limits[row].High);
        return panel;
    }

    /// <summary>Every k-th pair (k = ⌈n / MaxScatterPoints⌉), in order.</summary>
    private static (double[] X, double[] Y) Thin(double[] x, double[] y)
    {
        int stride = (x.Length + MaxScatterPoints - 1) / MaxScatterPoints;
        int count = (x.Length + stride - 1) / stride;
        var xs = new double[count];
        var ys = new double[count];
        for (int i = 0; i < count; i++)
        {
            xs[i] = x[i * stride];
            ys[i] = y[i * stride];
        }
        return (xs, ys);
    }

    private static double[] ColumnOf(float[] values, int rows, int columns, int d)
    {
        var column = new double[rows];
        for (int n = 0; n < rows; n++)
        {
            column[n] = values[n * columns + d];
        }
        return column;
    }

    private static double MaxBar(ScottPlot.Plottables.BarPlot bars)
    {
        double max = 0;
        foreach (Bar bar in bars.Bars)
        {
            max = Math.Max(max, bar.Value);
        }
        return max;
    }
}
