using Amortized.Inference.Simulators;
using Amortized.Tensors;

namespace Amortized.Inference.Approximators;

/// <summary>
/// Neural likelihood estimation (sbi's NLE): samples p(theta | x_obs) ∝ p(theta) q(x_obs | theta) by MCMC, where
/// q is a <see cref="ContinuousApproximator"/> trained with the roles swapped (inference variables = data,
/// conditions = parameters), so one trained likelihood serves every observation. Legend: C chains, P parameters,
/// X data values.
/// </summary>
/// <remarks>
/// Chains are vectorised: all C advance together and each round of a step evaluates the learned log-likelihood of
/// every chain's point in one batched <see cref="ContinuousApproximator.LogProb"/> call, with x_obs repeated per
/// row. The default kernel is coordinate-wise slice sampling (Neal 2003, "Slice sampling", Ann. Statist. 31(3));
/// random-walk Metropolis is the alternative. Step sizes adapt during warm-up only, from the spread of the chains'
/// states, and stay fixed while draws are kept. References: Papamakarios, Sterratt and Murray 2019, "Sequential
/// neural likelihood", AISTATS; Lueckmann et al. 2021, "Benchmarking simulation-based inference", AISTATS.
/// </remarks>
public sealed class LikelihoodPosterior
{
    private readonly ContinuousApproximator? _likelihood;
    private readonly Action<ReadOnlySpan<float>, ReadOnlySpan<float>, Span<double>>? _logLikelihood;
    private readonly Func<ReadOnlySpan<float>, double> _logPrior;
    private readonly Action<Rng, Span<float>>? _priorSampler;

    /// <summary>
    /// A posterior from a learned likelihood. Its adapter must map <paramref name="dataKey"/> to the inference
    /// variables and <paramref name="parameterKey"/> (shape (B, P)) to the conditions.
    /// </summary>
    /// <param name="likelihood">The approximator of q(x | theta).</param>
    /// <param name="logPrior">log p(theta) of one parameter vector (P); negative infinity outside the support.</param>
    /// <param name="parameterDim">P.</param>
    /// <param name="parameterKey">Batch key of the parameters.</param>
    /// <param name="dataKey">Batch key of the data.</param>
    /// <param name="priorSampler">Draws theta (P) from the prior, to start chains; optional with an
    /// initial point.</param>
    public LikelihoodPosterior(ContinuousApproximator likelihood,
        Func<ReadOnlySpan<float>, double> logPrior, int parameterDim,
        string parameterKey = "theta", string dataKey = "x", Action<Rng, Span<float>>? priorSampler = null)
        : this(logPrior, parameterDim, priorSampler, parameterKey, dataKey)
    {
        ArgumentNullException.ThrowIfNull(likelihood);
        _likelihood = likelihood;
    }

    /// <summary>
    /// A posterior from a learned likelihood and a prior (its log density, parameter key and sampler); the
    /// likelihood's adapter maps <paramref name="dataKey"/> to the inference variables.
    /// </summary>
    public LikelihoodPosterior(ContinuousApproximator likelihood, IPrior prior, string dataKey = "x")
        : this(likelihood, RequirePrior(prior).LogPrior, prior.ParameterDim,
            prior.ParameterKey, dataKey, prior.SamplePrior)
    {
    }

    /// <summary>
    /// A posterior from any batched log-likelihood (an analytic one, or a learned one behind a custom call).
    /// </summary>
    /// <param name="logLikelihood">(theta (n, P), x_obs (X), log L (n)): writes log L(x_obs | theta) per row.</param>
    /// <param name="logPrior">log p(theta) of one parameter vector (P); negative infinity outside the support.</param>
    /// <param name="parameterDim">P.</param>
    /// <param name="priorSampler">Draws theta (P) from the prior, to start chains; optional with an
    /// initial point.</param>
    public LikelihoodPosterior(Action<ReadOnlySpan<float>, ReadOnlySpan<float>, Span<double>> logLikelihood,
        Func<ReadOnlySpan<float>, double> logPrior, int parameterDim, Action<Rng, Span<float>>? priorSampler = null)
        : this(logPrior, parameterDim, priorSampler, "theta", "x")
    {
        ArgumentNullException.ThrowIfNull(logLikelihood);
        _logLikelihood = logLikelihood;
    }

    private LikelihoodPosterior(Func<ReadOnlySpan<float>, double> logPrior, int parameterDim,
        Action<Rng, Span<float>>? priorSampler,
        string parameterKey, string dataKey)
    {
        ArgumentNullException.ThrowIfNull(logPrior);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterDim);
        ArgumentException.ThrowIfNullOrEmpty(parameterKey);
        ArgumentException.ThrowIfNullOrEmpty(dataKey);
        _logPrior = logPrior;
        _priorSampler = priorSampler;
        ParameterDim = parameterDim;
        ParameterKey = parameterKey;
        DataKey = dataKey;
    }

    /// <summary>P.</summary>
    public int ParameterDim { get; }

    /// <summary>Batch key of the parameters.</summary>
    public string ParameterKey { get; }

    /// <summary>Batch key of the data.</summary>
    public string DataKey { get; }

    /// <summary>
    /// Samples p(theta | x_obs) for one observation x_obs (X), stored under <see cref="DataKey"/> as (1, X).
    /// </summary>
    public McmcSamples Sample(ReadOnlySpan<float> observation, LikelihoodPosteriorOptions? options = null)
    {
        if (_logLikelihood is not null) return Run(LogLikelihoodOf(observation.ToArray()), options ?? new());
        var batch = new SimulationBatch(1).Set(DataKey, observation.ToArray(), 1, observation.Length);
        return Run(LogLikelihoodOf(batch), options ?? new());
    }

    /// <summary>
    /// Samples p(theta | x_obs) for a one-row batch holding <see cref="DataKey"/> (any shape) and whatever other
    /// keys the adapter reads; every key is repeated once per chain.
    /// </summary>
    public McmcSamples Sample(SimulationBatch observation, LikelihoodPosteriorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(observation);
        if (observation.BatchSize != 1)
            throw new ArgumentException($"LikelihoodPosterior: the observation has {observation.BatchSize} rows; " +
                "expected 1.", nameof(observation));
        if (!observation.Contains(DataKey))
            throw new ArgumentException($"LikelihoodPosterior: the observation lacks '{DataKey}'; it has " +
                $"{string.Join(", ", observation.Keys)}.", nameof(observation));
        return _logLikelihood is not null
            ? Run(LogLikelihoodOf(observation.Row(DataKey, 0).ToArray()), options ?? new())
            : Run(LogLikelihoodOf(observation), options ?? new());
    }

    private Action<ReadOnlySpan<float>, Span<double>> LogLikelihoodOf(float[] x) =>
        (theta, logL) => _logLikelihood!(theta, x, logL);

    /// <summary>q(x_obs | theta) for n chains: x_obs's row repeated n times, the chains' theta as (n, P).</summary>
    private Action<ReadOnlySpan<float>, Span<double>> LogLikelihoodOf(SimulationBatch observation)
    {
        var likelihood = _likelihood!;
        int p = ParameterDim;
        return (theta, logL) =>
        {
            int n = logL.Length;
            var batch = observation.SelectRows(new int[n]);
            batch.Set(ParameterKey, theta.ToArray(), n, p);
            float[] logq = likelihood.LogProb(batch);
            for (int i = 0; i < n; i++) logL[i] = logq[i];
        };
    }

    private McmcSamples Run(Action<ReadOnlySpan<float>, Span<double>> logLikelihood, LikelihoodPosteriorOptions options)
    {
        Validate(options);
        int c = options.NumChains, p = ParameterDim, warmup = options.WarmupSteps;
        int perChain = (options.NumSamples + c - 1) / c;
        var chains = new McmcChains(c, p, _logPrior, logLikelihood, options.Seed);
        Initialize(chains, options);
        bool slice = options.Method == McmcMethod.Slice;
        // A slice bracket of about three standard deviations needs little stepping out or shrinkage; a random walk
        // scaled by 2.38 / sqrt(P) standard deviations is near-optimal for Gaussian targets (Roberts et al. 1997).
        double factor = slice ? 3.0 : 2.38 / Math.Sqrt(p);
        var widths = new double[p];
        if (options.InitialWidth is { } w0) Array.Fill(widths, w0);
        else AdaptWidths(widths, chains.Theta, c, factor, fallback: 1.0);
        var history = new float[warmup * c * p];
        int adaptEvery = Math.Max(1, warmup / 10);
        double logScale = 0;   // random walk: log of a multiplier on the widths, tuned towards the target acceptance
        var scaled = new double[p];
        for (int t = 0; t < warmup; t++)
        {
            if (slice) chains.SliceSweep(widths, options.MaxSteppingOut);
            else
            {
                for (int j = 0; j < p; j++) scaled[j] = widths[j] * Math.Exp(logScale);
                double rate = chains.MetropolisStep(scaled) / (double)c;
                logScale += (rate - options.TargetAcceptance) / Math.Pow(t + 1, 0.6);
            }
            chains.Theta.CopyTo(history, t * c * p);
            if ((t + 1) % adaptEvery == 0)
            {
                // The second half of the warm-up so far, pooled over chains: late enough to have forgotten the start.
                int from = (t + 1) / 2;
                AdaptWidths(widths, history.AsSpan(from * c * p, (t + 1 - from) * c * p), (t + 1 - from) * c,
                    factor, fallback: double.NaN);
            }
        }
        if (!slice) for (int j = 0; j < p; j++) widths[j] *= Math.Exp(logScale);

        var draws = new float[perChain * c * p];
        long moved = 0, proposals = 0;
        for (int s = 0; s < perChain; s++)
        {
            for (int k = 0; k < options.Thin; k++)
            {
                moved += slice ? chains.SliceSweep(widths, options.MaxSteppingOut) : chains.MetropolisStep(widths);
                proposals += slice ? (long)c * p : c;
            }
            chains.Theta.CopyTo(draws, s * c * p);
        }
        return new McmcSamples(draws, c, perChain, p, proposals == 0 ? double.NaN : (double)moved / proposals,
            chains.Evaluations, chains.Calls, widths);
    }

    /// <summary>
    /// Starts every chain at the given point, each at its given row, or at prior draws redrawn until the posterior
    /// is positive.
    /// </summary>
    private void Initialize(McmcChains chains, LikelihoodPosteriorOptions options)
    {
        int c = chains.Chains, p = ParameterDim;
        if (options.InitialPoints is { } starts)
        {
            if (starts.Length != (long)c * p)
                throw new ArgumentException($"LikelihoodPosterior: InitialPoints has {starts.Length} values; " +
                    $"expected (C, P) = ({c}, {p}) = {(long)c * p}.", nameof(options));
            for (int i = 0; i < c; i++)
            {
                var row = starts.AsSpan(i * p, p);
                foreach (float v in row)
                    if (!float.IsFinite(v))
                        throw new ArgumentException($"LikelihoodPosterior: InitialPoints row {i} contains {v}; " +
                            "expected finite values.", nameof(options));
                row.CopyTo(chains.Point(i));
            }
            var values = chains.Evaluate(c);
            for (int i = 0; i < c; i++)
                if (!(values[i] > double.NegativeInfinity))
                    throw new ArgumentException($"LikelihoodPosterior: InitialPoints row {i} has zero posterior " +
                        $"density (log prior + log likelihood is {values[i]}).", nameof(options));
            for (int i = 0; i < c; i++) Accept(chains, i, i, values[i]);
            return;
        }
        if (options.InitialPoint is { } start)
        {
            if (start.Length != p)
                throw new ArgumentException($"LikelihoodPosterior: the initial point has length {start.Length}; " +
                    $"expected P = {p}.", nameof(options));
            for (int i = 0; i < c; i++) start.CopyTo(chains.Point(i));
            var values = chains.Evaluate(c);
            if (!(values[0] > double.NegativeInfinity))
                throw new ArgumentException("LikelihoodPosterior: the initial point has zero posterior density (log " +
                    "prior + log likelihood is -inf or NaN).", nameof(options));
            for (int i = 0; i < c; i++) Accept(chains, i, i, values[i]);
            return;
        }
        if (_priorSampler is null)
            throw new InvalidOperationException(
                "LikelihoodPosterior: no prior sampler was given, so set LikelihoodPosteriorOptions.InitialPoint or " +
                "InitialPoints.");
        var pending = new List<int>();
        for (int i = 0; i < c; i++) pending.Add(i);
        for (int attempt = 0; attempt < 100 && pending.Count > 0; attempt++)
        {
            for (int k = 0; k < pending.Count; k++) _priorSampler(chains.Rngs[pending[k]], chains.Point(k));
            var values = chains.Evaluate(pending.Count);
            var still = new List<int>();
            for (int k = 0; k < pending.Count; k++)
            {
                if (values[k] > double.NegativeInfinity) Accept(chains, pending[k], k, values[k]);
                else still.Add(pending[k]);
            }
            pending = still;
        }
        if (pending.Count > 0)
            throw new InvalidOperationException($"LikelihoodPosterior: {pending.Count} chains found no prior draw " +
                "with positive posterior density in 100 tries.");
    }

    private static void Accept(McmcChains chains, int chain, int row, double logDensity)
    {
        chains.Point(row).CopyTo(chains.Theta.AsSpan(chain * chains.Dim, chains.Dim));
        chains.LogDensity[chain] = logDensity;
    }

    /// <summary>
    /// widths[j] = factor * sd of column j of <paramref name="states"/> (rows, P); degenerate columns keep theirs.
    /// </summary>
    private static void AdaptWidths(double[] widths, ReadOnlySpan<float> states, int rows,
        double factor, double fallback)
    {
        int p = widths.Length;
        for (int j = 0; j < p; j++)
        {
            double mean = 0, sq = 0;
            for (int r = 0; r < rows; r++) mean += states[r * p + j];
            mean /= rows;
            for (int r = 0; r < rows; r++) sq += (states[r * p + j] - mean) * (states[r * p + j] - mean);
            double sd = rows > 1 ? Math.Sqrt(sq / (rows - 1)) : 0;
            if (sd > 0 && double.IsFinite(sd)) widths[j] = factor * sd;
            else if (!double.IsNaN(fallback)) widths[j] = fallback;
        }
    }

    private void Validate(LikelihoodPosteriorOptions options)
    {
        if (options.NumChains <= 0 || options.NumSamples <= 0 || options.WarmupSteps < 0 || options.Thin <= 0
            || options.MaxSteppingOut <= 0)
            throw new ArgumentOutOfRangeException(nameof(options),
                $"LikelihoodPosterior: chains ({options.NumChains}), samples ({options.NumSamples}), " +
                $"thinning ({options.Thin}) and " +
                $"stepping-out limit ({options.MaxSteppingOut}) must be positive and warm-up " +
                $"({options.WarmupSteps}) non-negative.");
        if (options.InitialWidth is { } w && !(w > 0 && double.IsFinite(w)))
            throw new ArgumentOutOfRangeException(nameof(options),
                $"LikelihoodPosterior: the initial width is {w}; it must be positive and finite.");
        if (!(options.TargetAcceptance > 0 && options.TargetAcceptance < 1))
            throw new ArgumentOutOfRangeException(nameof(options),
                $"LikelihoodPosterior: the target acceptance is {options.TargetAcceptance}; it must lie in (0, 1).");
        if (options.InitialPoint is not null && options.InitialPoints is not null)
            throw new ArgumentException("LikelihoodPosterior: both InitialPoint and InitialPoints are set; expected " +
                "at most one of them.", nameof(options));
        if (_priorSampler is null && options.InitialPoint is null && options.InitialPoints is null)
            throw new InvalidOperationException(
                "LikelihoodPosterior: no prior sampler was given, so set LikelihoodPosteriorOptions.InitialPoint or " +
                "InitialPoints.");
    }

    private static IPrior RequirePrior(IPrior prior)
    {
        ArgumentNullException.ThrowIfNull(prior);
        return prior;
    }
}
