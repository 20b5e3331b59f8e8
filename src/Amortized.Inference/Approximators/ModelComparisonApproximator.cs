using Amortized.Inference.Adapters;
using Amortized.Inference.Simulators;
using Amortized.Networks;
using Amortized.Networks.Summaries;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Inference.Approximators;

/// <summary>
/// A classifier over K models: adapter + optional summary network + MLP to K logits, trained by cross-entropy
/// against the one-hot model indicator (B, K) written by <see cref="ModelComparisonSimulator"/>. With the models
/// drawn from their prior probabilities, softmax(logits) approximates the posterior model probabilities
/// p(model | x) (BayesFlow's ModelComparisonApproximator). Conditions are h(x) (B, S) concatenated with the
/// standardised direct conditions (B, C).
/// </summary>
/// <remarks>
/// Radev et al. (2021), Amortized Bayesian model comparison with evidential deep learning, IEEE TNNLS.
/// </remarks>
public sealed class ModelComparisonApproximator : Approximator
{
    private readonly ConditionEncoder _encoder;
    private readonly Mlp _classifier;

    /// <summary>
    /// Creates the classifier over K = <paramref name="numModels"/> models with C = <paramref name="conditionDim"/>
    /// direct conditions; parameters are created in <paramref name="store"/>.
    /// </summary>
    public ModelComparisonApproximator(Adapter adapter, int numModels, int conditionDim, SummaryNetwork? summaryNetwork,
        ParameterStore store, Rng rng, ModelComparisonApproximatorOptions? options = null)
        : base(adapter, store)
    {
        ArgumentNullException.ThrowIfNull(rng);
        options ??= new ModelComparisonApproximatorOptions();
        if (numModels < 2) throw new ArgumentOutOfRangeException(nameof(numModels), numModels,
            "ModelComparisonApproximator: expected at least 2 models.");
        if (options.Classifier.OutputDim != 0)
            throw new ArgumentException($"ModelComparisonApproximator: the classifier's OutputDim is " +
                $"{options.Classifier.OutputDim}; leave it 0, the K logits are added on top.", nameof(options));
        Options = options;
        ModelCount = numModels;
        Encoder = _encoder = new ConditionEncoder(nameof(ModelComparisonApproximator), summaryNetwork,
            conditionDim, options.ConditionsKey,
            options.StandardizeConditions, options.StandardizeSummaryInputs);
        _classifier =
            new Mlp(store, "classifier", _encoder.OutputDim, options.Classifier with { OutputDim = numModels }, rng);
    }

    /// <summary>
    /// Builds the networks described by <paramref name="spec"/> (K, sizes, options, construction seed) in a new store.
    /// Only approximators built this way can be saved, since the spec is what rebuilds them.
    /// </summary>
    public static ModelComparisonApproximator Build(ModelComparisonSpec spec, Adapter adapter) =>
        Build(spec, adapter, new ParameterStore());

    /// <summary>Builds into <paramref name="store"/> (empty; its <see cref="ParameterStore.MaxParameters"/> bounds
    /// what a spec read from a file may build).</summary>
    internal static ModelComparisonApproximator Build(ModelComparisonSpec spec, Adapter adapter, ParameterStore store)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.ModelNames is { } names && names.Count != spec.ModelCount)
            throw new ArgumentException($"ModelComparisonSpec: ModelNames has {names.Count} names for ModelCount = " +
                $"{spec.ModelCount} models.", nameof(spec));
        var rng = new Rng(spec.Seed);
        var summary = SpecBuilding.Summary(spec.Summary, spec.SummaryInputDim, spec.DeepSet, spec.SetTransformer,
            spec.TimeSeries, spec.TimeSeriesTransformer, store, rng);
        return new ModelComparisonApproximator(adapter, spec.ModelCount, spec.ConditionDim, summary, store, rng,
            spec.Approximator) { Spec = spec };
    }

    /// <summary>
    /// Builds the networks of <paramref name="spec"/> with C and F read off <paramref name="probe"/> (a few raw
    /// simulations with their model indicator) after the adapter, and K too when the spec leaves it 0: the width of
    /// the model indicator (B, K).
    /// </summary>
    /// <exception cref="ArgumentException">The adapted probe has no model indicator, or one of another width than
    /// the spec's K, or summary variables while the spec has no summary network.</exception>
    public static ModelComparisonApproximator Build(ModelComparisonSpec spec, Adapter adapter, SimulationBatch probe)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var (adapted, width) = SpecBuilding.Probe(nameof(ModelComparisonApproximator), adapter, probe, spec.Summary);
        string key = spec.Approximator.ModelIndicesKey;
        int k = width(key);
        if (k == 0)
            throw new ArgumentException($"ModelComparisonApproximator: the adapted data has no model indicator " +
                $"'{key}' (B, K); it has {string.Join(", ", adapted.Keys)}.", nameof(probe));
        if (spec.ModelCount != 0 && spec.ModelCount != k)
            throw new ArgumentException($"ModelComparisonApproximator: the spec's ModelCount is {spec.ModelCount} but " +
                $"the model indicator '{key}' has width {k}.", nameof(spec));
        return Build(spec with { ModelCount = k, ConditionDim = width(spec.Approximator.ConditionsKey),
            SummaryInputDim = width(Keys.SummaryVariables) }, adapter);
    }

    /// <summary>The spec this approximator was built from, or null when built from networks directly.</summary>
    public ModelComparisonSpec? Spec { get; private init; }

    /// <summary>The name of model <paramref name="k"/> (from the spec; model_k without one).</summary>
    public string ModelName(int k) => Spec?.ModelName(k) ?? $"model_{k}";

    /// <summary>The options.</summary>
    public ModelComparisonApproximatorOptions Options { get; }

    /// <summary>K: the number of models.</summary>
    public int ModelCount { get; }

    /// <summary>C: the number of direct condition features.</summary>
    public int DirectConditionDim => _encoder.DirectDim;

    /// <inheritdoc />
    private protected override Module Head => _classifier;

    /// <summary>
    /// Cross-entropy -mean_b sum_k m_bk log softmax(logits)_bk against the one-hot model indicator m (B, K) under
    /// <see cref="ModelComparisonApproximatorOptions.ModelIndicesKey"/> (weighted by <c>sample_weight</c>
    /// (B) if present).
    /// </summary>
    public override Tensor Loss(SimulationBatch adapted, bool updateStatistics)
    {
        using var device = BackendScope.Use(Store.Backend);
        ArgumentNullException.ThrowIfNull(adapted);
        var models = ConditionEncoder.ToTensor(nameof(ModelComparisonApproximator), adapted, Options.ModelIndicesKey,
            [adapted.BatchSize, ModelCount]);
        var logits = Logits(adapted, updateStatistics);
        // log softmax = logits - logsumexp(logits), so the cross-entropy never takes the log of a rounded probability.
        var logProbabilities = logits - logits.LogSumExp(1, keepDims: true);
        var crossEntropy = -(models * logProbabilities).Sum(1);
        if (!adapted.Contains(Keys.SampleWeight)) return crossEntropy.Mean();
        var weights = ConditionEncoder.ToTensor(nameof(ModelComparisonApproximator), adapted,
            Keys.SampleWeight, [adapted.BatchSize]);
        return (crossEntropy * weights).Sum() / weights.Sum();
    }

    /// <summary>Logits (B, K) of an adapted batch, differentiable.</summary>
    internal Tensor Logits(SimulationBatch adapted, bool updateStatistics) =>
        _classifier.Forward(_encoder.Encode(adapted, updateStatistics));

    /// <summary>
    /// Posterior model probabilities (B, K) row-major, softmax of the logits, for the data sets in
    /// <paramref name="data"/> (raw simulator-style keys; the model indicator is not needed).
    /// </summary>
    public float[] PredictProbabilities(SimulationBatch data)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var evaluation = Evaluate();
        using var noGrad = Tape.NoGrad();
        return Logits(Adapter.Forward(data, strict: false), updateStatistics: false).Softmax(1).ToArray();
    }

    /// <inheritdoc />
    public override string ToString() => $"ModelComparisonApproximator(K = {ModelCount})\n{_classifier}";
}
