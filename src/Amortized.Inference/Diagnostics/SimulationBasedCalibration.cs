namespace Amortized.Inference.Diagnostics;

/// <summary>
/// Simulation-based calibration (Talts et al. 2018): if the posterior is right, the rank of the true parameter
/// among posterior draws is uniform. Shapes: draws (N, S, D), truths (N, D), ranks and fractional ranks (N, D),
/// ECDF tables (D, K) for a band of K points.
/// </summary>
/// <remarks>
/// The band is the simulation-adjusted simultaneous band of Säilynoja, Bürkner and Vehtari (2022), "Graphical
/// test for discrete uniformity and its applications in goodness-of-fit evaluation and multiple sample
/// comparison", Statistics and Computing 32:32, as BayesFlow's <c>simultaneous_ecdf_bands</c>. Log gamma follows
/// Modrák et al. (2025), "Simulation-based calibration checking for Bayesian computation: the choice of test
/// quantities shapes sensitivity", Bayesian Analysis 20(2), as BayesFlow's <c>calibration_log_gamma</c>.
/// </remarks>
public static class SimulationBasedCalibration
{
    /// <summary>Default simulations for the band's gamma adjustment and for the log-gamma null distribution.</summary>
    public const int DefaultSimulations = 1000;

    /// <summary>
    /// Rank of each truth among its draws: #{s : draw[n, s, d] &lt; truth[n, d]}, in 0..S. Shape (N, D).
    /// </summary>
    public static int[] Ranks(PosteriorDraws draws, ReadOnlySpan<float> truths)
    {
        ArgumentNullException.ThrowIfNull(draws);
        draws.CheckTruths(truths, nameof(Ranks));
        int n = draws.Datasets, s = draws.Draws, p = draws.Parameters;
        var ranks = new int[n * p];
        ReadOnlySpan<float> values = draws.Values;
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> block = values.Slice(i * s * p, s * p);
            Span<int> row = ranks.AsSpan(i * p, p);
            ReadOnlySpan<float> truth = truths.Slice(i * p, p);
            for (int j = 0; j < s; j++)
                for (int d = 0; d < p; d++)
                    if (block[j * p + d] < truth[d]) row[d]++;
        }
        return ranks;
    }

    /// <summary>
    /// Fractional ranks mean_s 1[draw[n, s, d] &lt; truth[n, d]] = rank / S, in [0, 1]. Shape (N, D).
    /// </summary>
    public static double[] FractionalRanks(PosteriorDraws draws, ReadOnlySpan<float> truths)
    {
        int[] ranks = Ranks(draws, truths);
        var result = new double[ranks.Length];
        for (int i = 0; i < ranks.Length; i++) result[i] = (double)ranks[i] / draws.Draws;
        return result;
    }

    /// <summary>
    /// Mid-ranks (rank + 0.5) / (S + 1), shape (N, D): the integer ranks mapped into (0, 1) so that under
    /// calibration P(value &lt;= z) differs from z by at most 0.5 / (S + 1). These are what the ECDF band is checked
    /// against. Fractional ranks put mass 1 / (S + 1) exactly on 0 and on 1, where a uniform has none, so with S =
    /// 1000 and N = 200 two truths outside all draws at the same end (a 2% event per parameter) would push the
    /// ECDF out of the band at its first or last point although nothing is wrong.
    /// </summary>
    public static double[] MidRanks(ReadOnlySpan<int> ranks, int draws)
    {
        if (draws < 1) throw new ArgumentOutOfRangeException(nameof(draws), draws, "MidRanks: expected S >= 1 draws.");
        var result = new double[ranks.Length];
        for (int i = 0; i < ranks.Length; i++)
        {
            if (ranks[i] < 0 || ranks[i] > draws)
                throw new ArgumentException(
                    $"MidRanks: rank {i} is {ranks[i]}; expected 0..S = 0..{draws}.", nameof(ranks));
            result[i] = (ranks[i] + 0.5) / (draws + 1);
        }
        return result;
    }

    /// <summary>
    /// The simultaneous band for the ECDF of <paramref name="numDatasets"/> uniform values (BayesFlow's
    /// <c>simultaneous_ecdf_bands</c>): K points z = linspace(1e-5, 1 - 1e-5, K); <paramref name="simulations"/>
    /// uniform samples of size N give their minimal coverage probabilities gamma_m; gamma is their
    /// (1 - confidence) quantile, and the bounds are the Binomial(N, z) quantiles gamma/2 and 1 - gamma/2, over N.
    /// </summary>
    /// <param name="numDatasets">N, the number of ranks per parameter.</param>
    /// <param name="confidence">Simultaneous level in (0, 1).</param>
    /// <param name="numPoints">K; 0 means min(N, 1000) as BayesFlow.</param>
    /// <param name="simulations">Uniform samples used to estimate gamma.</param>
    /// <param name="seed">Seed of those samples (the band is a pure function of all arguments).</param>
    public static EcdfBand SimultaneousBand(int numDatasets, double confidence = 0.95, int numPoints = 0,
        int simulations = DefaultSimulations, ulong seed = 0)
    {
        if (numDatasets < 1) throw new ArgumentOutOfRangeException(nameof(numDatasets), numDatasets,
            "SimultaneousBand: expected at least 1 data set.");
        CheckLevel(confidence, nameof(confidence), nameof(SimultaneousBand));
        if (numPoints < 0) throw new ArgumentOutOfRangeException(nameof(numPoints), numPoints,
            "SimultaneousBand: expected K >= 0 (0 = min(N, 1000)).");
        if (simulations < 1) throw new ArgumentOutOfRangeException(nameof(simulations), simulations,
            "SimultaneousBand: expected at least 1 simulation.");
        int n = numDatasets;
        int k = numPoints == 0 ? Math.Min(n, 1000) : numPoints;
        // The small inset keeps z off 0 and 1, where Binomial(N, z) is degenerate and every ECDF trivially agrees.
        double[] z = SampleStatistics.Linspace(1e-5, 1 - 1e-5, k);

        double[] u = UniformEcdf.SortedUniforms(simulations, n, seed);
        double[] gammas = UniformEcdf.MinimalCoverage(u, simulations, n, z, z, strict: false);
        Array.Sort(gammas);
        double gamma = SampleStatistics.QuantileSorted(gammas, 1 - confidence);

        var lower = new double[k];
        var upper = new double[k];
        var logFactorial = UniformEcdf.LogFactorials(n);
        var lowerTail = new double[n + 1];
        var upperTail = new double[n + 1];
        for (int i = 0; i < k; i++)
        {
            UniformEcdf.Tails(n, z[i], logFactorial, lowerTail, upperTail);
            lower[i] = (double)UniformEcdf.LowerQuantile(lowerTail, gamma / 2) / n;
            upper[i] = (double)UniformEcdf.UpperQuantile(upperTail, gamma / 2) / n;
        }
        return new EcdfBand(z, lower, upper, gamma, confidence, n);
    }

    /// <summary>
    /// ECDF of each parameter's fractional ranks at the points <paramref name="z"/>: F_d(z_k) = #{n :
    /// r[n, d] &lt;= z_k} / N.
    /// </summary>
    /// <param name="fractionalRanks">(N, D) values in [0, 1].</param>
    /// <param name="parameters">D.</param>
    /// <param name="z">K ascending points.</param>
    /// <returns>(D, K) row-major.</returns>
    public static double[] Ecdf(ReadOnlySpan<double> fractionalRanks, int parameters, ReadOnlySpan<double> z)
    {
        int n = CheckRanks(fractionalRanks.Length, parameters, nameof(fractionalRanks), nameof(Ecdf));
        for (int i = 1; i < z.Length; i++)
            if (!(z[i] >= z[i - 1])) throw new ArgumentException(
                $"Ecdf: z must ascend; z[{i - 1}] = {z[i - 1]} and z[{i}] = {z[i]}.", nameof(z));
        var result = new double[parameters * z.Length];
        var column = new double[n];
        for (int d = 0; d < parameters; d++)
        {
            for (int i = 0; i < n; i++) column[i] = fractionalRanks[i * parameters + d];
            Array.Sort(column);
            int c = 0;
            for (int k = 0; k < z.Length; k++)
            {
                while (c < n && column[c] <= z[k]) c++;
                result[d * z.Length + k] = (double)c / n;
            }
        }
        return result;
    }

    /// <summary>
    /// Whether each parameter's rank ECDF stays inside <paramref name="band"/> at every band point (D). The band
    /// must be for N = the number of ranks per parameter.
    /// </summary>
    /// <param name="fractionalRanks">(N, D) values in [0, 1]; for ranks of S draws pass <see cref="MidRanks"/>, which
    /// keep the discrete ranks off the end points (see there).</param>
    /// <param name="parameters">D.</param>
    /// <param name="band">A band for N data sets.</param>
    public static bool[] WithinBand(ReadOnlySpan<double> fractionalRanks, int parameters, EcdfBand band)
    {
        ArgumentNullException.ThrowIfNull(band);
        int n = CheckRanks(fractionalRanks.Length, parameters, nameof(fractionalRanks), nameof(WithinBand));
        if (band.Datasets != n)
            throw new ArgumentException($"WithinBand: the band is for N = {band.Datasets} values but the ranks are " +
                $"(N, D) = ({n}, {parameters}).", nameof(band));
        double[] ecdf = Ecdf(fractionalRanks, parameters, band.Z);
        var result = new bool[parameters];
        // Bounds and ECDF values are both multiples of 1/N; half a step of slack absorbs the rounding of c / N.
        double slack = 0.5 / n;
        for (int d = 0; d < parameters; d++)
        {
            bool inside = true;
            for (int k = 0; k < band.Points && inside; k++)
            {
                double f = ecdf[d * band.Points + k];
                inside = f >= band.Lower[k] - slack && f <= band.Upper[k] + slack;
            }
            result[d] = inside;
        }
        return result;
    }

    /// <summary>
    /// Whether each parameter's rank ECDF stays inside <paramref name="band"/> (D); draws (N, S, D), truths (N, D).
    /// The ECDF is that of the <see cref="MidRanks"/>.
    /// </summary>
    public static bool[] WithinBand(PosteriorDraws draws, ReadOnlySpan<float> truths, EcdfBand band)
    {
        ArgumentNullException.ThrowIfNull(draws);
        return WithinBand(MidRanks(Ranks(draws, truths), draws.Draws), draws.Parameters, band);
    }

    /// <summary>
    /// Log gamma per parameter (D): log(gamma_d / gamma_null), where gamma_d is the minimal coverage probability of
    /// the rank ECDF at z_i = i / (S + 1), i = 1..S+1, and gamma_null the <paramref name="quantile"/> of gamma over
    /// <paramref name="nullDraws"/> samples of N uniform values. Values &gt;= 0 are consistent with calibration;
    /// under calibration a value &lt; 0 happens with probability about <paramref name="quantile"/>.
    /// </summary>
    /// <remarks>
    /// gamma_d is floored at the smallest positive double, so a hopeless posterior reads about -745
    /// instead of -infinity.
    /// </remarks>
    public static double[] CalibrationLogGamma(PosteriorDraws draws, ReadOnlySpan<float> truths,
        int nullDraws = DefaultSimulations, double quantile = 0.05, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(draws);
        return CalibrationLogGamma(Ranks(draws, truths), draws.Parameters, draws.Draws, nullDraws, quantile, seed);
    }

    /// <summary>Log gamma per parameter (D) from integer ranks (N, D) in 0..<paramref name="draws"/>.</summary>
    public static double[] CalibrationLogGamma(ReadOnlySpan<int> ranks, int parameters, int draws,
        int nullDraws = DefaultSimulations, double quantile = 0.05, ulong seed = 0)
    {
        int n = CheckRanks(ranks.Length, parameters, nameof(ranks), nameof(CalibrationLogGamma));
        if (draws < 1)
            throw new ArgumentOutOfRangeException(nameof(draws), draws, "CalibrationLogGamma: expected S >= 1 draws.");
        if (nullDraws < 1) throw new ArgumentOutOfRangeException(nameof(nullDraws), nullDraws,
            "CalibrationLogGamma: expected at least 1 null draw.");
        CheckLevel(quantile, nameof(quantile), nameof(CalibrationLogGamma));

        // Points z_i = i / (S + 1): the rank ECDF counts #{rank < i}; a uniform null counts #{u < z_i}.
        var z = new double[draws + 1];
        var thresholds = new double[draws + 1];
        for (int i = 1; i <= draws + 1; i++) { z[i - 1] = (double)i / (draws + 1); thresholds[i - 1] = i; }

        double[] u = UniformEcdf.SortedUniforms(nullDraws, n, seed);
        double[] nullGamma = UniformEcdf.MinimalCoverage(u, nullDraws, n, z, z, strict: true);
        Array.Sort(nullGamma);
        double threshold = Math.Max(SampleStatistics.QuantileSorted(nullGamma, quantile), double.Epsilon);

        var sortedRanks = new double[parameters * n];
        for (int d = 0; d < parameters; d++)
        {
            Span<double> column = sortedRanks.AsSpan(d * n, n);
            for (int i = 0; i < n; i++)
            {
                int r = ranks[i * parameters + d];
                if (r < 0 || r > draws)
                    throw new ArgumentException(
                        $"CalibrationLogGamma: rank [{i}, {d}] is {r}; expected 0..S = 0..{draws}.", nameof(ranks));
                column[i] = r;
            }
            column.Sort();
        }
        double[] gamma = UniformEcdf.MinimalCoverage(sortedRanks, parameters, n, thresholds, z, strict: true);
        var result = new double[parameters];
        for (int d = 0; d < parameters; d++) result[d] = Math.Log(Math.Max(gamma[d], double.Epsilon) / threshold);
        return result;
    }

    /// <summary>
    /// Largest |F_d(z_k) - z_k| over the band points, per parameter (D): how far each rank ECDF strays.
    /// </summary>
    public static double[] MaxEcdfDeviation(ReadOnlySpan<double> fractionalRanks,
        int parameters, ReadOnlySpan<double> z)
    {
        double[] ecdf = Ecdf(fractionalRanks, parameters, z);
        var result = new double[parameters];
        for (int d = 0; d < parameters; d++)
            for (int k = 0; k < z.Length; k++)
                result[d] = Math.Max(result[d], Math.Abs(ecdf[d * z.Length + k] - z[k]));
        return result;
    }

    private static int CheckRanks(int length, int parameters, string argument, string method)
    {
        if (parameters < 1) throw new ArgumentOutOfRangeException(nameof(parameters), parameters,
            $"{method}: expected D >= 1 parameters.");
        if (length == 0 || length % parameters != 0)
            throw new ArgumentException($"{method}: {argument} has {length} values; expected (N, D) with D = " +
                $"{parameters} and N >= 1.", argument);
        return length / parameters;
    }

    internal static void CheckLevel(double level, string argument, string method)
    {
        if (!(level > 0 && level < 1))
            throw new ArgumentOutOfRangeException(argument, level, $"{method}: expected a value in (0, 1).");
    }
}
