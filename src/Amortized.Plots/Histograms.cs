using ScottPlot;

namespace Amortized.Plots;

/// <summary>Equal-width histograms drawn as bars; used by the pairs plot and the MMD null figure.</summary>
internal static class Histograms
{
    /// <summary>
    /// Counts of <paramref name="values"/> in <paramref name="bins"/> equal bins over [low, high]; values on
    /// the upper edge go to the last bin and values outside are dropped (the caller picks limits that hold them).
    /// </summary>
    public static double[] Count(ReadOnlySpan<double> values, double low, double high, int bins)
    {
        var counts = new double[bins];
        double width = (high - low) / bins;
        foreach (double v in values)
        {
            if (v < low || v > high)
            {
                continue;
            }
            int b = Math.Min((int)((v - low) / width), bins - 1);
            counts[b]++;
        }
        return counts;
    }

    /// <summary>
    /// Bin count for a histogram of <paramref name="values"/>: about √n, kept within [10, 40]. Constant data
    /// gets 11: its range is padded symmetrically around the value, and an odd count puts the value in the
    /// middle of the centre bin instead of on a bin edge.
    /// </summary>
    public static int BinsFor(ReadOnlySpan<double> values)
    {
        bool constant = true;
        foreach (double v in values)
        {
            constant &= v == values[0];
        }
        return constant ? 11 : Math.Clamp((int)Math.Round(Math.Sqrt(values.Length)), 10, 40);
    }

    /// <summary>
    /// Adds the bars of one histogram; with <paramref name="density"/> the heights are count/(n·width) so
    /// histograms of different sample sizes (posterior and prior draws) share one scale.
    /// </summary>
    public static ScottPlot.Plottables.BarPlot Add(Plot panel, ReadOnlySpan<double> values, double low, double high,
        int bins, Color fill, bool density)
    {
        double[] counts = Count(values, low, high, bins);
        double width = (high - low) / bins;
        double scale = density ? 1.0 / (values.Length * width) : 1.0;
        var bars = new List<Bar>(bins);
        for (int b = 0; b < bins; b++)
        {
            bars.Add(new Bar
            {
                Position = low + (b + 0.5) * width,
                Value = counts[b] * scale,
                Size = width,
                FillColor = fill,
                LineWidth = 0,
            });
        }
        return panel.Add.Bars(bars);
    }
}
