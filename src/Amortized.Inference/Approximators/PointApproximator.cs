using Amortized.Inference.Adapters;
using Amortized.Inference.Simulators;
using Amortized.Networks;
using Amortized.Networks.Numerics;
using Amortized.Networks.Summaries;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Inference.Approximators;

/// <summary>
/// Adapter + optional summary network + an MLP with one linear head per scoring rule: learns point estimates of
/// the posterior (mean, median, quantiles, a Gaussian fit) by minimising the summed expected scores over
/// simulations (BayesFlow's PointApproximator). Conditions are h(x) (B, S) concatenated with the standardised
/// direct conditions (B, C), as in <see cref="ContinuousApproximator"/>; targets are the standardised inference
/// variables (B, D). Several rules train at once on one shared trunk.
/// </summary>
public sealed class PointApproximator : Approximator
{
    private readonly ConditionEncoder _encoder;
    private readonly Mlp _trunk;
    private readonly Dense[] _heads;
    private readonly Dense? _baseline;   // L(c) (B, S + C) -> (B, D), with LinearBaseline
    private readonly ScoringRule[] _rules;

    /// <summary>
    /// Creates the approximator for D = <paramref name="variableDim"/> inference variables and C =
    /// <paramref name="conditionDim"/> direct conditions; parameters are created in <paramref name="store"/>.
    /// </summary>
    public PointApproximator(Adapter adapter, int variableDim, int conditionDim, IReadOnlyList<ScoringRule> rules,
        SummaryNetwork? summaryNetwork, ParameterStore store, Rng rng, PointApproximatorOptions? options = null)
        : base(adapter, store)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(rng);
        options ??= new PointApproximatorOptions();
        if (variableDim <= 0) throw new ArgumentOutOfRangeException(nameof(variableDim), variableDim,
            "PointApproximator: the number of inference variables must be positive.");
        if (rules.Count == 0)
            throw new ArgumentException("PointApproximator: expected at least one scoring rule, got 0.", nameof(rules));
        if (options.Subnet.OutputDim != 0)
            throw new ArgumentException($"PointApproximator: the subnet's OutputDim is {options.Subnet.OutputDim}; " +
                "leave it 0, each scoring rule adds its own head.", nameof(options));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            ArgumentNullException.ThrowIfNull(rule, nameof(rules));
            if (!names.Add(rule.Name)) throw new ArgumentException(
                $"PointApproximator: two scoring rules are named '{rule.Name}'; names must be unique.", nameof(rules));
        }
        Options = options;
        Dimension = variableDim;
        _rules = [.. rules];
        Encoder = _encoder = new ConditionEncoder(nameof(PointApproximator), summaryNetwork,
            conditionDim, options.ConditionsKey,
            options.StandardizeConditions, options.StandardizeSummaryInputs);
        if (options.StandardizeVariables) VariableStandardizer = new RunningStandardizer(variableDim);
        _trunk = new Mlp(store, "point.subnet", _encoder.OutputDim, options.Subnet, rng);
        _heads = new Dense[_rules.Length];
        // With a baseline the heads start at zero, so a fresh model's estimates are the baseline's (after its
        // least-squares fit) rather than the baseline plus a random function of the conditions.
        for (int i = 0; i < _rules.Length; i++)
            _heads[i] = new Dense(store, $"point.head.{_rules[i].Name}", _trunk.OutFeatures,
                _rules[i].HeadDim(variableDim), rng,
                kernelInitializer: options.LinearBaseline ? Initializer.Zeros : Initializer.GlorotUniform);
        if (options.LinearBaseline)
            _baseline = new Dense(store, "point.baseline", _encoder.OutputDim, variableDim, rng,
                kernelInitializer: Initializer.Zeros);
    }

    /// <summary>
    /// Builds the networks described by <paramref name="spec"/> (rules, sizes, options, construction seed) in a new
    /// store. Only approximators built this way can be saved, since the spec is what rebuilds them.
    /// </summary>
    public static PointApproximator Build(PointApproximatorSpec spec, Adapter adapter) =>
        Build(spec, adapter, new ParameterStore());

    /// <summary>Builds into <paramref name="store"/> (empty; its <see cref="ParameterStore.MaxParameters"/> bounds
    /// what a spec read from a file may build).</summary>
    internal static PointApproximator Build(PointApproximatorSpec spec, Adapter adapter, ParameterStore store)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(spec.Rules, "spec.Rules");
        if (spec.VariableDim <= 0)
            throw new ArgumentException($"PointApproximatorSpec: VariableDim is {spec.VariableDim}; it must be the " +
                $"width of '{Keys.InferenceVariables}'.", nameof(spec));
        var rules = new ScoringRule[spec.Rules.Count];
        for (int i = 0; i < rules.Length; i++)
            rules[i] = (spec.Rules[i] ?? throw new ArgumentException($"PointApproximatorSpec: Rules[{i}] is null.",
                nameof(spec))).Create();
        // The same draw order as ContinuousApproximator.Build: summary network first, then the head networks.
        var rng = new Rng(spec.Seed);
        var summary = SpecBuilding.Summary(spec.Summary, spec.SummaryInputDim, spec.DeepSet, spec.SetTransformer,
            spec.TimeSeries, spec.TimeSeriesTransformer, store, rng);
        return new PointApproximator(adapter, spec.VariableDim, spec.ConditionDim, rules, summary, store, rng,
            spec.Approximator) { Spec = spec };
    }

    /// <summary>
    /// Builds the networks of <paramref name="spec"/> with D, C and F read off <paramref name="probe"/> (a few raw
    /// simulations) after the adapter: the widths of inference_variables, inference_conditions and summary_variables.
    /// </summary>
    /// <exception cref="ArgumentException">The adapter produces no inference variables, or summary variables while the
    /// spec has no summary network.</exception>
    public static PointApproximator Build(PointApproximatorSpec spec, Adapter adapter, SimulationBatch probe)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var (adapted, width) = SpecBuilding.Probe(nameof(PointApproximator), adapter, probe, spec.Summary);
        int d = width(Keys.InferenceVariables);
        if (d == 0)
            throw new ArgumentException($"PointApproximator: the adapter produced no '{Keys.InferenceVariables}'; " +
                $"it produced {string.Join(", ", adapted.Keys)}.", nameof(adapter));
        return Build(spec with { VariableDim = d, ConditionDim = width(spec.Approximator.ConditionsKey),
            SummaryInputDim = width(Keys.SummaryVariables) }, adapter);
    }

    /// <summary>The spec this approximator was built from, or null when built from networks directly.</summary>
    public PointApproximatorSpec? Spec { get; private init; }

    /// <summary>The options.</summary>
    public PointApproximatorOptions Options { get; }

    /// <summary>D: the number of inference variables.</summary>
    public int Dimension { get; }

    /// <summary>C: the number of direct condition features.</summary>
    public int DirectConditionDim => _encoder.DirectDim;

    /// <summary>The scoring rules, one head each.</summary>
    public IReadOnlyList<ScoringRule> Rules => _rules;

    /// <inheritdoc />
    private protected override Module Head => _trunk;

    /// <summary>
    /// The training loss of an adapted batch: the sum over rules of each rule's mean score (weighted by
    /// <c>sample_weight</c> (B) if present) against the standardised inference variables (B, D).
    /// </summary>
    public override Tensor Loss(SimulationBatch adapted, bool updateStatistics)
    {
        using var device = BackendScope.Use(Store.Backend);
        ArgumentNullException.ThrowIfNull(adapted);
        var theta = ConditionEncoder.StandardizedVariables(nameof(PointApproximator), adapted, Dimension,
            VariableStandardizer, updateStatistics);
        var conditions = _encoder.Encode(adapted, updateStatistics);
        if (_baseline is not null) theta -= _baseline.Forward(conditions);
        var features = _trunk.Forward(conditions);
        Tensor score = _rules[0].Score(_heads[0].Forward(features), theta);
        for (int i = 1; i < _rules.Length; i++) score += _rules[i].Score(_heads[i].Forward(features), theta);
        if (!adapted.Contains(Keys.SampleWeight)) return score.Mean();
        var weights =
            ConditionEncoder.ToTensor(nameof(PointApproximator), adapted, Keys.SampleWeight, [adapted.BatchSize]);
        return (score * weights).Sum() / weights.Sum();
    }

    /// <summary>
    /// Every rule's estimates for the data sets in <paramref name="data"/> (raw simulator-style keys; parameters
    /// not needed), in the original parameter space: destandardised, then through the adapter's inverse.
    /// </summary>
    public PointEstimates Estimate(SimulationBatch data)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var evaluation = Evaluate();
        var adapted = Adapter.Forward(data, strict: false);
        int b = adapted.BatchSize;
        var result = new PointEstimates(b);
        using var noGrad = Tape.NoGrad();
        var conditions = _encoder.Encode(adapted, updateStatistics: false);
        var features = _trunk.Forward(conditions);
        var baseline = _baseline?.Forward(conditions);
        for (int i = 0; i < _rules.Length; i++)
        {
            var head = _heads[i].Forward(features);
            var estimate = _rules[i].Estimate(head, Dimension);
            // Every estimate's last axis is the variables: (B, D), or (B, Q, D) for quantiles.
            if (baseline is not null) estimate += estimate.Rank == 3 ? baseline.Reshape(b, 1, Dimension) : baseline;
            var values = estimate.ToArray();
            int[] shape = estimate.Shape.ToArray();
            VariableStandardizer?.Destandardize(values);
            float[]? covariance = _rules[i] is MultivariateNormalScore normal
                ? Destandardize(normal.Covariance(head, Dimension)) : null;
            var variables = new SimulationBatch(b).Set(Keys.InferenceVariables, (float[])values.Clone(), shape);
            result.Add(new ScoringRuleEstimate(_rules[i].Name, Adapter.Inverse(variables), values, shape, covariance));
        }
        return result;
    }

    /// <inheritdoc />
    public override bool HasDataInitialization => _baseline is { HasOnlyZeroWeights: true };

    /// <summary>
    /// Fits the linear baseline (with <see cref="PointApproximatorOptions.LinearBaseline"/>, while its weights are
    /// still all zero) by ridge least squares of the standardised inference variables on the conditions, after the
    /// running standardisation has absorbed every row.
    /// </summary>
    public override void InitializeFromData(IReadOnlyList<SimulationBatch> adapted)
    {
        ArgumentNullException.ThrowIfNull(adapted);
        if (!HasDataInitialization || adapted.Count == 0) return;
        using var evaluation = Evaluate();
        var regression = new RidgeRegression(_encoder.OutputDim, Dimension,
            "PointApproximator linear baseline", "conditions", "variables");
        _encoder.ForEachInitializationBatch(adapted, Dimension, VariableStandardizer, (theta, conditions, rows) =>
            regression.Add(conditions, theta, rows));
        var (coefficients, intercept, _) = regression.Solve();
        _baseline!.Kernel.Backend.Upload(Array.ConvertAll(coefficients, v => (float)v), _baseline.Kernel);
        _baseline.Bias!.Backend.Upload(Array.ConvertAll(intercept, v => (float)v), _baseline.Bias);
    }

    /// <summary>Sigma_ij * std_i * std_j per row of (B, D, D): the covariance of x = z * std + mean.</summary>
    private float[] Destandardize(float[] covariance)
    {
        if (VariableStandardizer is null) return covariance;
        int d = Dimension;
        var std = VariableStandardizer.Std;
        for (int k = 0; k < covariance.Length; k++)
        {
            int i = k / d % d, j = k % d;
            covariance[k] *= std[i] * std[j];
        }
        return covariance;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"PointApproximator(D = {Dimension}, rules = [{string.Join(", ", Array.ConvertAll(_rules, r => r.Name))}]" +
        $"{(_baseline is null ? "" : ", linear baseline")})\n{_trunk}";
}
