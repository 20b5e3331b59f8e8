using ScottPlot;

namespace Amortized.Plots;

public static partial class Figures
{
    /// <summary>
    /// Training curve: mean training loss per epoch as a line, and validation loss as points joined by a line
    /// where it was computed.
    /// </summary>
    /// <param name="trainLoss">(E) training loss of epochs 1..E; finite.</param>
    /// <param name="validationLoss">(E) validation loss per epoch, null where none was computed; or empty when
    /// there is no validation set.</param>
    /// <param name="title">Figure title.</param>
    /// <exception cref="ArgumentException">An array is empty, the lengths differ, or a value is NaN or
    /// infinite.</exception>
    public static Plot Loss(double[] trainLoss, double?[] validationLoss, string title = "Training loss")
    {
        ArgumentNullException.ThrowIfNull(trainLoss);
        ArgumentNullException.ThrowIfNull(validationLoss);
        ArgumentNullException.ThrowIfNull(title);
        if (trainLoss.Length == 0)
        {
            throw new ArgumentException("trainLoss is empty; at least one epoch is needed.", nameof(trainLoss));
        }
        Check.Finite(trainLoss, nameof(trainLoss));
        if (validationLoss.Length != 0 && validationLoss.Length != trainLoss.Length)
        {
            throw new ArgumentException(
                $"validationLoss has {validationLoss.Length} values; expected {trainLoss.Length} (one per " +
                "epoch, like trainLoss) or 0.",
                nameof(validationLoss));
        }

        var epochs = new double[trainLoss.Length];
        for (int e = 0; e < epochs.Length; e++)
        {
            epochs[e] = e + 1;
        }
        var validationEpochs = new List<double>();
        var validationValues = new List<double>();
        for (int e = 0; e < validationLoss.Length; e++)
        {
            if (validationLoss[e] is double v)
            {
                if (!double.IsFinite(v))
                {
                    throw new ArgumentException(
                        $"validationLoss[{e}] is {v}; every value must be finite.", nameof(validationLoss));
                }
                validationEpochs.Add(e + 1);
                validationValues.Add(v);
            }
        }

        Plot plot = FigureStyle.Panel(title, "epoch", "loss");
        var train = plot.Add.Scatter(epochs, trainLoss, FigureStyle.Posterior);
        train.LegendText = "training";
        train.LineWidth = 2;
        // Markers help to read a short run epoch by epoch and only clutter a long one.
        train.MarkerSize = epochs.Length <= 60 ? 5 : 0;
        if (validationValues.Count > 0)
        {
            var validation =
                plot.Add.Scatter(validationEpochs.ToArray(), validationValues.ToArray(), FigureStyle.Secondary);
            validation.LegendText = "validation";
            validation.LineWidth = 2;
            validation.MarkerSize = validationValues.Count <= 60 ? 6 : 0;
        }
        (double low, double high) = FigureStyle.Padded(1, epochs.Length, 0.03);
        plot.Axes.SetLimitsX(low, high);
        (double min, double max) = MinMax(trainLoss);
        foreach (double v in validationValues)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        (double bottom, double top) = FigureStyle.Padded(min, max, 0.08);
        plot.Axes.SetLimitsY(bottom, top);
        // Outside the data, so it never covers a curve.
        plot.ShowLegend(Edge.Right);
        return FigureStyle.Single(plot, title);
    }
}
