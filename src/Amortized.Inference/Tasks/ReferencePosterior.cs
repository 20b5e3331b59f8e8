using System.Diagnostics;
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Networks.Numerics;
using Amortized.Tensors;

namespace Amortized.Inference.Tasks;

/// <summary>
/// Draws from a task's true posterior p(theta | x) for one observation, the yardstick of the accuracy benchmark:
/// exact independent draws where the task has an analytic posterior, else slice sampling on the task's own prior and
/// likelihood, checked by split R-hat and effective sample size. Legend: P parameters, C chains, N draws kept.
/// </summary>
/// <remarks>
/// The sampler follows sbibm's recipe (Lueckmann et al. 2021: importance-resampled starts, many slice-sampling
/// chains) and adds two reparametrisations that make coordinate-wise slice sampling mix in a few sweeps:
/// log-normal parameters are sampled on the log scale, and after a first pilot run every chain moves in the
/// whitened coordinates z = L^-1 (u - mu) of the pilot's mean and covariance, so strongly correlated posteriors
/// (lotka_volterra, bernoulli_glm) become near-isotropic. Parameters whose sign the likelihood and prior cannot
/// see (<see cref="BenchmarkTask.SignSymmetricParameters"/>) are sampled folded to the positive side and given a
/// fair random sign afterwards: every mode then gets exactly its mass, which chains started in separate modes
/// would only approximate.
/// </remarks>
public sealed class ReferencePosterior
{
    private ReferencePosterior(float[] draws, int parameterDim, bool exact, double[]? rHat, double[]? ess,
        long evaluations, int chains, int drawsPerChain, double seconds)
    {
        Draws = draws;
        ParameterDim = parameterDim;
        IsExact = exact;
        RHat = rHat;
        EffectiveSampleSize = ess;
        LikelihoodEvaluations = evaluations;
        Chains = chains;
        DrawsPerChain = drawsPerChain;
        Seconds = seconds;
    }

    /// <summary>The draws kept, (N, P) row-major.</summary>
    public float[] Draws { get; }

    /// <summary>N.</summary>
    public int Count => Draws.Length / ParameterDim;

    /// <summary>P.</summary>
    public int ParameterDim { get; }

    /// <summary>True for exact independent draws from an analytic posterior; false for MCMC.</summary>
    public bool IsExact { get; }

    /// <summary>MCMC: split R-hat per parameter over every chain's full run (before thinning); null when exact.</summary>
    public double[]? RHat { get; }

    /// <summary>MCMC: bulk effective sample size per parameter of the full run; null when exact.</summary>
    public double[]? EffectiveSampleSize { get; }

    /// <summary>MCMC: likelihood evaluations, pilot and importance proposals included; 0 when exact.</summary>
    public long LikelihoodEvaluations { get; }

    /// <summary>MCMC chains (0 when exact).</summary>
    public int Chains { get; }

    /// <summary>MCMC draws per chain before thinning (0 when exact).</summary>
    public int DrawsPerChain { get; }

    /// <summary>Wall-clock seconds spent.</summary>
    public double Seconds { get; }

    /// <summary>"exact", or "slice sampling, C chains x S draws".</summary>
    public string Method => IsExact ? "exact" : $"slice sampling, {Chains} chains x {DrawsPerChain} draws";

    /// <summary>
    /// Whether the draws meet <paramref name="options"/>' convergence criteria (always true when exact).
    /// </summary>
    public bool Converged(ReferencePosteriorOptions options) => IsExact ||
        (RHat!.All(r => r < options.MaxRHat) && EffectiveSampleSize!.All(e => e >= options.MinEffectiveSampleSize));

    /// <summary>
    /// Draws <paramref name="count"/> parameter vectors from p(theta | <paramref name="x"/>). Deterministic for the
    /// seed (likelihood evaluations may run on several threads; their values do not depend on it).
    /// </summary>
    /// <param name="task">A task with an exact posterior or a log-likelihood.</param>
    /// <param name="x">One observation (X).</param>
    /// <param name="count">Draws to return, N.</param>
    /// <param name="seed">Seed of every random choice.</param>
    /// <param name="options">MCMC settings and convergence criteria.</param>
    /// <exception cref="NotSupportedException">The task has neither an exact posterior nor a log-likelihood.</exception>
    /// <exception cref="InvalidOperationException">MCMC did not meet the criteria within the allowed rounds.</exception>
    public static ReferencePosterior Compute(BenchmarkTask task, ReadOnlySpan<float> x, int count, ulong seed,
        ReferencePosteriorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (x.Length != task.DataDim)
            throw new ArgumentException($"ReferencePosterior: {task.Name}: x has length {x.Length}; expected " +
                $"{task.DataDim}.", nameof(x));
        options ??= new ReferencePosteriorOptions();
        options.Validate();
        var clock = Stopwatch.StartNew();
        if (task.HasExactPosterior && options.PreferExact)
        {
            var draws = new float[count * task.ParameterDim];
            task.SampleExactPosterior(x, new Rng(seed, 0), draws);
            return new ReferencePosterior(draws, task.ParameterDim, true, null, null, 0, 0, 0,
                clock.Elapsed.TotalSeconds);
        }
        if (!task.HasLogLikelihood)
            throw new NotSupportedException($"ReferencePosterior: {task.Name} has neither an exact posterior nor a " +
                "log-likelihood.");
        var result = new SliceRun(task, x.ToArray(), options, seed).Run(count);
        if (!result.Converged(options))
            throw new InvalidOperationException($"ReferencePosterior: {task.Name}: slice sampling did not converge " +
                $"in {options.MaxRounds} rounds: split R-hat max {result.RHat!.Max():F4} (need < {options.MaxRHat}), " +
                $"ESS min {result.EffectiveSampleSize!.Min():F0} (need >= {options.MinEffectiveSampleSize}).");
        return new ReferencePosterior(result.Draws, task.ParameterDim, false, result.RHat, result.EffectiveSampleSize,
            result.LikelihoodEvaluations, result.Chains, result.DrawsPerChain, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// The slice-sampling path: the map between theta and the sampler's coordinates, the importance-resampled
    /// starts, the pilot and the whitened rounds.
    /// </summary>
    private sealed class SliceRun
    {
        private readonly BenchmarkTask _task;
        private readonly float[] _x;
        private readonly ReferencePosteriorOptions _options;
        private readonly ulong _seed;
        private readonly int _p;
        private readonly bool[] _logScale, _folded;
        private double[] _mean, _factor;   // u = mean + factor z (factor lower-triangular, P x P)
        private long _evaluations;

        public SliceRun(BenchmarkTask task, float[] x, ReferencePosteriorOptions options, ulong seed)
        {
            _task = task;
            _x = x;
            _options = options;
            _seed = seed;
            _p = task.ParameterDim;
            // Log-normal priors (support (0, inf) mapped by exp) are sampled on the log scale.
            bool positive = task.Support is { Lower: 0, Upper: null, Method: ConstraintMethod.Exp };
            _logScale = Enumerable.Repeat(positive, _p).ToArray();
            _folded = new bool[_p];
            foreach (int j in task.SignSymmetricParameters) _folded[j] = true;
            _mean = new double[_p];
            _factor = Identity(_p);
        }

        public ReferencePosterior Run(int count)
        {
            int c = _options.Chains;
            float[] starts = ImportanceResampledStarts(c);

            // Pilot in u (log scale where positive, folded), identity whitening: mixes well enough to measure the
            // posterior's mean and covariance, which then whiten the rounds that are kept.
            var pilot = Sample(starts, c * _options.PilotDrawsPerChain, _options.PilotWarmupSweeps, round: 0);
            float[] pilotU = pilot.Draws;   // z = u while the whitening is the identity
            Whiten(pilotU, pilot.Count);
            float[] z = ToZ(pilotU.AsSpan((pilot.DrawsPerChain - 1) * c * _p, c * _p));

            var kept = new List<float[]>();
            int perChain = 0;
            double[] rHat = [], ess = [];
            for (int round = 1; round <= _options.MaxRounds; round++)
            {
                var samples = Sample(z, c * _options.DrawsPerChainPerRound,
                    round == 1 ? _options.WarmupSweeps : 0, round);
                kept.Add(samples.Draws);
                perChain += samples.DrawsPerChain;
                z = samples.Draws.AsSpan((samples.DrawsPerChain - 1) * c * _p, c * _p).ToArray();
                float[] theta = ThetaOf(Concat(kept));
                rHat = McmcSamples.SplitRHat(theta, c, perChain, _p);
                ess = McmcSamples.BulkEffectiveSampleSize(theta, c, perChain, _p);
                if (perChain * c >= count && rHat.All(r => r < _options.MaxRHat)
                    && ess.All(e => e >= _options.MinEffectiveSampleSize)) break;
            }
            float[] all = ThetaOf(Concat(kept));
            float[] draws = Thin(all, perChain * c, count);
            Unfold(draws);
            return new ReferencePosterior(draws, _p, false, rHat, ess, _evaluations, c, perChain, 0);
        }

        /// <summary>
        /// Starts for C chains by sampling importance resampling: prior draws weighted by their likelihood, C of
        /// them drawn with replacement in proportion. Returned in the sampler's coordinates (C, P).
        /// </summary>
        private float[] ImportanceResampledStarts(int chains)
        {
            int m = _options.ImportanceProposals;
            var rng = new Rng(_seed, 1);
            var proposals = new float[m * _p];
            for (int i = 0; i < m; i++) _task.SamplePrior(rng, proposals.AsSpan(i * _p, _p));
            for (int i = 0; i < proposals.Length; i++) if (_folded[i % _p]) proposals[i] = Math.Abs(proposals[i]);
            var logL = new double[m];
            EvaluateLikelihood(proposals, logL);
            double max = logL.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();
            if (double.IsNaN(max))
                throw new InvalidOperationException($"ReferencePosterior: {_task.Name}: none of {m} prior draws has a " +
                    "finite likelihood for this observation; it is outside what the prior predicts.");
            var cumulative = new double[m];
            double total = 0;
            for (int i = 0; i < m; i++) cumulative[i] = total += double.IsFinite(logL[i]) ? Math.Exp(logL[i] - max) : 0;
            var starts = new float[chains * _p];
            for (int k = 0; k < chains; k++)
            {
                int i = Array.BinarySearch(cumulative, rng.NextDouble() * total);
                i = Math.Min(i < 0 ? ~i : i, m - 1);
                for (int j = 0; j < _p; j++) starts[k * _p + j] = (float)ToU(j, proposals[i * _p + j]);
            }
            return starts;
        }

        /// <summary>One run of C chains in the current whitened coordinates from the given states (C, P).</summary>
        private McmcSamples Sample(float[] startsZ, int numSamples, int warmup, int round)
        {
            var posterior = new LikelihoodPosterior(LogLikelihoodZ, LogPriorZ, _p);
            return posterior.Sample(_x, new LikelihoodPosteriorOptions
            {
                Method = McmcMethod.Slice,
                NumChains = _options.Chains,
                NumSamples = numSamples,
                WarmupSteps = warmup,
                InitialPoints = startsZ,
                Seed = Rng.Derive(_seed, 2 + (ulong)round).Seed,
            });
        }

        /// <summary>log p(theta(z)) + log |d theta / dz|; the linear whitening's Jacobian is a constant.</summary>
        private double LogPriorZ(ReadOnlySpan<float> z)
        {
            Span<float> theta = stackalloc float[_p];
            double logJacobian = ThetaOfZ(z, theta);
            for (int j = 0; j < _p; j++) if (_folded[j] && theta[j] < 0) return double.NegativeInfinity;
            return _task.LogPrior(theta) + logJacobian;
        }

        private void LogLikelihoodZ(ReadOnlySpan<float> z, ReadOnlySpan<float> x, Span<double> logL)
        {
            var theta = new float[z.Length];
            for (int r = 0; r < logL.Length; r++) ThetaOfZ(z.Slice(r * _p, _p), theta.AsSpan(r * _p, _p));
            EvaluateLikelihood(theta, logL);
        }

        /// <summary>log L(theta_r) for every row of theta (n, P); rows run in parallel (ODE tasks cost ~40 us).</summary>
        private void EvaluateLikelihood(float[] theta, Span<double> logL)
        {
            int n = logL.Length;
            var values = new double[n];
            Parallel.For(0, (n + 15) / 16, chunk =>
            {
                for (int r = chunk * 16; r < Math.Min(n, chunk * 16 + 16); r++)
                    values[r] = _task.LogLikelihood(theta.AsSpan(r * _p, _p), _x);
            });
            values.CopyTo(logL);
            _evaluations += n;
        }

        /// <summary>theta from whitened z; returns log |d theta / d u| (the log-scale Jacobian).</summary>
        private double ThetaOfZ(ReadOnlySpan<float> z, Span<float> theta)
        {
            double logJacobian = 0;
            for (int i = 0; i < _p; i++)
            {
                double u = _mean[i];
                for (int k = 0; k <= i; k++) u += _factor[i * _p + k] * z[k];
                if (_logScale[i])
                {
                    logJacobian += u;
                    u = Math.Exp(u);
                }
                theta[i] = (float)u;
            }
            return logJacobian;
        }

        private double ToU(int j, double theta) => _logScale[j] ? Math.Log(theta) : theta;

        /// <summary>Sets the whitening to the mean and Cholesky factor of the covariance of draws u (n, P).</summary>
        private void Whiten(float[] u, int n)
        {
            var mean = new double[_p];
            for (int r = 0; r < n; r++) for (int j = 0; j < _p; j++) mean[j] += u[r * _p + j] / (double)n;
            var cov = new double[_p * _p];
            for (int r = 0; r < n; r++)
                for (int i = 0; i < _p; i++)
                {
                    double di = u[r * _p + i] - mean[i];
                    for (int k = 0; k <= i; k++) cov[i * _p + k] += di * (u[r * _p + k] - mean[k]) / (n - 1);
                }
            for (int i = 0; i < _p; i++)
            {
                // A tiny ridge keeps the factor defined when a pilot coordinate barely moved.
                cov[i * _p + i] = cov[i * _p + i] * (1 + 1e-9) + 1e-12;
                for (int k = 0; k < i; k++) cov[k * _p + i] = cov[i * _p + k];
            }
            _mean = mean;
            _factor = DenseCholesky.Factor(cov, _p);
        }

        /// <summary>Whitened coordinates (C, P) of states u (C, P): solves L z = u - mean.</summary>
        private float[] ToZ(ReadOnlySpan<float> u)
        {
            int rows = u.Length / _p;
            var z = new float[u.Length];
            Span<double> work = stackalloc double[_p];
            for (int r = 0; r < rows; r++)
            {
                for (int i = 0; i < _p; i++)
                {
                    double s = u[r * _p + i] - _mean[i];
                    for (int k = 0; k < i; k++) s -= _factor[i * _p + k] * work[k];
                    work[i] = s / _factor[i * _p + i];
                    z[r * _p + i] = (float)work[i];
                }
            }
            return z;
        }

        private float[] ThetaOf(float[] z)
        {
            var theta = new float[z.Length];
            for (int r = 0; r < z.Length / _p; r++) ThetaOfZ(z.AsSpan(r * _p, _p), theta.AsSpan(r * _p, _p));
            return theta;
        }

        /// <summary>Gives folded parameters a fair random sign (the likelihood and prior cannot see it).</summary>
        private void Unfold(float[] draws)
        {
            if (!_folded.Any(f => f)) return;
            var rng = new Rng(_seed, 3);
            for (int i = 0; i < draws.Length; i++)
                if (_folded[i % _p] && rng.NextDouble() < 0.5) draws[i] = -draws[i];
        }

        /// <summary>
        /// <paramref name="count"/> rows spread evenly over the step-major draws (total, P): consecutive picks come
        /// from different chains and, within a chain, are as far apart as the run allows.
        /// </summary>
        private float[] Thin(float[] draws, int total, int count)
        {
            var kept = new float[count * _p];
            for (int k = 0; k < count; k++)
            {
                long row = (long)k * total / count;
                draws.AsSpan((int)row * _p, _p).CopyTo(kept.AsSpan(k * _p, _p));
            }
            return kept;
        }

        private static float[] Concat(List<float[]> parts)
        {
            var all = new float[parts.Sum(p => p.Length)];
            int at = 0;
            foreach (var part in parts)
            {
                part.CopyTo(all, at);
                at += part.Length;
            }
            return all;
        }

        private static double[] Identity(int p)
        {
            var m = new double[p * p];
            for (int i = 0; i < p; i++) m[i * p + i] = 1;
            return m;
        }
    }
}

/// <summary>Settings and convergence criteria of <see cref="ReferencePosterior"/>'s slice sampling.</summary>
public sealed record ReferencePosteriorOptions
{
    /// <summary>
    /// Use the task's exact posterior when it has one (false forces slice sampling, to test the sampler against it).
    /// </summary>
    public bool PreferExact { get; init; } = true;

    /// <summary>Independent chains C.</summary>
    public int Chains { get; init; } = 100;

    /// <summary>Prior draws weighted by their likelihood to pick the chains' starts.</summary>
    public int ImportanceProposals { get; init; } = 10_000;

    /// <summary>Warm-up sweeps of the pilot run (unwhitened).</summary>
    public int PilotWarmupSweeps { get; init; } = 200;

    /// <summary>Draws per chain of the pilot run, from which the whitening is measured.</summary>
    public int PilotDrawsPerChain { get; init; } = 50;

    /// <summary>Warm-up sweeps in whitened coordinates before the first kept round.</summary>
    public int WarmupSweeps { get; init; } = 50;

    /// <summary>Draws per chain added per round; rounds continue until the criteria hold.</summary>
    public int DrawsPerChainPerRound { get; init; } = 100;

    /// <summary>Most rounds before giving up.</summary>
    public int MaxRounds { get; init; } = 20;

    /// <summary>Every parameter's split R-hat must be below this.</summary>
    public double MaxRHat { get; init; } = 1.01;

    /// <summary>Every parameter's bulk effective sample size must reach this.</summary>
    public double MinEffectiveSampleSize { get; init; } = 10_000;

    internal void Validate()
    {
        if (Chains < 2 || ImportanceProposals < 1 || PilotWarmupSweeps < 0 || PilotDrawsPerChain < 4
            || WarmupSweeps < 0 || DrawsPerChainPerRound < 4 || MaxRounds < 1)
            throw new ArgumentOutOfRangeException(nameof(ReferencePosteriorOptions), $"ReferencePosteriorOptions: " +
                $"chains {Chains} (>= 2), proposals {ImportanceProposals} (>= 1), pilot warm-up {PilotWarmupSweeps} " +
                $"(>= 0), pilot draws {PilotDrawsPerChain} (>= 4), warm-up {WarmupSweeps} (>= 0), draws per round " +
                $"{DrawsPerChainPerRound} (>= 4) and rounds {MaxRounds} (>= 1) out of range.");
        if (!(MaxRHat > 1) || !(MinEffectiveSampleSize >= 0))
            throw new ArgumentOutOfRangeException(nameof(ReferencePosteriorOptions),
                $"ReferencePosteriorOptions: MaxRHat {MaxRHat} must exceed 1 and MinEffectiveSampleSize " +
                $"{MinEffectiveSampleSize} be non-negative.");
    }
}
