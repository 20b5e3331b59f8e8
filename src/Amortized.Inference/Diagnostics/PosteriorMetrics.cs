namespace Amortized.Inference.Diagnostics;

/// <summary>
/// Pure posterior metrics over many data sets (BayesFlow's <c>bayesflow.diagnostics.metrics</c>). Shapes: draws
/// (N, S, D), truths (N, D) float32 row-major, prior standard deviations (D); results are (D) per parameter or
/// (N, D) per data set and parameter. Standard deviations use ddof = 1 and quantiles numpy's linear rule, as BayesFlow.
/// </summary>
public static partial class PosteriorMetrics
{
    /// <summary>
    /// BayesFlow's credible levels for the calibration error: linspace(0.005, 0.995, <paramref name="levels"/>).
    /// </summary>
    public static double[] DefaultLevels(int levels = 20)
    {
        if (levels < 1)
            throw new ArgumentOutOfRangeException(nameof(levels), levels, "DefaultLevels: expected at least 1 level.");
        return SampleStatistics.Linspace(0.005, 0.995, levels);
    }

    /// <summary>
    /// Coverage of the central credible intervals at BayesFlow's <paramref name="levels"/> levels (see
    /// <see cref="DefaultLevels"/>).
    /// </summary>
    public static CoverageResult ExpectedCoverage(PosteriorDraws draws, ReadOnlySpan<float> truths, int levels = 20) =>
        ExpectedCoverage(draws, truths, DefaultLevels(levels));

    /// <summary>
    /// Coverage of the central credible intervals at the given <paramref name="levels"/> (L): the interval of level a
    /// runs from the (1 - a)/2 to the (1 + a)/2 quantile of the S draws, and a truth inside it (bounds included)
    /// counts as covered.
    /// </summary>
    public static CoverageResult ExpectedCoverage(PosteriorDraws draws,
        ReadOnlySpan<float> truths, ReadOnlySpan<double> levels)
    {
        ArgumentNullException.ThrowIfNull(draws);
        draws.CheckTruths(truths, nameof(ExpectedCoverage));
        if (levels.Length == 0)
            throw new ArgumentException("ExpectedCoverage: expected at least one credible level.", nameof(levels));
        foreach (double a in levels)
            if (!(a > 0 && a < 1))
                throw new ArgumentException($"ExpectedCoverage: credible level {a} is outside (0, 1).", nameof(levels));
        int n = draws.Datasets, p = draws.Parameters, l = levels.Length;
        var inside = new int[l * p];
        var column = new float[draws.Draws];
        for (int i = 0; i < n; i++)
        {
            for (int d = 0; d < p; d++)
            {
                draws.CopyColumn(i, d, column);
                Array.Sort(column);
                double truth = truths[i * p + d];
                for (int k = 0; k < l; k++)
                {
                    double tail = (1 - levels[k]) / 2;
                    if (SampleStatistics.QuantileSorted(column, tail) <= truth
                        && truth <= SampleStatistics.QuantileSorted(column, 1 - tail))
                        inside[k * p + d]++;
                }
            }
        }
        var coverage = new double[l * p];
        for (int i = 0; i < coverage.Length; i++) coverage[i] = (double)inside[i] / n;
        return new CoverageResult(levels.ToArray(), coverage, n, p);
    }

    /// <summary>
    /// Calibration error per parameter (D), BayesFlow's <c>calibration_error</c>: the median over the credible
    /// levels linspace(0.005, 0.995, <paramref name="levels"/>) of |coverage - level|. 0 is perfect, but N data sets
    /// leave sampling noise even for the exact posterior: median about 0.22 / sqrt(N), 99th percentile about
    /// 0.8 / sqrt(N) (measured at N = 200).
    /// </summary>
    public static double[] CalibrationError(PosteriorDraws draws, ReadOnlySpan<float> truths, int levels = 20) =>
        CalibrationError(ExpectedCoverage(draws, truths, levels));

    /// <summary>The calibration error per parameter (D) of an already computed coverage table.</summary>
    public static double[] CalibrationError(CoverageResult coverage)
    {
        ArgumentNullException.ThrowIfNull(coverage);
        int l = coverage.Levels.Length, p = coverage.Parameters;
        var result = new double[p];
        var errors = new double[l];
        for (int d = 0; d < p; d++)
        {
            for (int k = 0; k < l; k++) errors[k] = Math.Abs(coverage.At(k, d) - coverage.Levels[k]);
            result[d] = SampleStatistics.MedianInPlace(errors);
        }
        return result;
    }

    /// <summary>
    /// Posterior z-scores (N, D): (posterior mean - truth) / posterior sd. Calibrated posteriors give values of
    /// spread about 1; a spread well above 1 means over-confidence.
    /// </summary>
    public static double[] ZScores(PosteriorDraws draws, ReadOnlySpan<float> truths)
    {
        ArgumentNullException.ThrowIfNull(draws);
        draws.CheckTruths(truths, nameof(ZScores));
        int n = draws.Datasets, p = draws.Parameters;
        var result = new double[n * p];
        for (int i = 0; i < n; i++)
            for (int d = 0; d < p; d++)
            {
                var (mean, sd) = draws.MeanSd(i, d);
                result[i * p + d] = (mean - truths[i * p + d]) / sd;
            }
        return result;
    }

    /// <summary>
    /// Posterior contraction (N, D): 1 - sd / priorSd, or 1 - var / priorVar with <paramref name="varianceRatio"/>
    /// (BayesFlow's form). 1 means the data pin the parameter down, 0 that the posterior is as wide as the prior.
    /// Not clipped: a negative value (posterior wider than prior) is itself a finding.
    /// </summary>
    /// <param name="draws">(N, S, D).</param>
    /// <param name="priorSd">Prior standard deviation per parameter (D), positive.</param>
    /// <param name="varianceRatio">Use variances instead of standard deviations.</param>
    public static double[] Contraction(PosteriorDraws draws, ReadOnlySpan<double> priorSd, bool varianceRatio = false)
    {
        ArgumentNullException.ThrowIfNull(draws);
        CheckPriorSd(priorSd, draws.Parameters, nameof(Contraction));
        int n = draws.Datasets, p = draws.Parameters;
        var result = new double[n * p];
        for (int i = 0; i < n; i++)
            for (int d = 0; d < p; d++)
            {
                double ratio = draws.MeanSd(i, d).Sd / priorSd[d];
                result[i * p + d] = 1 - (varianceRatio ? ratio * ratio : ratio);
            }
        return result;
    }

    /// <summary>
    /// Sample standard deviation (ddof = 1) of each column of <paramref name="truths"/> (N, D): a
    /// prior sd estimate (D).
    /// </summary>
    public static double[] PriorSd(ReadOnlySpan<float> truths, int parameters)
    {
        if (parameters < 1)
            throw new ArgumentOutOfRangeException(nameof(parameters), parameters, "PriorSd: expected D >= 1.");
        if (truths.Length % parameters != 0 || truths.Length / parameters < 2)
            throw new ArgumentException($"PriorSd: truths has {truths.Length} values; expected (N, D) with D = " +
                $"{parameters} and N >= 2.", nameof(truths));
        int n = truths.Length / parameters;
        var result = new double[parameters];
        for (int d = 0; d < parameters; d++)
        {
            double mean = 0, sq = 0;
            for (int i = 0; i < n; i++) mean += truths[i * parameters + d];
            mean /= n;
            for (int i = 0; i < n; i++) { double e = truths[i * parameters + d] - mean; sq += e * e; }
            result[d] = Math.Sqrt(sq / (n - 1));
        }
        return result;
    }

    /// <summary>
    /// Normalized RMSE per parameter (D), BayesFlow's <c>root_mean_squared_error</c> with normalize = "range": for
    /// each draw index s, RMSE_s = sqrt(mean_n (draw[n, s, d] - truth[n, d])^2), divided by max - min of the
    /// truths; then the median over s. An exact posterior gives sqrt(2 E[posterior var]) / range, a posterior that
    /// learned nothing about sqrt(2) priorSd / range.
    /// </summary>
    public static double[] NormalizedRmse(PosteriorDraws draws, ReadOnlySpan<float> truths)
    {
        ArgumentNullException.ThrowIfNull(draws);
        draws.CheckTruths(truths, nameof(NormalizedRmse));
        int n = draws.Datasets, s = draws.Draws, p = draws.Parameters;
        var squared = new double[s * p];   // (S, D): sum over data sets of squared errors
        ReadOnlySpan<float> values = draws.Values;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < s; j++)
                for (int d = 0; d < p; d++)
                {
                    double e = values[(i * s + j) * p + d] - truths[i * p + d];
                    squared[j * p + d] += e * e;
                }
        var result = new double[p];
        var perDraw = new double[s];
        for (int d = 0; d < p; d++)
        {
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            for (int i = 0; i < n; i++)
            {
                min = Math.Min(min, truths[i * p + d]);
                max = Math.Max(max, truths[i * p + d]);
            }
            double range = (double)max - min;
            for (int j = 0; j < s; j++) perDraw[j] = Math.Sqrt(squared[j * p + d] / n) / range;
            result[d] = SampleStatistics.MedianInPlace(perDraw);
        }
        return result;
    }

    /// <summary>
    /// Recovery (BayesFlow's <c>recovery</c>): posterior medians (N, D), median absolute deviations (N, D) and the
    /// Pearson correlation of medians with truths per parameter (D).
    /// </summary>
    public static RecoveryResult Recovery(PosteriorDraws draws, ReadOnlySpan<float> truths)
    {
        ArgumentNullException.ThrowIfNull(draws);
        draws.CheckTruths(truths, nameof(Recovery));
        int n = draws.Datasets, p = draws.Parameters;
        var medians = new double[n * p];
        var mads = new double[n * p];
        var column = new float[draws.Draws];
        var deviations = new double[draws.Draws];
        for (int i = 0; i < n; i++)
            for (int d = 0; d < p; d++)
            {
                draws.CopyColumn(i, d, column);
                Array.Sort(column);
                double median = SampleStatistics.QuantileSorted(column, 0.5);
                for (int j = 0; j < column.Length; j++) deviations[j] = Math.Abs(column[j] - median);
                medians[i * p + d] = median;
                mads[i * p + d] = SampleStatistics.MedianInPlace(deviations);
            }
        var correlation = new double[p];
        var x = new double[n];
        var y = new double[n];
        for (int d = 0; d < p; d++)
        {
            for (int i = 0; i < n; i++) { x[i] = medians[i * p + d]; y[i] = truths[i * p + d]; }
            correlation[d] = SampleStatistics.Pearson(x, y);
        }
        return new RecoveryResult(medians, mads, correlation);
    }

    internal static void CheckPriorSd(ReadOnlySpan<double> priorSd, int parameters, string method)
    {
        if (priorSd.Length != parameters)
            throw new ArgumentException($"{method}: priorSd has {priorSd.Length} values; expected one per parameter " +
                $"(D = {parameters}).", nameof(priorSd));
        for (int d = 0; d < parameters; d++)
            if (!(priorSd[d] > 0 && double.IsFinite(priorSd[d])))
                throw new ArgumentException($"{method}: priorSd[{d}] is {priorSd[d]}; expected a positive finite " +
                    "standard deviation.", nameof(priorSd));
    }
}
