using ScottPlot;

namespace Amortized.Plots;

public static partial class Figures
{
    /// <summary>
    /// Parameter recovery: per parameter, the posterior median against the true value, with ±MAD error bars,
    /// the y = x line, and the correlation r in the panel title. Both axes share one range so y = x is the
    /// diagonal of the panel.
    /// </summary>
    /// <param name="truths">(N x D) true parameter values; finite.</param>
    /// <param name="medians">(N x D) posterior medians; finite.</param>
    /// <param name="mads">(N x D) posterior median absolute deviations; finite and ≥ 0.</param>
    /// <param name="numDatasets">N.</param>
    /// <param name="names">(D) parameter names.</param>
    /// <param name="correlation">(D) correlation of medians and truths per parameter. NaN is allowed and shown
    /// as "n/a": it is what a correlation of constant data is.</param>
    /// <param name="title">Figure title.</param>
    /// <param name="yLabel">The vertical axis' label: what <paramref name="medians"/> are (a point estimator's
    /// figure passes its estimate, with zero <paramref name="mads"/>).</param>
    /// <param name="legend">The points' legend text.</param>
    public static Plot Recovery(
        double[] truths, double[] medians, double[] mads, int numDatasets, IReadOnlyList<string> names,
        double[] correlation, string title = "Parameter recovery", string yLabel = "posterior median ± MAD",
        string legend = "median")
    {
        int d = CheckGrid(numDatasets, names);
        string shape = Shape(numDatasets, d);
        Check.Length(truths, numDatasets * d, nameof(truths), shape);
        Check.Length(medians, numDatasets * d, nameof(medians), shape);
        Check.Length(mads, numDatasets * d, nameof(mads), shape);
        Check.Length(correlation, d, nameof(correlation), "names.Count");
        Check.Finite(truths, nameof(truths), d);
        Check.Finite(medians, nameof(medians), d);
        Check.InRange(mads, 0, double.MaxValue, nameof(mads), d);
        for (int j = 0; j < d; j++)
        {
            if (double.IsInfinity(correlation[j]))
            {
                throw new ArgumentException(
                    $"correlation[{j}] is {correlation[j]}; a correlation is finite or NaN.", nameof(correlation));
            }
        }
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(yLabel);
        ArgumentNullException.ThrowIfNull(legend);

        var panels = new Plot?[d];
        for (int j = 0; j < d; j++)
        {
            double[] x = Column(truths, numDatasets, d, j);
            double[] y = Column(medians, numDatasets, d, j);
            double[] error = Column(mads, numDatasets, d, j);
            double low = double.PositiveInfinity;
            double high = double.NegativeInfinity;
            for (int n = 0; n < numDatasets; n++)
            {
                low = Math.Min(low, Math.Min(x[n], y[n] - error[n]));
                high = Math.Max(high, Math.Max(x[n], y[n] + error[n]));
            }
            (low, high) = FigureStyle.Padded(low, high);

            Plot panel = FigureStyle.Panel($"{names[j]} (r = {FigureStyle.Format(correlation[j])})",
                "true value", yLabel);
            Diagonal(panel, low, high);
            var bars = panel.Add.ErrorBar(x, y, error);
            bars.Color = FigureStyle.Posterior.WithAlpha(0.35);
            bars.LineWidth = 1;
            bars.CapSize = 0;
            var points = panel.Add.Markers(x, y, MarkerShape.FilledCircle, 5, FigureStyle.Posterior.WithAlpha(0.75));
            points.LegendText = legend;
            panel.Axes.SetLimits(low, high, low, high);
            panels[j] = panel;
        }
        return FigureStyle.Grid(title, panels, FigureStyle.ColumnsFor(d));
    }

    /// <summary>
    /// Posterior z-score against posterior contraction per parameter (Schad, Betancourt and Vasishth 2021,
    /// "Toward a principled Bayesian workflow in cognitive science", Psychological Methods 26). Good inference
    /// sits at contraction near 1 and |z| small; thin lines mark z = 0 and |z| = 2.
    /// </summary>
    /// <param name="zScores">(N x D) (posterior mean − truth) / posterior sd; finite.</param>
    /// <param name="contraction">(N x D) 1 − posterior variance / prior variance; finite.</param>
    /// <param name="numDatasets">N.</param>
    /// <param name="names">(D) parameter names.</param>
    /// <param name="title">Figure title.</param>
    public static Plot ZScoreContraction(
        double[] zScores, double[] contraction, int numDatasets, IReadOnlyList<string> names,
        string title = "Posterior z-score vs contraction")
    {
        int d = CheckGrid(numDatasets, names);
        string shape = Shape(numDatasets, d);
        Check.Length(zScores, numDatasets * d, nameof(zScores), shape);
        Check.Length(contraction, numDatasets * d, nameof(contraction), shape);
        Check.Finite(zScores, nameof(zScores), d);
        Check.Finite(contraction, nameof(contraction), d);
        ArgumentNullException.ThrowIfNull(title);

        var panels = new Plot?[d];
        for (int j = 0; j < d; j++)
        {
            double[] x = Column(contraction, numDatasets, d, j);
            double[] z = Column(zScores, numDatasets, d, j);
            (double xMin, double xMax) = MinMax(x);
            (double zMin, double zMax) = MinMax(z);
            // Contraction lives in [0, 1] for a sensible posterior; keep that whole range in view so panels
            // compare, and widen it only for outliers. Likewise z always shows ±3.
            double left = Math.Min(0, xMin) - 0.05;
            double right = Math.Max(1, xMax) + 0.05;
            double zAbs = Math.Max(3, Math.Max(Math.Abs(zMin), Math.Abs(zMax)) * 1.08);

            Plot panel = FigureStyle.Panel(names[j], "posterior contraction", "posterior z-score");
            foreach (double level in (ReadOnlySpan<double>)[-2, 0, 2])
            {
                var line = panel.Add.HorizontalLine(level, 1, FigureStyle.Reference);
                line.LineWidth = level == 0 ? 1.2f : 0.8f;
            }
            panel.Add.Markers(x, z, MarkerShape.FilledCircle, 5, FigureStyle.Posterior.WithAlpha(0.6));
            panel.Axes.SetLimits(left, right, -zAbs, zAbs);
            panels[j] = panel;
        }
        return FigureStyle.Grid(title, panels, FigureStyle.ColumnsFor(d));
    }
}
