using System.Globalization;
using ScottPlot;

namespace Amortized.Plots;

public static partial class Figures
{
    /// <summary>
    /// Throughput as work grows: one line per series against a size on a log2 axis (batch size, layer width),
    /// y on a log10 axis (samples per second, steps per second), points where a value is missing skipped. Solid
    /// lines for series whose name starts with "Amortized", dashed for the peers; the same colour for the same
    /// thread count.
    /// </summary>
    /// <param name="title">Figure title.</param>
    /// <param name="xLabel">Label of the size axis.</param>
    /// <param name="yLabel">Label of the throughput axis.</param>
    /// <param name="sizes">(S) sizes, positive and strictly increasing.</param>
    /// <param name="series">Named series of (S) values each, positive or NaN (not measured).</param>
    /// <exception cref="ArgumentException">No size, a size not positive or not above the one before, no series, a
    /// series of another length, or a value that is neither positive nor NaN.</exception>
    public static Plot Throughput(string title, string xLabel, string yLabel, IReadOnlyList<int> sizes,
        IReadOnlyList<(string Name, double[] Values)> series)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(series);
        if (sizes.Count == 0)
            throw new ArgumentException("sizes must not be empty.", nameof(sizes));
        for (int i = 0; i < sizes.Count; i++)
        {
            if (sizes[i] < 1 || (i > 0 && sizes[i] <= sizes[i - 1]))
                throw new ArgumentException($"sizes must be positive and increasing; sizes[{i}] is {sizes[i]}.",
                    nameof(sizes));
        }
        if (series.Count == 0)
            throw new ArgumentException("series must not be empty.", nameof(series));
        Color[] colors = [FigureStyle.Posterior, FigureStyle.Secondary, FigureStyle.Truth, FigureStyle.Prior];
        Plot plot = FigureStyle.Panel(title, xLabel, yLabel);
        double[] x = sizes.Select(s => Math.Log2(s)).ToArray();
        double low = double.MaxValue, high = double.MinValue;
        var legend = new List<LegendItem>();
        var colorOf = new Dictionary<string, Color>();
        foreach ((string name, double[] values) in series)
        {
            if (values.Length != sizes.Count)
                throw new ArgumentException($"series '{name}' has {values.Length} values for {sizes.Count} sizes.",
                    nameof(series));
            foreach (double v in values)
            {
                if (!double.IsNaN(v) && !(v > 0))
                    throw new ArgumentException($"series '{name}' has {v}; values must be positive or NaN.",
                        nameof(series));
            }
            // Colour by the part after the first space ("1 thread", "2 threads"), so ours and the peer match.
            string key = name.Contains(' ') ? name[(name.IndexOf(' ') + 1)..] : name;
            if (!colorOf.TryGetValue(key, out Color color))
                colorOf[key] = color = colors[colorOf.Count % colors.Length];
            var px = new List<double>();
            var py = new List<double>();
            for (int i = 0; i < values.Length; i++)
            {
                if (double.IsNaN(values[i]))
                    continue;
                px.Add(x[i]);
                py.Add(Math.Log10(values[i]));
                low = Math.Min(low, py[^1]);
                high = Math.Max(high, py[^1]);
            }
            bool ours = name.StartsWith("Amortized", StringComparison.Ordinal);
            if (ours)
            {
                var line = plot.Add.Scatter(px.ToArray(), py.ToArray(), color);
                line.LineWidth = 2;
                line.MarkerSize = 7;
                line.MarkerShape = MarkerShape.FilledCircle;
            }
            else if (px.Count > 0)
            {
                plot.Add.Plottable(new DashedPolyline(px.ToArray(), py.ToArray(), color, 2, 7, 4));
                plot.Add.Markers(px.ToArray(), py.ToArray(), MarkerShape.FilledSquare, 7, color);
            }
            LegendItem item = FigureStyle.Entry(name, line: color);
            item.MarkerShape = ours ? MarkerShape.FilledCircle : MarkerShape.FilledSquare;
            item.MarkerFillColor = color;
            item.MarkerSize = 7;
            legend.Add(item);
        }
        if (low == double.MaxValue)
            (low, high) = (0, 1);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(x,
            sizes.Select(s => s.ToString(CultureInfo.InvariantCulture)).ToArray());
        // Decades on the log axis, labelled with their values.
        int first = (int)Math.Floor(low), last = (int)Math.Ceiling(high);
        double[] ticks = Enumerable.Range(first, last - first + 1).Select(d => (double)d).ToArray();
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks,
            ticks.Select(t => Math.Pow(10, t).ToString("N0", CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.SetLimits(x[0] - 0.3, x[^1] + 0.3, first - 0.05, last + 0.05);
        plot.ShowLegend(legend, Alignment.LowerRight);
        FigureStyle.ApplyFont(plot);
        return plot;
    }
}
