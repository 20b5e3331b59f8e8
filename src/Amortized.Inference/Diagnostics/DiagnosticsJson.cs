using System.Text.Json.Serialization;

namespace Amortized.Inference.Diagnostics;

/// <summary>The JSON shape of <see cref="DiagnosticsReport.ToJson"/>: summary numbers only.</summary>
internal sealed record DiagnosticsJsonDocument(
    int Datasets, int Draws, int Parameters, double Confidence, bool Calibrated,
    IReadOnlyList<ParameterSummaryJson> ParameterSummaries, TarpSummaryJson Tarp, IReadOnlyList<MetricRow> Rows);

/// <summary>Per-parameter summary numbers.</summary>
internal sealed record ParameterSummaryJson(
    string Name, bool WithinBand, double MaxEcdfDeviation, double LogGamma, double CalibrationError,
    double ZScoreMean, double ZScoreSd, double MedianContraction, double RecoveryR, double Nrmse, double PriorSd);

/// <summary>The joint TARP numbers.</summary>
internal sealed record TarpSummaryJson(double Atc, double KsDistance, double KsPValue);

/// <summary>Builds the JSON document from a report.</summary>
internal static class DiagnosticsJson
{
    public static DiagnosticsJsonDocument Document(DiagnosticsReport report)
    {
        int n = report.Datasets, p = report.Parameters;
        var parameters = new ParameterSummaryJson[p];
        for (int d = 0; d < p; d++)
        {
            double mean = 0, sq = 0;
            for (int i = 0; i < n; i++) mean += report.ZScores[i * p + d];
            mean /= n;
            for (int i = 0; i < n; i++) { double e = report.ZScores[i * p + d] - mean; sq += e * e; }
            parameters[d] = new ParameterSummaryJson(report.Names[d], report.WithinBand[d],
                report.MaxEcdfDeviation[d], report.LogGamma[d],
                report.CalibrationError[d], mean, n > 1 ? Math.Sqrt(sq / (n - 1)) : double.NaN,
                report.MedianContraction[d],
                report.Recovery.Correlation[d], report.Nrmse[d], report.PriorSd[d]);
        }
        var tarp = new TarpSummaryJson(report.Tarp.Atc, report.Tarp.KsDistance, report.Tarp.KsPValue);
        return new DiagnosticsJsonDocument(n, report.Draws, p, report.Options.Confidence, report.Calibrated,
            parameters, tarp, report.Rows);
    }
}

/// <summary>Source-generated serializer (no reflection: trim- and AOT-clean).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(DiagnosticsJsonDocument))]
internal sealed partial class DiagnosticsJsonContext : JsonSerializerContext
{
}
