using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Tensors;

namespace Amortized.Inference.Tasks;

/// <summary>
/// A benchmark task with fixed-size parameters theta (key <see cref="ParameterKey"/>, shape (B, P)) and data x
/// (key <see cref="DataKey"/>, shape (B, X)), following the sbibm definitions (Lueckmann et al. 2021,
/// "Benchmarking Simulation-Based Inference", AISTATS) so results compare with the literature.
/// </summary>
public abstract class BenchmarkTask : ISimulator, IPrior
{
    private Simulator? _simulator;

    /// <summary>The task's name as in sbibm (e.g. <c>two_moons</c>).</summary>
    public abstract string Name { get; }

    /// <summary>Batch key of the parameters.</summary>
    public virtual string ParameterKey => "theta";

    /// <summary>Batch key of the data.</summary>
    public virtual string DataKey => "x";

    /// <summary>One name per parameter.</summary>
    public abstract IReadOnlyList<string> ParameterNames { get; }

    /// <summary>One name per data value.</summary>
    public abstract IReadOnlyList<string> DataNames { get; }

    /// <summary>Number of parameters P.</summary>
    public int ParameterDim => ParameterNames.Count;

    /// <summary>Number of data values X.</summary>
    public int DataDim => DataNames.Count;

    /// <summary>Draws theta (length P) from the prior.</summary>
    public abstract void SamplePrior(Rng rng, Span<float> theta);

    /// <summary>Simulates x (length X) given theta (length P).</summary>
    public abstract void Simulate(ReadOnlySpan<float> theta, Rng rng, Span<float> x);

    /// <summary>Log prior density of theta (negative infinity outside the support).</summary>
    public abstract double LogPrior(ReadOnlySpan<float> theta);

    /// <summary>True when <see cref="LogLikelihood"/> is implemented.</summary>
    public virtual bool HasLogLikelihood => false;

    /// <summary>
    /// log p(x | theta) of one data vector <paramref name="x"/> (length X) given <paramref name="theta"/>
    /// (length P), in double precision; negative infinity where x is impossible. Used for reference posteriors
    /// (MCMC, rejection) and for checking simulators, so it is the exact density of <see cref="Simulate"/>'s output
    /// (up to a theta-independent constant only where the task's docs say so). Tasks override
    /// <see cref="LogLikelihoodCore"/>; an override of this method must check the lengths itself.
    /// </summary>
    /// <exception cref="NotSupportedException">The task has no tractable likelihood
    /// (<see cref="HasLogLikelihood"/> is false).</exception>
    /// <exception cref="ArgumentException">theta is not of length P or x not of length X.</exception>
    public virtual double LogLikelihood(ReadOnlySpan<float> theta, ReadOnlySpan<float> x)
    {
        if (!HasLogLikelihood)
            throw new NotSupportedException($"{Name}: the likelihood is not tractable (HasLogLikelihood is false).");
        CheckTheta(theta);
        CheckData(x);
        return LogLikelihoodCore(theta, x);
    }

    /// <summary>
    /// The task's log p(x | theta), called by <see cref="LogLikelihood"/> after the lengths are checked; tasks
    /// with <see cref="HasLogLikelihood"/> override it.
    /// </summary>
    protected virtual double LogLikelihoodCore(ReadOnlySpan<float> theta, ReadOnlySpan<float> x) =>
        throw new NotSupportedException($"{Name}: LogLikelihoodCore is not implemented.");

    /// <summary>
    /// Parameters whose sign neither the prior nor the likelihood can see (p(theta) and p(x | theta) unchanged when
    /// any of them flips sign): the posterior has one mirror-image mode per sign pattern, each of equal mass.
    /// </summary>
    public virtual IReadOnlyList<int> SignSymmetricParameters => [];

    /// <summary>True when <see cref="SampleExactPosterior"/> draws exact, independent posterior samples.</summary>
    public virtual bool HasExactPosterior => false;

    /// <summary>
    /// Fills <paramref name="draws"/> (count, P) row-major with exact independent draws from p(theta | x) for one
    /// observation <paramref name="x"/> (length X). Deterministic for the <paramref name="rng"/>. Tasks override
    /// <see cref="SampleExactPosteriorRow"/>; an override of this method must check the lengths itself.
    /// </summary>
    /// <exception cref="NotSupportedException">The posterior has no exact sampler
    /// (<see cref="HasExactPosterior"/> is false).</exception>
    /// <exception cref="ArgumentException">x is not of length X or draws not a multiple of P.</exception>
    public virtual void SampleExactPosterior(ReadOnlySpan<float> x, Rng rng, Span<float> draws)
    {
        if (!HasExactPosterior)
            throw new NotSupportedException(
                $"{Name}: no exact posterior sampler (HasExactPosterior is false); use MCMC on LogLikelihood.");
        ArgumentNullException.ThrowIfNull(rng);
        CheckData(x);
        if (draws.Length % ParameterDim != 0)
            throw new ArgumentException($"{Name}: draws has {draws.Length} values; expected a multiple of P = " +
                $"{ParameterDim}.", nameof(draws));
        for (int i = 0; i < draws.Length; i += ParameterDim)
            SampleExactPosteriorRow(x, rng, draws.Slice(i, ParameterDim));
    }

    /// <summary>
    /// One exact posterior draw theta (length P) given x (length X), called by <see cref="SampleExactPosterior"/>
    /// after the lengths are checked; tasks with <see cref="HasExactPosterior"/> override it.
    /// </summary>
    protected virtual void SampleExactPosteriorRow(ReadOnlySpan<float> x, Rng rng, Span<float> theta) =>
        throw new NotSupportedException($"{Name}: SampleExactPosteriorRow is not implemented.");

    /// <summary>
    /// The most proposals a rejection sampler tries for one draw before giving up: reached only when x is so far
    /// from the prior predictive that the posterior is numerically meaningless for the benchmark.
    /// </summary>
    protected const int MaxRejectionTries = 10_000_000;

    /// <summary>The prior's support (shared by every parameter); the default adapter constrains draws to it.</summary>
    public virtual ParameterSupport Support => ParameterSupport.Unbounded;

    /// <summary>The summary network this task needs by default (none: its data are a fixed-size vector).</summary>
    public virtual SummaryNetworkKind DefaultSummaryNetwork => SummaryNetworkKind.None;

    /// <summary>
    /// The adapter a workflow uses when the user gives none. For the posterior (<paramref name="likelihood"/> false)
    /// the parameters are the inference variables, constrained to <see cref="Support"/> so that no draw leaves it
    /// (<see cref="ParameterSupport.AdapterMethod"/>: two bounds by rejection, one bound by a map to the real line),
    /// and the data are the conditions (flat) or, with a summary network, the summary variables as a sequence of
    /// scalars (B, X, 1). For the likelihood the roles swap: the data are the inference variables and the
    /// unconstrained parameters the conditions.
    /// </summary>
    public virtual Adapter DefaultAdapter(bool likelihood = false, SummaryNetworkKind summary = SummaryNetworkKind.None)
    {
        var adapter = new Adapter();
        if (likelihood)
        {
            if (summary != SummaryNetworkKind.None)
                throw new ArgumentException($"{Name}: a likelihood network conditions on the parameters directly; " +
                    $"expected summary network none, got {summary}.", nameof(summary));
            return adapter.Concatenate([DataKey], Keys.InferenceVariables)
                .Concatenate([ParameterKey], Keys.InferenceConditions);
        }
        if (Support.IsBounded) adapter.Constrain(ParameterKey, Support.Lower, Support.Upper, Support.AdapterMethod);
        adapter.Concatenate([ParameterKey], Keys.InferenceVariables);
        return summary == SummaryNetworkKind.None
            ? adapter.Concatenate([DataKey], Keys.InferenceConditions)
            : adapter.ExpandDims(DataKey, -1).Rename(DataKey, Keys.SummaryVariables);
    }

    /// <summary>The composed simulator (prior then likelihood, per row).</summary>
    public Simulator Simulator => _simulator ??= BuildSimulator();

    /// <inheritdoc/>
    public SimulationBatch Sample(int batchSize, ulong seed, SampleOptions? options = null) =>
        Simulator.Sample(batchSize, seed, options);

    /// <summary>Draws <paramref name="batchSize"/> parameter vectors only (key <see cref="ParameterKey"/>).</summary>
    public SimulationBatch SamplePrior(int batchSize, ulong seed, SampleOptions? options = null) =>
        PriorExtensions.SamplePrior(this, batchSize, seed, options);

    /// <summary>Simulates data for given parameters <paramref name="theta"/> of shape (B, P).</summary>
    public SimulationBatch SimulateFrom(float[] theta, ulong seed, SampleOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(theta);
        if (theta.Length % ParameterDim != 0)
            throw new ArgumentException($"{Name}: theta has {theta.Length} values; expected a multiple of P = " +
                $"{ParameterDim}.", nameof(theta));
        int b = theta.Length / ParameterDim;
        var given = new SimulationBatch(b).Set(ParameterKey, theta, b, ParameterDim);
        return Simulator.Sample(b, seed, (options ?? new SampleOptions()) with { Given = given });
    }

    /// <summary>Builds the simulator; the default draws theta then x per row.</summary>
    protected virtual Simulator BuildSimulator() => Simulator.Build().Prior(this.DrawRow).Likelihood(LikelihoodRow);

    private void LikelihoodRow(RowContext r)
    {
        var x = new float[DataDim];
        Simulate(r.GetArray(ParameterKey), r.Rng, x);
        r.Set(DataKey, x);
    }

    /// <summary>Names prefix_1 .. prefix_count.</summary>
    protected static string[] Names(string prefix, int count)
    {
        var names = new string[count];
        for (int i = 0; i < count; i++) names[i] = $"{prefix}_{i + 1}";
        return names;
    }

    /// <summary>Checks that theta has length P.</summary>
    protected void CheckTheta(ReadOnlySpan<float> theta)
    {
        if (theta.Length != ParameterDim)
            throw new ArgumentException(
                $"{Name}: theta has length {theta.Length}; expected {ParameterDim}.", nameof(theta));
    }

    /// <summary>Checks that x has length X.</summary>
    protected void CheckData(ReadOnlySpan<float> x)
    {
        if (x.Length != DataDim)
            throw new ArgumentException($"{Name}: x has length {x.Length}; expected {DataDim}.", nameof(x));
    }

    /// <summary>log(1 + exp(v)) without overflow for large v or loss of precision for very negative v.</summary>
    protected static double Softplus(double v) => Math.Max(v, 0) + double.LogP1(Math.Exp(-Math.Abs(v)));

    /// <summary>Log density of U(low, high)^D.</summary>
    protected static double LogUniform(ReadOnlySpan<float> theta, double low, double high)
    {
        foreach (float t in theta)
            if (!(t >= low && t <= high)) return double.NegativeInfinity;
        return -theta.Length * Math.Log(high - low);
    }

    /// <summary>Log density of N(mean, std^2) at v.</summary>
    protected static double LogNormal1(double v, double mean, double std)
    {
        double z = (v - mean) / std;
        return -0.5 * z * z - Math.Log(std) - 0.5 * Math.Log(2 * Math.PI);
    }

    /// <summary>Log density of LogNormal(mu, sigma) at v.</summary>
    protected static double LogLogNormal(double v, double mu, double sigma) =>
        v <= 0 ? double.NegativeInfinity : LogNormal1(Math.Log(v), mu, sigma) - Math.Log(v);
}
