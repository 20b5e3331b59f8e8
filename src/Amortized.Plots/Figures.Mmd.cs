using ScottPlot;

namespace Amortized.Plots;

public static partial class Figures
{
    /// <summary>
    /// Model misspecification check: histogram of the MMD between summaries of simulated datasets and the
    /// training simulations (the null distribution) with a vertical line at the observed data's MMD and the
    /// p-value in the title.
    /// </summary>
    /// <remarks>Schmitt et al. (2023), "Detecting model misspecification in amortized Bayesian inference with
    /// neural networks", GCPR.</remarks>
    /// <param name="nullDistribution">(B) MMD values under the null, B ≥ 2; finite.</param>
    /// <param name="observedMmd">MMD of the observed data; finite.</param>
    /// <param name="pValue">Share of the null at or above the observed MMD, in [0, 1].</param>
    /// <param name="title">Figure title; the p-value is appended.</param>
    public static Plot MmdNull(double[] nullDistribution, double observedMmd, double pValue,
        string title = "MMD under the null")
    {
        ArgumentNullException.ThrowIfNull(nullDistribution);
        if (nullDistribution.Length < 2)
        {
            throw new ArgumentException($"nullDistribution has {nullDistribution.Length} values; at least 2 are " +
                "needed.", nameof(nullDistribution));
        }
        Check.Finite(nullDistribution, nameof(nullDistribution));
        if (!double.IsFinite(observedMmd))
        {
            throw new ArgumentException($"observedMmd is {observedMmd}; it must be finite.", nameof(observedMmd));
        }
        Check.Probability(pValue, nameof(pValue), open: false);
        ArgumentNullException.ThrowIfNull(title);

        (double low, double high) = MinMax(nullDistribution);
        (double left, double right) = FigureStyle.Padded(Math.Min(low, observedMmd), Math.Max(high, observedMmd));
        (double binLow, double binHigh) = FigureStyle.Padded(low, high, 0.001);

        string fullTitle = $"{title} (p = {FigureStyle.Format(pValue)})";
        Plot plot = FigureStyle.Panel(fullTitle, "MMD", "count");
        var bars = Histograms.Add(plot, nullDistribution, binLow, binHigh, Histograms.BinsFor(nullDistribution),
            FigureStyle.Prior.WithAlpha(0.6), density: false);
        bars.LegendText = $"null distribution ({nullDistribution.Length} draws)";
        var observed = plot.Add.VerticalLine(observedMmd, 2.5f, FigureStyle.Truth);
        observed.LegendText = $"observed = {FigureStyle.Format(observedMmd)}";
        plot.Axes.SetLimitsX(left, right);
        plot.Axes.SetLimitsY(0, MaxBar(bars) * 1.12);
        // Outside the data, so it never covers the null distribution or the observed line.
        plot.ShowLegend(Edge.Right);
        return FigureStyle.Single(plot, fullTitle);
    }
}
