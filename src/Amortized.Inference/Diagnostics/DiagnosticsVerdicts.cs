using System.Globalization;

namespace Amortized.Inference.Diagnostics;

/// <summary>
/// Turns a report's numbers into <see cref="MetricRow"/>s: one plain sentence per metric and parameter.
/// </summary>
internal static class DiagnosticsVerdicts
{
    public const string EcdfBand = "sbc_ecdf_band", LogGamma = "log_gamma", CalibrationError = "calibration_error",
        Tarp = "tarp", Contraction = "contraction", Recovery = "recovery_r", Nrmse = "nrmse", Joint = "(joint)";

    public static List<MetricRow> Rows(DiagnosticsReport r)
    {
        DiagnosticsOptions o = r.Options;
        string level = Invariant($"{o.Confidence * 100:0.#}%");
        var rows = new List<MetricRow>();
        for (int d = 0; d < r.Parameters; d++)
        {
            bool inside = r.WithinBand[d];
            rows.Add(new MetricRow(EcdfBand, r.Names[d], r.MaxEcdfDeviation[d],
                $"rank ECDF inside the simultaneous {level} band (value: max |ECDF(z) - z|)", inside,
                inside ? $"calibrated at the {level} band" : $"not calibrated: ECDF leaves the {level} band"));
        }
        for (int d = 0; d < r.Parameters; d++)
        {
            bool ok = r.LogGamma[d] >= 0;
            rows.Add(new MetricRow(LogGamma, r.Names[d], r.LogGamma[d],
                Invariant($"log gamma >= 0 (null quantile {o.LogGammaQuantile})"), ok,
                ok ? "ranks consistent with uniform" : Invariant(
                    $"not calibrated: ranks not uniform (rejected at the {o.LogGammaQuantile * 100:0.#}% level)")));
        }
        double maxError = Math.Max(o.MaxCalibrationError, 0.8 / Math.Sqrt(r.Datasets));
        for (int d = 0; d < r.Parameters; d++)
        {
            double error = r.CalibrationError[d];
            bool ok = error <= maxError;
            rows.Add(new MetricRow(CalibrationError, r.Names[d], error,
                Invariant($"median |coverage - level| <= {maxError:0.###} (max of {
                    o.MaxCalibrationError} and the noise level 0.8 / sqrt(N))"), ok,
                ok ? "credible intervals have their nominal coverage"
                   : Invariant(
                       $"not calibrated: credible intervals {Direction(r.Coverage, d)} (median miss {error:0.###})")));
        }
        {
            bool ok = r.Tarp.KsPValue >= 1 - o.Confidence;
            rows.Add(new MetricRow(Tarp, Joint, r.Tarp.KsDistance,
                Invariant($"TARP coverage uniform: KS p >= {1 - o.Confidence:0.###} (value: KS distance)"), ok,
                ok ? Invariant($"joint coverage consistent with calibration (ATC {r.Tarp.Atc:0.###})")
                   : Invariant($"not calibrated: TARP coverage curve departs from the diagonal (KS p = {
                       r.Tarp.KsPValue:0.###e0})")));
        }
        for (int d = 0; d < r.Parameters; d++)
        {
            double c = r.MedianContraction[d];
            bool ok = c > o.MinContraction;
            rows.Add(new MetricRow(Contraction, r.Names[d], c,
                Invariant($"median contraction > {o.MinContraction} ({(o.ContractionVarianceRatio
                    ? "1 - var/prior var" : "1 - sd/prior sd")})"), ok,
                ok ? "the data narrow the posterior"
                   : c < 0 ? "posterior wider than the prior"
                       : "posterior barely narrower than the prior: the data teach little"));
        }
        for (int d = 0; d < r.Parameters; d++)
        {
            double rho = r.Recovery.Correlation[d];
            bool ok = rho >= o.MinRecoveryCorrelation;
            rows.Add(new MetricRow(Recovery, r.Names[d], rho,
                Invariant($"corr(posterior median, truth) >= {o.MinRecoveryCorrelation}"), ok,
                ok ? "posterior medians track the truths"
                    : "weak recovery: posterior medians track the truths poorly"));
        }
        for (int d = 0; d < r.Parameters; d++)
        {
            // A posterior equal to the prior gives RMSE sqrt(2) priorSd per draw; an informative one gives less.
            double range = Range(r.Truths, r.Parameters, d);
            double bound = Math.Sqrt(2) * r.PriorSd[d] / range;
            bool ok = r.Nrmse[d] < bound;
            rows.Add(new MetricRow(Nrmse, r.Names[d], r.Nrmse[d],
                Invariant($"NRMSE < sqrt(2) prior sd / range = {bound:0.###} (prior draws' level)"), ok,
                ok ? "draws closer to the truth than prior draws" : "draws no closer to the truth than prior draws"));
        }
        return rows;
    }

    /// <summary>
    /// Whether intervals cover too little (over-confident) or too much (under-confident), on average over levels.
    /// </summary>
    private static string Direction(CoverageResult coverage, int d)
    {
        double mean = 0;
        for (int l = 0; l < coverage.Levels.Length; l++) mean += coverage.At(l, d) - coverage.Levels[l];
        return mean < 0 ? "cover too little (over-confident)" : "cover too much (under-confident)";
    }

    private static double Range(float[] truths, int parameters, int d)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (int i = d; i < truths.Length; i += parameters)
        {
            min = Math.Min(min, truths[i]);
            max = Math.Max(max, truths[i]);
        }
        return max - min;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
