using ScottPlot;

namespace Amortized.Plots;

public static partial class Figures
{
    /// <summary>
    /// Coverage of a point estimator's quantile intervals: per parameter, the fraction of held-out truths inside each
    /// central interval (from quantile levels tau and 1 - tau, say) against the interval's nominal level, with
    /// ±1.96 binomial standard errors of a calibrated estimator, sqrt(level (1 - level) / N), and the y = x line.
    /// Points above the line are conservative intervals, below it overconfident ones.
    /// </summary>
    /// <param name="nominal">(L) nominal levels of the intervals, each in (0, 1).</param>
    /// <param name="coverage">(L x D) observed coverage, row-major by interval; each in [0, 1].</param>
    /// <param name="numDatasets">N, the data sets behind each fraction.</param>
    /// <param name="names">(D) parameter names.</param>
    /// <param name="title">Figure title.</param>
    public static Plot QuantileCoverage(double[] nominal, double[] coverage, int numDatasets,
        IReadOnlyList<string> names, string title = "Quantile interval coverage")
    {
        Check.Positive(numDatasets, nameof(numDatasets));
        Check.Names(names, nameof(names));
        ArgumentNullException.ThrowIfNull(nominal);
        ArgumentNullException.ThrowIfNull(title);
        int d = names.Count, levels = nominal.Length;
        if (levels == 0) throw new ArgumentException("nominal is empty; expected at least one interval.", nameof(nominal));
        Check.Length(coverage, levels * d, nameof(coverage), $"({levels}, {d}) (nominal.Length, names.Count)");
        Check.InRange(nominal, 0, 1, nameof(nominal), levels);
        Check.InRange(coverage, 0, 1, nameof(coverage), d);

        var panels = new Plot?[d];
        for (int j = 0; j < d; j++)
        {
            var observed = new double[levels];
            var error = new double[levels];
            for (int l = 0; l < levels; l++)
            {
                observed[l] = coverage[l * d + j];
                error[l] = 1.96 * Math.Sqrt(nominal[l] * (1 - nominal[l]) / numDatasets);
            }
            Plot panel = FigureStyle.Panel(names[j], "nominal level", "observed coverage");
            Diagonal(panel, 0, 1, j == 0 ? "calibrated" : null);
            var bars = panel.Add.ErrorBar(nominal, observed, error);
            bars.Color = FigureStyle.Reference.WithAlpha(0.6);
            bars.LineWidth = 1;
            var points = panel.Add.Markers(nominal, observed, MarkerShape.FilledCircle, 7, FigureStyle.Posterior);
            if (j == 0)
            {
                points.LegendText = "interval";
                panel.ShowLegend(Alignment.UpperLeft);
            }
            panel.Axes.SetLimits(-0.03, 1.03, -0.03, 1.03);
            panels[j] = panel;
        }
        return FigureStyle.Grid(title, panels, FigureStyle.ColumnsFor(d));
    }
}
