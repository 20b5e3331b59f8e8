using System.Runtime.CompilerServices;
using ScottPlot;
using ScottPlot.Plottables;

namespace Amortized.Plots;

/// <summary>
/// The shared look of every figure: one font, one palette, one way to build a titled panel and one way to
/// compose panels into a grid figure.
/// </summary>
internal static class FigureStyle
{
    /// <summary>
    /// ScottPlot's default font resolves to DejaVu Serif on our images (probes-aot.md §1); DejaVu Sans ships
    /// with fonts-dejavu-core, which any image with text already needs.
    /// </summary>
    public const string FontName = "DejaVu Sans";

    // No dashed lines anywhere: Skia's SVG backend cannot write path effects, draws them solid and prints
    // "Unsupported path effect in addPaint." to stderr once per line segment. Reference lines are thin and
    // dark grey instead. For the same reason titles never hold runs of spaces: the SVG backend collapses them.

    public const float FigureTitleSize = 18;
    public const float PanelTitleSize = 14;
    public const float AxisLabelSize = 13;
    public const float TickLabelSize = 11;

    public static readonly Color Posterior = Color.FromHex("#1F77B4");
    public static readonly Color Secondary = Color.FromHex("#FF7F0E");
    public static readonly Color Prior = Color.FromHex("#7F7F7F");
    public static readonly Color Truth = Color.FromHex("#D62728");
    public static readonly Color Reference = Color.FromHex("#404040");
    public static readonly Color Band = Color.FromHex("#9E9E9E").WithAlpha(0.35);

    /// <summary>
    /// The size each figure reads best at, remembered per plot object (weakly, so it dies with the plot) for
    /// <see cref="Figures.SuggestedSize"/>; a Plot has no slot of its own for it.
    /// </summary>
    private static readonly ConditionalWeakTable<Plot, SizeHint> s_sizes = [];

    private sealed record SizeHint(int Width, int Height);

    public static void RememberSize(Plot plot, int width, int height) =>
        s_sizes.AddOrUpdate(plot, new SizeHint(width, height));

    public static (int Width, int Height) SizeOf(Plot plot) =>
        s_sizes.TryGetValue(plot, out SizeHint? hint) ? (hint.Width, hint.Height) : (800, 500);

    /// <summary>A plot with a title and axis labels; call <see cref="ApplyFont"/> once it is filled.</summary>
    public static Plot Panel(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        // ScottPlot shows a legend as soon as a plottable has legend text; figures opt in with ShowLegend.
        plot.HideLegend();
        plot.Title(title, PanelTitleSize);
        plot.XLabel(xLabel, AxisLabelSize);
        plot.YLabel(yLabel, AxisLabelSize);
        return plot;
    }

    /// <summary>
    /// Sets the font on every text element of <paramref name="plot"/>. ScottPlot's own <c>Font.Set</c> also
    /// rewrites the process-wide <c>Fonts.Default</c>, a side effect a library should not have, so the names are
    /// set one by one instead.
    /// </summary>
    public static void ApplyFont(Plot plot)
    {
        plot.Axes.Title.Label.FontName = FontName;
        foreach (IAxis axis in plot.Axes.GetAxes())
        {
            axis.Label.FontName = FontName;
            axis.TickLabelStyle.FontName = FontName;
            axis.TickLabelStyle.FontSize = TickLabelSize;
        }
        plot.Legend.FontName = FontName;
        plot.Legend.FontSize = 11;
        // Translucent and without a shadow, so a legend over data hides as little of it as possible.
        plot.Legend.BackgroundColor = Colors.White.WithAlpha(0.8);
        plot.Legend.OutlineColor = Color.FromHex("#BDBDBD");
        plot.Legend.ShadowColor = Colors.Transparent;
        foreach (Text text in plot.GetPlottables<Text>())
        {
            text.LabelFontName = FontName;
        }
    }

    /// <summary>
    /// One figure made of panels laid out row by row: an outer plot whose only plottable is a
    /// <see cref="PanelGrid"/>, with its axes hidden so just the figure title remains. A null panel leaves its
    /// cell empty (the upper triangle of a pairs plot).
    /// </summary>
    public static Plot Grid(string title, IReadOnlyList<Plot?> panels, int columns,
        float cellWidth = 340, float cellHeight = 290, IReadOnlyList<LegendItem>? legend = null)
    {
        foreach (Plot? panel in panels)
        {
            if (panel is not null)
            {
                ApplyFont(panel);
            }
        }
        var figure = new Plot();
        figure.Add.Plottable(new PanelGrid(panels, columns));
        figure.HideAxesAndGrid();
        figure.Axes.Margins(0, 0);
        figure.Title(title, FigureTitleSize);
        ApplyFont(figure);
        int rows = (panels.Count + columns - 1) / columns;
        int legendHeight = 0;
        if (legend is { Count: > 0 })
        {
            // One legend for every panel, below them all: it never covers data, and the panels keep equal sizes.
            foreach (LegendItem item in legend) figure.Legend.ManualItems.Add(item);
            figure.ShowLegend(Edge.Bottom);
            figure.Legend.Orientation = Orientation.Horizontal;
            legendHeight = 40;
        }
        RememberSize(figure, (int)Math.Max(520, columns * cellWidth), (int)(rows * cellHeight + 50 + legendHeight));
        return figure;
    }

    /// <summary>A legend entry: a filled box (<paramref name="fill"/>) or a line (<paramref name="line"/>).</summary>
    public static LegendItem Entry(string label, Color? fill = null, Color? line = null, float lineWidth = 2)
    {
        var item = new LegendItem { LabelText = label };
        if (fill is { } f) item.FillColor = f;
        if (line is { } l)
        {
            item.LineColor = l;
            item.LineWidth = lineWidth;
        }
        else item.LineWidth = 0;
        return item;
    }

    /// <summary>A single-panel figure: the panel's own title, at figure size, is the figure title.</summary>
    public static Plot Single(Plot panel, string title, int width = 800, int height = 500)
    {
        panel.Title(title, FigureTitleSize);
        ApplyFont(panel);
        RememberSize(panel, width, height);
        return panel;
    }

    /// <summary>Number of columns for a near-square grid of <paramref name="count"/> panels (5 → 3 × 2).</summary>
    public static int ColumnsFor(int count) => Math.Max(1, (int)Math.Ceiling(Math.Sqrt(count)));

    /// <summary>
    /// Formats a number for a title: up to 3 decimals, or 3 significant digits in e-notation below 1e−3 and from 1e5.
    /// </summary>
    public static string Format(double value)
    {
        if (double.IsNaN(value))
        {
            return "n/a";
        }
        double magnitude = Math.Abs(value);
        return magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e5)
            ? value.ToString("0.00e0", System.Globalization.CultureInfo.InvariantCulture)
            : value.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Pads [low, high] by <paramref name="fraction"/> of its span on each side. A range that is empty or
    /// vanishingly narrow next to its magnitude (constant data, or data that differs by rounding only) would
    /// give ScottPlot an axis with no room for ticks, so it becomes centre ± 10% of |centre| (at least 1e−6),
    /// or ± 0.5 around zero.
    /// </summary>
    public static (double Low, double High) Padded(double low, double high, double fraction = 0.05)
    {
        double span = high - low;
        double magnitude = Math.Max(Math.Abs(low), Math.Abs(high));
        if (!(span > 1e-9 * magnitude) || span == 0)
        {
            double centre = (low + high) / 2;
            double half = centre != 0 ? Math.Max(Math.Abs(centre) * 0.1, 1e-6) : 0.5;
            return (centre - half, centre + half);
        }
        return (low - fraction * span, high + fraction * span);
    }
}
