using ScottPlot;

namespace Amortized.Plots;

/// <summary>
/// Diagnostic figures for amortized inference, each returned as a <see cref="Plot"/> that the caller saves
/// with <see cref="FigureFiles.Save"/> (PNG and SVG) or ScottPlot's own <c>SavePng</c>/<c>SaveSvg</c>.
/// </summary>
/// <remarks>
/// <para>The functions take plain arrays, not metric objects, so they do not depend on how metrics are
/// computed. Shape legend used throughout: N datasets (<c>numDatasets</c>), D parameters (<c>names.Count</c>),
/// S posterior draws, P prior draws, M models, E epochs. "N x D" means a flat row-major array whose element
/// [n·D + d] belongs to dataset n and parameter d.</para>
/// <para>Figures with one panel per parameter draw the panels into one plot (a grid, row by row), so one
/// <see cref="Plot"/> renders the whole figure at any size; <see cref="SuggestedSize"/> gives a size at which
/// labels stay readable. Every argument is checked before anything is drawn: NaN or infinite data and
/// mismatched lengths throw <see cref="ArgumentException"/> naming the argument.</para>
/// <para>All text uses the "DejaVu Sans" font. Nothing here uses reflection; the assembly stays trim- and
/// AOT-clean.</para>
/// </remarks>
public static partial class Figures
{
    /// <summary>
    /// A pixel size at which <paramref name="plot"/>, a figure from this class, renders with readable labels:
    /// about 340 x 290 per panel for grid figures (less per cell in a large pairs plot), 800 x 500 for other
    /// plots, including plots not made here.
    /// </summary>
    public static (int Width, int Height) SuggestedSize(Plot plot)
    {
        ArgumentNullException.ThrowIfNull(plot);
        return FigureStyle.SizeOf(plot);
    }

    /// <summary>The checks every "N x D" figure starts with; returns D.</summary>
    private static int CheckGrid(int numDatasets, IReadOnlyList<string> names, string namesParam = "names")
    {
        Check.Positive(numDatasets, nameof(numDatasets));
        Check.Names(names, namesParam);
        return names.Count;
    }

    private static string Shape(int rows, int columns, string rowsName = "numDatasets",
        string columnsName = "names.Count") =>
        $"{rowsName} x {columnsName} = {rows} x {columns}";

    /// <summary>Column <paramref name="d"/> of a row-major (rows x columns) array.</summary>
    private static double[] Column(double[] values, int rows, int columns, int d)
    {
        var column = new double[rows];
        for (int n = 0; n < rows; n++)
        {
            column[n] = values[n * columns + d];
        }
        return column;
    }

    private static (double Min, double Max) MinMax(ReadOnlySpan<double> values)
    {
        double min = double.PositiveInfinity;
        double max = double.NegativeInfinity;
        foreach (double v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        return (min, max);
    }

    /// <summary>Thin y = x reference line across [low, high].</summary>
    private static void Diagonal(Plot panel, double low, double high, string? legend = null)
    {
        var line = panel.Add.Line(low, low, high, high);
        line.Color = FigureStyle.Reference;
        line.LineWidth = 1.2f;
        if (legend is not null)
        {
            line.LegendText = legend;
        }
    }
}
