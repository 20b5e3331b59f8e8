namespace Amortized.Inference.Diagnostics;

/// <summary>One line of a diagnostics table: a metric's value for one parameter and a plain verdict.</summary>
/// <param name="Metric">Metric key: <c>sbc_ecdf_band</c>, <c>log_gamma</c>, <c>calibration_error</c>, <c>tarp</c>,
/// <c>contraction</c>, <c>recovery_r</c> or <c>nrmse</c>.</param>
/// <param name="Parameter">Parameter name, or <c>(joint)</c> for joint metrics.</param>
/// <param name="Value">The metric's value (see <paramref name="Criterion"/> for what it is).</param>
/// <param name="Criterion">The pass rule in words, e.g. <c>log gamma &gt;= 0</c>.</param>
/// <param name="Passed">Whether the rule holds.</param>
/// <param name="Verdict">One plain sentence, e.g. <c>calibrated at the 95% band</c>.</param>
public sealed record MetricRow(string Metric, string Parameter, double Value,
    string Criterion, bool Passed, string Verdict);
