using System.Globalization;
using ScottPlot;

namespace Amortized.Plots;

public static partial class Figures
{
    /// <summary>
    /// Accuracy benchmark: one panel per task, the mean C2ST (classifier two-sample test accuracy between
    /// posterior draws and reference draws; 0.5 is a perfect posterior, 1.0 a useless one) against the simulation
    /// budget on a log axis. Our values are a solid line with round markers, the peer's published values (e.g.
    /// sbi's NPE) a dashed line with square markers, and a dotted line marks 0.5. Every panel shares one y range
    /// (from 0.45, or lower if a value is, up to 1, or higher), so panels compare at a glance; one legend sits
    /// below all panels, outside the data.
    /// </summary>
    /// <remarks>C2ST as in Lueckmann et al. (2021), "Benchmarking simulation-based inference", AISTATS. Panels
    /// are laid out row by row, at most 4 to a row.</remarks>
    /// <param name="tasks">(T) task names, one panel each; at least one.</param>
    /// <param name="budgets">(B) simulation budgets, positive and strictly increasing.</param>
    /// <param name="ours">(T x B) mean C2ST per task and budget, row-major; each in [0, 1], or NaN where not run
    /// (the point is skipped and the line joins its neighbours).</param>
    /// <param name="peer">(T x B) the peer's published C2ST, in [0, 1] or NaN where there is none; null for no
    /// peer.</param>
    /// <param name="peerName">Legend text of the peer's line.</param>
    /// <param name="oursLow">(T x B) optional lower end of our spread per cell (e.g. the minimum over
    /// observations), drawn as an error bar; give it together with <paramref name="oursHigh"/>. In [0, 1], or NaN
    /// (both ends) for no bar; no bar is drawn where <paramref name="ours"/> is NaN.</param>
    /// <param name="oursHigh">(T x B) upper end of our spread per cell, at least <paramref name="oursLow"/>.</param>
    /// <param name="title">Figure title.</param>
    /// <exception cref="ArgumentException">No task, a budget that is not positive or not above the one before, an
    /// array whose length is not T x B, a value outside [0, 1] (or infinite), only one of the spread arrays, or a
    /// spread whose ends are reversed or only half NaN.</exception>
    public static Plot Accuracy(IReadOnlyList<string> tasks, IReadOnlyList<int> budgets,
        double[] ours,
        double[]? peer,
        string peerName = "sbi NPE",
        double[]? oursLow = null, double[]? oursHigh = null,
        string title = "Posterior accuracy (C2ST, lower is better)")
    {
        Check.Names(tasks, nameof(tasks));
        ArgumentNullException.ThrowIfNull(budgets);
        if (budgets.Count == 0)
        {
            throw new ArgumentException("budgets is empty; at least one simulation budget is needed.", nameof(budgets));
        }
        for (int b = 0; b < budgets.Count; b++)
        {
            if (budgets[b] < 1)
            {
                throw new ArgumentException(
                    $"budgets[{b}] is {budgets[b]}; every simulation budget must be positive.", nameof(budgets));
            }
            if (b > 0 && budgets[b] <= budgets[b - 1])
            {
                throw new ArgumentException(
                    $"budgets[{b}] is {budgets[b]}, not above budgets[{b - 1}] = {budgets[b - 1]}; budgets must be " +
                    "strictly increasing.", nameof(budgets));
            }
        }
        int t = tasks.Count;
        int nb = budgets.Count;
        string shape = Shape(t, nb, "tasks.Count", "budgets.Count");
        Check.Length(ours, t * nb, nameof(ours), shape);
        CheckAccuracies(ours, nameof(ours), nb);
        if (peer is not null)
        {
            Check.Length(peer, t * nb, nameof(peer), shape);
            CheckAccuracies(peer, nameof(peer), nb);
            ArgumentNullException.ThrowIfNull(peerName);
        }
        if ((oursLow is null) != (oursHigh is null))
        {
            string missing = oursLow is null ? nameof(oursLow) : nameof(oursHigh);
            throw new ArgumentException(
                $"{missing} is null but {(oursLow is null ? nameof(oursHigh) : nameof(oursLow))} is not; give both " +
                "ends of the spread or neither.", missing);
        }
        if (oursLow is not null && oursHigh is not null)
        {
            Check.Length(oursLow, t * nb, nameof(oursLow), shape);
            Check.Length(oursHigh, t * nb, nameof(oursHigh), shape);
            CheckAccuracies(oursLow, nameof(oursLow), nb);
            CheckAccuracies(oursHigh, nameof(oursHigh), nb);
            for (int i = 0; i < oursLow.Length; i++)
            {
                if (double.IsNaN(oursLow[i]) != double.IsNaN(oursHigh[i]))
                {
                    throw new ArgumentException(
                        $"oursLow{Cell(i, nb)} is {Invariant(oursLow[i])} but oursHigh is {Invariant(oursHigh[i])}; " +
                        "a spread has both ends or neither (NaN in both).", double.IsNaN(oursLow[i]) ? nameof(oursLow) : nameof(oursHigh));
                }
                if (oursLow[i] > oursHigh[i])
                {
                    throw new ArgumentException(
                        $"oursLow{Cell(i, nb)} is {Invariant(oursLow[i])}, above oursHigh = {Invariant(oursHigh[i])}; " +
                        "the low end must not exceed the high end.", nameof(oursHigh));
                }
            }
        }
        ArgumentNullException.ThrowIfNull(title);

        // x is log10(budget), so the axis is logarithmic and ticks are placed by hand.
        var x = new double[nb];
        for (int b = 0; b < nb; b++)
        {
            x[b] = Math.Log10(budgets[b]);
        }
        (double left, double right) = FigureStyle.Padded(x[0], x[nb - 1], 0.08);
        (double[] tickPositions, string[] tickLabels) = BudgetTicks(budgets, x, left, right);

        // One y range for all panels: 0.45 up to 1 always shows, widened only for data outside it.
        double min = 0.5;
        double max = 1.0;
        foreach (double[]? values in (ReadOnlySpan<double[]?>)[ours, peer, oursLow, oursHigh])
        {
            if (values is null) continue;
            foreach (double v in values)
            {
                if (double.IsNaN(v)) continue;
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }
        double bottom = Math.Min(0.45, min - 0.05);
        double top = max + 0.03;

        var panels = new Plot?[t];
        for (int k = 0; k < t; k++)
        {
            Plot panel = FigureStyle.Panel(tasks[k], "simulation budget", "C2ST accuracy");
            panel.Add.Plottable(new DashedPolyline([left, right], [0.5, 0.5], FigureStyle.Reference, 1.2f, 2, 3));
            if (oursLow is not null && oursHigh is not null)
            {
                for (int b = 0; b < nb; b++)
                {
                    int i = k * nb + b;
                    if (double.IsNaN(ours[i]) || double.IsNaN(oursLow[i])) continue;
                    AddSpread(panel, x[b], oursLow[i], oursHigh[i], (right - left) * 0.012);
                }
            }
            if (peer is not null)
            {
                (double[] px, double[] py) = Present(x, peer, k * nb);
                panel.Add.Plottable(new DashedPolyline(px, py, FigureStyle.Secondary, 2, 7, 4));
                if (px.Length > 0)
                {
                    panel.Add.Markers(px, py, MarkerShape.FilledSquare, 7, FigureStyle.Secondary);
                }
            }
            (double[] ox, double[] oy) = Present(x, ours, k * nb);
            if (ox.Length > 0)
            {
                // Ours last, so it is on top where the two lines cross.
                var line = panel.Add.Scatter(ox, oy, FigureStyle.Posterior);
                line.LineWidth = 2;
                line.MarkerSize = 7;
                line.MarkerShape = MarkerShape.FilledCircle;
            }
            panel.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(tickPositions, tickLabels);
            panel.Axes.SetLimits(left, right, bottom, top);
            panels[k] = panel;
        }

        var legend = new List<LegendItem> { Marked("Amortized", FigureStyle.Posterior, MarkerShape.FilledCircle) };
        if (oursLow is not null)
        {
            legend.Add(FigureStyle.Entry("Amortized spread", line: FigureStyle.Posterior.WithAlpha(0.45), lineWidth: 1.5f));
        }
        if (peer is not null)
        {
            legend.Add(Marked(peerName, FigureStyle.Secondary, MarkerShape.FilledSquare));
        }
        legend.Add(FigureStyle.Entry("0.5: indistinguishable from the reference", line: FigureStyle.Reference,
            lineWidth: 1.2f));
        return FigureStyle.Grid(title, panels, AccuracyColumns(t), legend: legend);
    }

    /// <summary>At most 4 panels a row, and rows as even as the count allows (5 → 3 + 2, 8 → 4 + 4).</summary>
    private static int AccuracyColumns(int count)
    {
        int rows = (count + 3) / 4;
        return (count + rows - 1) / rows;
    }

    private static void CheckAccuracies(double[] values, string paramName, int columns)
    {
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            if (double.IsNaN(v)) continue;
            if (!(v >= 0 && v <= 1))
            {
                throw new ArgumentException(
                    $"{paramName}{Cell(i, columns)} is {Invariant(v)}; a C2ST accuracy lies in [0, 1] (or is NaN " +
                    "where there is none).", paramName);
            }
        }
    }

    private static string Cell(int index, int columns) =>
        $"[{index}] (task {index / columns}, budget {index % columns})";

    private static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The budgets (x) and values of row <paramref name="offset"/>/B where the value is not NaN.</summary>
    private static (double[] X, double[] Y) Present(double[] x, double[] values, int offset)
    {
        var xs = new List<double>(x.Length);
        var ys = new List<double>(x.Length);
        for (int b = 0; b < x.Length; b++)
        {
            double v = values[offset + b];
            if (!double.IsNaN(v))
            {
                xs.Add(x[b]);
                ys.Add(v);
            }
        }
        return (xs.ToArray(), ys.ToArray());
    }

    /// <summary>A light vertical bar from <paramref name="low"/> to <paramref name="high"/> with short caps.</summary>
    private static void AddSpread(Plot panel, double x, double low, double high, double capHalfWidth)
    {
        Color color = FigureStyle.Posterior.WithAlpha(0.45);
        var bar = panel.Add.Line(x, low, x, high);
        bar.Color = color;
        bar.LineWidth = 1.5f;
        foreach (double y in (ReadOnlySpan<double>)[low, high])
        {
            var cap = panel.Add.Line(x - capHalfWidth, y, x + capHalfWidth, y);
            cap.Color = color;
            cap.LineWidth = 1.5f;
        }
    }

    /// <summary>A legend entry of a line with markers.</summary>
    private static LegendItem Marked(string label, Color color, MarkerShape shape)
    {
        LegendItem item = FigureStyle.Entry(label, line: color);
        item.MarkerShape = shape;
        item.MarkerSize = 7;
        item.MarkerFillColor = color;
        item.MarkerLineColor = color;
        return item;
    }

    /// <summary>
    /// Ticks at each power of ten in view when there are at least two (1k, 10k, 100k), else at each budget.
    /// </summary>
    private static (double[] Positions, string[] Labels) BudgetTicks(IReadOnlyList<int> budgets, double[] x,
        double left, double right)
    {
        var positions = new List<double>();
        var labels = new List<string>();
        for (int p = (int)Math.Ceiling(left); p <= Math.Floor(right); p++)
        {
            if (p < 0) continue;
            positions.Add(p);
            labels.Add(Compact(Math.Pow(10, p)));
        }
        if (positions.Count < 2)
        {
            positions.Clear();
            labels.Clear();
            for (int b = 0; b < budgets.Count; b++)
            {
                positions.Add(x[b]);
                labels.Add(Compact(budgets[b]));
            }
        }
        return (positions.ToArray(), labels.ToArray());
    }

    /// <summary>A budget as a short label: 500, 2.5k, 10k, 1M, 2G.</summary>
    internal static string Compact(double value)
    {
        (double scale, string suffix) = value switch
        {
            >= 1e9 => (1e9, "G"),
            >= 1e6 => (1e6, "M"),
            >= 1e3 => (1e3, "k"),
            _ => (1, ""),
        };
        return (value / scale).ToString("0.##", CultureInfo.InvariantCulture) + suffix;
    }
}
