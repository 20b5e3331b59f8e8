using Amortized.Inference.Simulators;
using Amortized.Tensors;

namespace Amortized.Inference.Tasks;

/// <summary>
/// gaussian_mean_sets, the varying-n example: context n ~ U{10..100} (once per batch), mu ~ N(0, 1),
/// x_i ~ N(mu, 1) for i &lt; n, padded to 100 with an <c>observed</c> mask; posterior N(sum x / (n + 1), 1 / (n + 1)).
/// Keys: <c>n</c> (B) integer, <c>mu</c> (B, 1), <c>x</c> (B, 100), <c>observed</c> (B, 100).
/// No <see cref="BenchmarkTask.LogLikelihood"/>: a data vector alone does not say which of its 100 slots are
/// observed (the padding is zeros, a possible value), so a density of x without the mask would silently score the
/// padding; the analytic <see cref="Posterior"/> takes the mask instead.
/// </summary>
public sealed class GaussianMeanSets : BenchmarkTask
{
    /// <summary>Padded set size.</summary>
    public const int MaxSetSize = 100;

    private static readonly string[] s_params = ["mu"], s_data = Names("x", MaxSetSize);

    /// <inheritdoc/>
    public override string Name => "gaussian_mean_sets";
    /// <inheritdoc/>
    public override string ParameterKey => "mu";
    /// <inheritdoc/>
    public override IReadOnlyList<string> ParameterNames => s_params;
    /// <inheritdoc/>
    public override IReadOnlyList<string> DataNames => s_data;

    /// <inheritdoc/>
    public override void SamplePrior(Rng rng, Span<float> theta) => theta[0] = rng.Normal();

    /// <summary>Simulates a full set of 100 (use the batch simulator for the varying n and the mask).</summary>
    public override void Simulate(ReadOnlySpan<float> theta, Rng rng, Span<float> x)
    {
        CheckTheta(theta);
        for (int i = 0; i < x.Length; i++) x[i] = theta[0] + rng.Normal();
    }

    /// <inheritdoc/>
    public override Approximators.SummaryNetworkKind DefaultSummaryNetwork => Approximators.SummaryNetworkKind.DeepSet;

    /// <summary>
    /// The set x (B, 100) becomes a set of scalars (B, 100, 1) for a set network with the <c>observed</c> mask;
    /// sqrt(n) enters directly because mean pooling cannot count the observed elements (BayesFlow's example).
    /// </summary>
    public override Adapters.Adapter DefaultAdapter(bool likelihood = false,
        Approximators.SummaryNetworkKind summary = Approximators.SummaryNetworkKind.None)
    {
        if (likelihood)
            throw new NotSupportedException(
                $"{Name}: the likelihood of a variable-size set is not supported; use the posterior method.");
        if (summary == Approximators.SummaryNetworkKind.None)
            throw new ArgumentException($"{Name}: the data are a set; expected a summary network (deepset, " +
                "set-transformer), got none.", nameof(summary));
        return new Adapters.Adapter()
            .ExpandDims("x", -1)
            .Sqrt("n")
            .Concatenate(["mu"], into: Adapters.Keys.InferenceVariables)
            .Concatenate(["n"], into: Adapters.Keys.InferenceConditions)
            .Rename("x", Adapters.Keys.SummaryVariables)
            .Rename("observed", Adapters.Keys.SummaryMask);
    }

    /// <inheritdoc/>
    public override double LogPrior(ReadOnlySpan<float> theta) => LogNormal1(theta[0], 0, 1);

    /// <inheritdoc/>
    protected override Simulator BuildSimulator() => Simulator.Build()
        .Context(r => r.Set("n", r.Integer(10, MaxSetSize + 1)))
        .Prior(r => r.Set("mu", [r.Normal(0, 1)]))
        .Likelihood(r =>
        {
            int n = r.GetInt("n");
            float mu = r.Get("mu");
            var x = new float[MaxSetSize];
            var observed = new float[MaxSetSize];
            for (int i = 0; i < n; i++)
            {
                x[i] = r.Normal(mu, 1);
                observed[i] = 1;
            }
            r.Set("x", x);
            r.Set("observed", observed);
        });

    /// <summary>The analytic posterior N(sum x / (n + 1), 1 / (n + 1)) over the observed elements.</summary>
    public static (double Mean, double Variance) Posterior(ReadOnlySpan<float> x, ReadOnlySpan<float> observed)
    {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < x.Length; i++)
            if (observed[i] != 0) { sum += x[i]; n++; }
        return (sum / (n + 1), 1.0 / (n + 1));
    }
}
