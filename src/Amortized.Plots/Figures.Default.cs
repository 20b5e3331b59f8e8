using System.Globalization;
using Amortized.Inference.Diagnostics;

namespace Amortized.Plots;

/// <summary>One figure written to disk: its file name (no extension), caption, path (no extension) and PNG bytes.</summary>
/// <param name="Name">File name without extension, e.g. <c>recovery</c>.</param>
/// <param name="Caption">What the figure shows, one sentence.</param>
/// <param name="Path">Full path without extension; <c>.png</c> and <c>.svg</c> exist beside it.</param>
/// <param name="Png">The PNG bytes, for embedding.</param>
public sealed record FigureFile(string Name, string Caption, string Path, byte[] Png);

public static partial class Figures
{
    /// <summary>
    /// The default diagnostics figure set in one call, written as PNG and SVG into <paramref name="folder"/> (created
    /// if needed): calibration ECDF, rank histograms, recovery and z-score against contraction always; the loss
    /// curve when <see cref="PosteriorReportContent.TrainLoss"/> is set, the pairs plot when
    /// <see cref="PosteriorReportContent.FirstDatasetDraws"/> is, the MMD null when
    /// <see cref="PosteriorReportContent.Misspecification"/> is. Names and captions are those of the HTML report.
    /// </summary>
    /// <returns>The figures in the order written.</returns>
    public static IReadOnlyList<FigureFile> WriteDefault(string folder, PosteriorReportContent content)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentNullException.ThrowIfNull(content);
        var report = content.Diagnostics;
        Directory.CreateDirectory(folder);
        var figures = new List<FigureFile>();
        void Figure(string file, string caption, Func<ScottPlot.Plot> draw)
        {
            try
            {
                var plot = draw();
                var (w, h) = SuggestedSize(plot);
                string path = Path.Combine(folder, file);
                figures.Add(new FigureFile(file, caption, path, FigureFiles.Save(plot, path, w, h)));
            }
            catch (Exception e) when (e is TypeInitializationException or DllNotFoundException)
            {
                // A native AOT binary copied without its two Skia libraries fails here with a bare type-initializer
                // error.
                throw new InvalidOperationException(
                    "figures need libSkiaSharp.so and libHarfBuzzSharp.so next to the program " +
                    "(they come with its publish folder); copy them there, or skip the figures.", e);
            }
        }

        int n = report.Datasets, s = report.Draws, d = report.Parameters;
        var names = report.Names;
        if (content.TrainLoss is { Count: > 0 } train)
        {
            double?[] validation = content.ValidationLoss is { } v ? [.. v] : new double?[train.Count];
            Figure("loss", "Training and validation loss (negative log density) per epoch.", () =>
                Loss([.. train], validation));
        }
        Figure("calibration_ecdf", "Rank ECDF minus the uniform CDF per parameter, with the simultaneous " +
            $"{Percent(report.Band.Confidence)} band: inside the band is consistent with calibration.",
            // Mid-ranks (r + 0.5) / (S + 1), the values the band verdict tests, so figure and table agree.
            () => CalibrationEcdf(SimulationBasedCalibration.MidRanks(report.Ranks, s), n, names, report.Band.Z,
                report.Band.LowerDifference, report.Band.UpperDifference, report.Band.Confidence));
        Figure("rank_histograms", "SBC rank histograms with the pointwise 99% binomial band of a calibrated posterior.",
            () => RankHistograms(report.Ranks, n, s, names));
        Figure("recovery",
            "Posterior median (bars: median absolute deviation) against the true value; r is the correlation.",
            () => Recovery([.. report.Truths.Select(t => (double)t)], report.Recovery.Medians,
                report.Recovery.Mads, n, names, report.Recovery.Correlation));
        Figure("z_score_contraction",
            "Posterior z-score against contraction: good posteriors sit at high contraction with |z| below about 3.",
            () => ZScoreContraction(report.ZScores, report.Contraction, n, names));
        if (content.FirstDatasetDraws is { } first)
        {
            float[] prior = content.PriorDraws ?? [];
            int numPrior = Math.Min(prior.Length / d, 2000);
            Figure("pairs",
                "Posterior draws for the first held-out data set (blue), prior draws (grey) and the true value (red).",
                () => Pairs(first, first.Length / d, names, prior.AsSpan(0, numPrior * d).ToArray(), numPrior,
                    report.Truths.AsSpan(0, d).ToArray()));
        }
        if (content.Misspecification is { } mmd)
            Figure("mmd_null", "Squared MMD in summary space between held-out simulations and the model's reference, " +
                "against its bootstrap null distribution.",
                () => MmdNull(mmd.NullDistribution, mmd.Mmd, mmd.PValue));
        return figures;
    }

    /// <summary>
    /// The default figure set of a diagnostics report alone (no loss, pairs or MMD figure): calibration ECDF, rank
    /// histograms, recovery and z-score against contraction.
    /// </summary>
    public static IReadOnlyList<FigureFile> WriteDefault(string folder, DiagnosticsReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return WriteDefault(folder, new PosteriorReportContent { Title = "", Diagnostics = report });
    }

    private static string Percent(double fraction) =>
        (fraction * 100).ToString("G3", CultureInfo.InvariantCulture) + "%";
}
