using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Amortized.Inference.Diagnostics;

/// <summary>
/// Recovery of one point estimate (BayesFlow's <c>recovery</c> for a point estimator): estimates against truths per
/// parameter.
/// </summary>
/// <param name="Estimate">The estimate's name: the rule ("mean", "median", "mvn"), or "quantiles@0.5" for the
/// quantile of a quantile rule nearest 0.5.</param>
/// <param name="Estimates">Estimates per data set and parameter (N, D).</param>
/// <param name="Correlation">Pearson r of estimates and truths per parameter (D); NaN if either is constant.</param>
/// <param name="RSquared">1 - sum (estimate - truth)^2 / sum (truth - mean truth)^2 per parameter (D): the fraction of
/// the truths' variance the estimates explain (can be negative); NaN when the truths are constant.</param>
/// <param name="Nrmse">sqrt(mean (estimate - truth)^2) / (max - min of the truths) per parameter (D), the posterior
/// recovery's NRMSE with a single draw.</param>
public sealed record PointRecovery(string Estimate, double[] Estimates, double[] Correlation, double[] RSquared,
    double[] Nrmse);

/// <summary>
/// Coverage of the central intervals a quantile rule's levels make: interval l runs from quantile l to quantile
/// Q - 1 - l (levels tau_l and tau_(Q-1-l)), whose nominal coverage is tau_(Q-1-l) - tau_l. A calibrated estimator
/// covers each truth with about that frequency (within sqrt(nominal (1 - nominal) / N)).
/// </summary>
/// <param name="Rule">The quantile rule's name.</param>
/// <param name="Lower">The lower level of each interval (L), widest interval first.</param>
/// <param name="Upper">The upper level of each interval (L).</param>
/// <param name="Nominal">Upper - lower (L).</param>
/// <param name="Coverage">(L, D) row-major: the fraction of data sets whose truth lies in [q_lower, q_upper].</param>
/// <param name="Datasets">N.</param>
/// <param name="Parameters">D.</param>
public sealed record QuantileCoverage(string Rule, double[] Lower, double[] Upper, double[] Nominal, double[] Coverage,
    int Datasets, int Parameters)
{
    /// <summary>Coverage of interval <paramref name="interval"/> for parameter <paramref name="parameter"/>.</summary>
    public double At(int interval, int parameter) => Coverage[interval * Parameters + parameter];
}

/// <summary>One rule's estimates for <see cref="PointDiagnosticsReport.Compute"/>.</summary>
/// <param name="Rule">The rule's name.</param>
/// <param name="Values">(N, D) for a point rule, (N, Q, D) for a quantile rule.</param>
/// <param name="Levels">The Q quantile levels, increasing; null for a point rule.</param>
public sealed record PointRuleValues(string Rule, float[] Values, IReadOnlyList<float>? Levels = null);

/// <summary>Pure diagnostics of point estimates against truths (no simulation, no network).</summary>
public static class PointMetrics
{
    /// <summary>Recovery of estimates (N, D) against truths (N, D).</summary>
    public static PointRecovery Recovery(string estimate, ReadOnlySpan<float> estimates, ReadOnlySpan<float> truths,
        int parameters)
    {
        int n = CheckTruths(truths, parameters, nameof(Recovery));
        if (estimates.Length != truths.Length)
            throw new ArgumentException($"Recovery: estimates have {estimates.Length} values and truths " +
                $"{truths.Length}; expected both (N, D) = ({n}, {parameters}).", nameof(estimates));
        var values = new double[estimates.Length];
        for (int i = 0; i < values.Length; i++) values[i] = estimates[i];
        var correlation = new double[parameters];
        var rSquared = new double[parameters];
        var nrmse = new double[parameters];
        var x = new double[n];
        var y = new double[n];
        for (int d = 0; d < parameters; d++)
        {
            double mean = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
            for (int i = 0; i < n; i++)
            {
                x[i] = values[i * parameters + d];
                y[i] = truths[i * parameters + d];
                mean += y[i];
                min = Math.Min(min, y[i]);
                max = Math.Max(max, y[i]);
            }
            mean /= n;
            double squaredError = 0, total = 0;
            for (int i = 0; i < n; i++)
            {
                squaredError += (x[i] - y[i]) * (x[i] - y[i]);
                total += (y[i] - mean) * (y[i] - mean);
            }
            correlation[d] = SampleStatistics.Pearson(x, y);
            rSquared[d] = total > 0 ? 1 - squaredError / total : double.NaN;
            nrmse[d] = Math.Sqrt(squaredError / n) / (max - min);
        }
        return new PointRecovery(estimate, values, correlation, rSquared, nrmse);
    }

    /// <summary>
    /// Coverage of the central intervals of quantiles (N, Q, D) at increasing <paramref name="levels"/> (Q) against
    /// truths (N, D); needs Q &gt;= 2.
    /// </summary>
    public static QuantileCoverage Coverage(string rule, ReadOnlySpan<float> quantiles, IReadOnlyList<float> levels,
        ReadOnlySpan<float> truths, int parameters)
    {
        ArgumentNullException.ThrowIfNull(levels);
        int n = CheckTruths(truths, parameters, nameof(Coverage));
        int q = levels.Count;
        if (q < 2)
            throw new ArgumentException($"Coverage: {q} quantile level; an interval needs at least 2.", nameof(levels));
        if (quantiles.Length != (long)n * q * parameters)
            throw new ArgumentException($"Coverage: quantiles have {quantiles.Length} values; expected (N, Q, D) = " +
                $"({n}, {q}, {parameters}).", nameof(quantiles));
        int intervals = q / 2;
        var lower = new double[intervals];
        var upper = new double[intervals];
        var nominal = new double[intervals];
        var coverage = new double[intervals * parameters];
        for (int l = 0; l < intervals; l++)
        {
            int hi = q - 1 - l;
            // Levels are floats: 0.1f is 0.100000001490116 as a double. Their shortest decimal form (0.1) is what the
            // user wrote, so reports read 0.8 for the 10-90% interval rather than 0.800000011920929.
            lower[l] = Decimal(levels[l]);
            upper[l] = Decimal(levels[hi]);
            nominal[l] = Math.Round(upper[l] - lower[l], 12);
            for (int d = 0; d < parameters; d++)
            {
                int inside = 0;
                for (int i = 0; i < n; i++)
                {
                    float t = truths[i * parameters + d];
                    if (t >= quantiles[(i * q + l) * parameters + d] && t <= quantiles[(i * q + hi) * parameters + d])
                        inside++;
                }
                coverage[l * parameters + d] = (double)inside / n;
            }
        }
        return new QuantileCoverage(rule, lower, upper, nominal, coverage, n, parameters);
    }

    private static double Decimal(float level) =>
        double.Parse(level.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static int CheckTruths(ReadOnlySpan<float> truths, int parameters, string method)
    {
        if (parameters < 1) throw new ArgumentOutOfRangeException(nameof(parameters), parameters,
            $"{method}: expected at least 1 parameter (D).");
        if (truths.Length == 0 || truths.Length % parameters != 0)
            throw new ArgumentException($"{method}: truths have {truths.Length} values; expected (N, D) with N >= 1 " +
                $"and D = {parameters}.", nameof(truths));
        return truths.Length / parameters;
    }
}

/// <summary>
/// The diagnostics of a point approximator on held-out simulations: recovery of every point estimate (each point rule,
/// and each quantile rule's quantile nearest 0.5) and the coverage of every quantile rule's central intervals.
/// </summary>
public sealed class PointDiagnosticsReport
{
    private PointDiagnosticsReport(IReadOnlyList<string> names, float[] truths, int parameters,
        IReadOnlyList<PointRecovery> recovery, IReadOnlyList<QuantileCoverage> coverage)
    {
        Names = names;
        Truths = truths;
        Parameters = parameters;
        Datasets = truths.Length / parameters;
        Recovery = recovery;
        Coverage = coverage;
    }

    /// <summary>
    /// Computes the report from every rule's estimates and the truths (N, D).
    /// </summary>
    /// <param name="rules">Each rule's estimates, (N, D) or (N, Q, D) with levels.</param>
    /// <param name="truths">True parameters (N, D).</param>
    /// <param name="parameters">D.</param>
    /// <param name="names">D parameter names; default theta[i].</param>
    public static PointDiagnosticsReport Compute(IReadOnlyList<PointRuleValues> rules, float[] truths, int parameters,
        IReadOnlyList<string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(truths);
        if (names is not null && names.Count != parameters)
            throw new ArgumentException($"PointDiagnosticsReport: {names.Count} names for D = {parameters} parameters.",
                nameof(names));
        var recovery = new List<PointRecovery>();
        var coverage = new List<QuantileCoverage>();
        foreach (var rule in rules)
        {
            ArgumentNullException.ThrowIfNull(rule, nameof(rules));
            if (rule.Levels is not { } levels)
            {
                recovery.Add(PointMetrics.Recovery(rule.Rule, rule.Values, truths, parameters));
                continue;
            }
            int q = levels.Count, n = truths.Length / parameters;
            int anchor = 0;
            for (int i = 1; i < q; i++) if (Math.Abs(levels[i] - 0.5f) < Math.Abs(levels[anchor] - 0.5f)) anchor = i;
            if (rule.Values.Length != (long)n * q * parameters)
                throw new ArgumentException($"PointDiagnosticsReport: rule '{rule.Rule}' has {rule.Values.Length} " +
                    $"values; expected (N, Q, D) = ({n}, {q}, {parameters}).", nameof(rules));
            var middle = new float[n * parameters];
            for (int i = 0; i < n; i++)
                Array.Copy(rule.Values, (i * q + anchor) * parameters, middle, i * parameters, parameters);
            recovery.Add(PointMetrics.Recovery(
                $"{rule.Rule}@{levels[anchor].ToString(CultureInfo.InvariantCulture)}", middle, truths, parameters));
            if (q >= 2) coverage.Add(PointMetrics.Coverage(rule.Rule, rule.Values, levels, truths, parameters));
        }
        var allNames = new string[parameters];
        for (int d = 0; d < parameters; d++) allNames[d] = names?[d] ?? $"theta[{d}]";
        return new PointDiagnosticsReport(allNames, truths, parameters, recovery, coverage);
    }

    /// <summary>D parameter names.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>N.</summary>
    public int Datasets { get; }

    /// <summary>D.</summary>
    public int Parameters { get; }

    /// <summary>The true parameters (N, D).</summary>
    public float[] Truths { get; }

    /// <summary>Recovery of every point estimate.</summary>
    public IReadOnlyList<PointRecovery> Recovery { get; }

    /// <summary>Interval coverage of every quantile rule with at least two levels.</summary>
    public IReadOnlyList<QuantileCoverage> Coverage { get; }

    /// <summary>
    /// The summary numbers as JSON: datasets, parameters, per estimate and parameter r, R^2 and NRMSE, per quantile
    /// rule and interval the nominal and per-parameter coverage. Non-finite numbers are written as null.
    /// </summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("method", "point");
            w.WriteNumber("datasets", Datasets);
            w.WriteNumber("parameters", Parameters);
            w.WriteStartArray("recovery");
            foreach (var r in Recovery)
                for (int d = 0; d < Parameters; d++)
                {
                    w.WriteStartObject();
                    w.WriteString("estimate", r.Estimate);
                    w.WriteString("parameter", Names[d]);
                    JsonNumbers.Write(w, "recovery_r", r.Correlation[d]);
                    JsonNumbers.Write(w, "r_squared", r.RSquared[d]);
                    JsonNumbers.Write(w, "nrmse", r.Nrmse[d]);
                    w.WriteEndObject();
                }
            w.WriteEndArray();
            w.WriteStartArray("quantile_coverage");
            foreach (var c in Coverage)
                for (int l = 0; l < c.Nominal.Length; l++)
                    for (int d = 0; d < Parameters; d++)
                    {
                        w.WriteStartObject();
                        w.WriteString("rule", c.Rule);
                        w.WriteString("parameter", Names[d]);
                        w.WriteNumber("lower", c.Lower[l]);
                        w.WriteNumber("upper", c.Upper[l]);
                        w.WriteNumber("nominal", c.Nominal[l]);
                        w.WriteNumber("coverage", c.At(l, d));
                        w.WriteEndObject();
                    }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}

/// <summary>Writes a double as a JSON number, or null when it is NaN or infinite (JSON has neither).</summary>
internal static class JsonNumbers
{
    public static void Write(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteNull(name);
    }
}
