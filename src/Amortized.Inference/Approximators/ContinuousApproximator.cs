using Amortized.Inference.Adapters;
using Amortized.Inference.Diagnostics;
using Amortized.Inference.Simulators;
using Amortized.Networks;
using Amortized.Networks.Flows;
using Amortized.Networks.Summaries;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Inference.Approximators;

/// <summary>
/// Adapter + optional summary network + inference network: learns q(theta | x) by minimising
/// -mean log q(theta | h(x), c) over simulations (BayesFlow's ContinuousApproximator). The summary output h(x)
/// (B, S) is concatenated with the direct conditions c (B, C) to condition the inference network over D
/// variables, so the inference network is built with condition dimension S + C.
/// </summary>
public sealed class ContinuousApproximator : Approximator
{

    /// <summary>Creates the approximator. The networks' parameters must live in <paramref name="store"/>.</summary>
    public ContinuousApproximator(Adapter adapter, InferenceNetwork inferenceNetwork, SummaryNetwork? summaryNetwork,
        ParameterStore store, ApproximatorOptions? options = null)
        : base(adapter, store)
    {
        ArgumentNullException.ThrowIfNull(inferenceNetwork);
        InferenceNetwork = inferenceNetwork;
        Options = options ?? new ApproximatorOptions();
        if (Options.StandardizeVariables) VariableStandardizer = new RunningStandardizer(inferenceNetwork.Dimension);
        int directConditions = inferenceNetwork.ConditionDim - (summaryNetwork?.SummaryDim ?? 0);
        if (directConditions < 0)
            throw new ArgumentException($"ContinuousApproximator: the inference " +
                $"network has {inferenceNetwork.ConditionDim} condition features, fewer than the summary network's " +
                $"{summaryNetwork!.SummaryDim} outputs.", nameof(inferenceNetwork));
        DirectConditionDim = directConditions;
        // An unconditional network has no encoder.
        if (summaryNetwork is not null || directConditions > 0)
            Encoder = new ConditionEncoder(nameof(ContinuousApproximator), summaryNetwork,
                directConditions, Keys.InferenceConditions,
                Options.StandardizeConditions, Options.StandardizeSummaryInputs);
    }

    /// <summary>
    /// Builds the networks described by <paramref name="spec"/> (sizes, options, construction seed) in a new
    /// store. Only approximators built this way can be saved, since the spec is what rebuilds them.
    /// </summary>
    public static ContinuousApproximator Build(ApproximatorSpec spec, Adapter adapter) =>
        Build(spec, adapter, new ParameterStore());

    /// <summary>Builds into <paramref name="store"/> (empty; its <see cref="ParameterStore.MaxParameters"/> bounds
    /// what a spec read from a file may build).</summary>
    internal static ContinuousApproximator Build(ApproximatorSpec spec, Adapter adapter, ParameterStore store)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.VariableDim <= 0)
            throw new ArgumentException($"ApproximatorSpec: VariableDim is {spec.VariableDim}; it must be the width " +
                $"of '{Keys.InferenceVariables}'.", nameof(spec));
        var rng = new Rng(spec.Seed);
        SummaryNetwork? summary = ConditionEncoder.BuildSummary(spec, store, rng);
        int conditionDim = (summary?.SummaryDim ?? 0) + spec.ConditionDim;
        InferenceNetwork inference = spec.Inference switch
        {
            InferenceNetworkKind.FlowMatching =>
                new FlowMatching(store, "inference", spec.VariableDim, conditionDim, spec.FlowMatching, rng),
            InferenceNetworkKind.FreeFormFlow =>
                new FreeFormFlow(store, "inference", spec.VariableDim, conditionDim, spec.FreeFormFlow, rng),
            InferenceNetworkKind.ConsistencyModel => new ConsistencyModel(store, "inference", spec.VariableDim,
                conditionDim, spec.ConsistencyModel, rng),
            InferenceNetworkKind.DiffusionModel =>
                new DiffusionModel(store, "inference", spec.VariableDim, conditionDim, spec.DiffusionModel, rng),
            _ => new CouplingFlow(store, "inference", spec.VariableDim, conditionDim, spec.CouplingFlow, rng),
        };
        return new ContinuousApproximator(adapter, inference, summary, store, spec.Approximator) { Spec = spec };
    }

    /// <summary>
    /// Builds the networks of <paramref name="spec"/> with D, C and F read off <paramref name="probe"/> (a few raw
    /// simulations) after the adapter: the widths of inferenceVariableStandardizer, inference_conditions and
    /// summaryVariableStandardizer.
    /// </summary>
    /// <exception cref="ArgumentException">The adapter produces no inference variables, or summary variables while the
    /// spec has no summary network.</exception>
    public static ContinuousApproximator Build(ApproximatorSpec spec, Adapter adapter, SimulationBatch probe)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var (adapted, Width) = SpecBuilding.Probe(nameof(ContinuousApproximator), adapter, probe, spec.Summary);
        int d = Width(Keys.InferenceVariables);
        if (d == 0)
            throw new ArgumentException($"ContinuousApproximator: the adapter produced no " +
                $"'{Keys.InferenceVariables}'; it produced {string.Join(", ", adapted.Keys)}.", nameof(adapter));
        spec = ConditionEncoder.WithSummaryInputs(spec, adapted, nameof(ContinuousApproximator));
        return Build(spec with { VariableDim = d, ConditionDim = Width(Keys.InferenceConditions) }, adapter);
    }

    /// <summary>The spec this approximator was built from, or null when built from networks directly.</summary>
    public ApproximatorSpec? Spec { get; private init; }

    /// <summary>The conditional density q(theta | conditions).</summary>
    public InferenceNetwork InferenceNetwork { get; }

    /// <summary>The options.</summary>
    public ApproximatorOptions Options { get; }

    /// <summary>C: the number of direct (non-summary) condition features.</summary>
    public int DirectConditionDim { get; }

    /// <inheritdoc />
    private protected override Module Head => InferenceNetwork;

    /// <inheritdoc />
    public override void BeginStep(ulong seed, long step)
    {
        base.BeginStep(seed, step);
        InferenceNetwork.NoiseRng = Rng.Derive(seed, (ulong)step, StreamRegistry.TrainingNoiseTag);
        // Only training steps advance a curriculum; a validation pass (evaluation mode) keeps the last one.
        if (Training) InferenceNetwork.BeginStep(step);
    }

    /// <inheritdoc />
    public override void PlanTraining(long totalSteps) => InferenceNetwork.PlanTraining(totalSteps);

    /// <summary>
    /// The training loss on an adapted batch: -weighted mean log q(theta | h(x), c), or the network's own
    /// objective (flow matching). With <paramref name="updateStatistics"/> the running standardisation absorbs
    /// the batch first.
    /// </summary>
    public override Tensor Loss(SimulationBatch adapted, bool updateStatistics)
    {
        using var device = BackendScope.Use(Store.Backend);
        ArgumentNullException.ThrowIfNull(adapted);
        var theta = Variables(adapted, updateStatistics);
        var conditions = Conditions(adapted, updateStatistics);
        if (!adapted.Contains(Keys.SampleWeight)) return InferenceNetwork.Loss(theta, conditions);
        return InferenceNetwork.WeightedLoss(theta, conditions,
            ToTensor(adapted, Keys.SampleWeight, [adapted.BatchSize]));
    }

    /// <inheritdoc />
    public override bool LossComparesEpochs => InferenceNetwork.LossComparesEpochs;

    /// <inheritdoc />
    public override bool HasDataInitialization => InferenceNetwork.CreateDataInitializer() is not null;

    /// <summary>
    /// The inference network's data-dependent initialisation (a <see cref="ConditionalAffine"/> layer's least-squares
    /// fit): the running standardisation absorbs every row first, then the standardised variables and the
    /// conditions (summaries of the untrained summary network, then direct conditions) are streamed into the
    /// network's initializer, chunk by chunk. Shapes as in <see cref="Loss"/>.
    /// </summary>
    public override void InitializeFromData(IReadOnlyList<SimulationBatch> adapted)
    {
        ArgumentNullException.ThrowIfNull(adapted);
        // Only a conditioned network has one (an unconditional network has nothing to regress on).
        var initializer = InferenceNetwork.CreateDataInitializer();
        if (initializer is null || Encoder is null || adapted.Count == 0) return;
        using var evaluation = Evaluate();
        Encoder.ForEachInitializationBatch(adapted, InferenceNetwork.Dimension, VariableStandardizer,
            (theta, conditions, rows) => initializer.Add(theta, conditions, rows));
        initializer.Apply();
    }

    /// <summary>Standardised inference variables (B, D) from an adapted batch.</summary>
    internal Tensor Variables(SimulationBatch adapted, bool updateStatistics) =>
        ConditionEncoder.StandardizedVariables(nameof(ContinuousApproximator), adapted, InferenceNetwork.Dimension,
            VariableStandardizer, updateStatistics);

    /// <summary>The inference network's conditions (B, S + C): summaries then standardised direct conditions.</summary>
    internal Tensor? Conditions(SimulationBatch adapted, bool updateStatistics) =>
        Encoder?.Encode(adapted, updateStatistics);

    private static Tensor ToTensor(SimulationBatch batch, string key, int[] expected) =>
        ConditionEncoder.ToTensor(nameof(ContinuousApproximator), batch, key, expected);

    // ---- inference ----

    /// <summary>
    /// Draws <paramref name="numSamples"/> posterior samples for each data set in <paramref name="data"/>
    /// (raw simulator-style keys, no parameters needed) and maps them back through the adapter, so the result
    /// holds each parameter key with shape (B, numSamples, ...).
    /// </summary>
    public SimulationBatch Sample(SimulationBatch data, int numSamples, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (numSamples <= 0)
            throw new ArgumentOutOfRangeException(nameof(numSamples), numSamples, "numSamples must be positive.");
        var result = SampleOnce(data, numSamples, seed);
        if (Adapter.RejectsOutsideSupport) RedrawOutsideSupport(data, result, numSamples, seed);
        return result;
    }

    /// <summary>One round of draws mapped back through the adapter: each key (B, numSamples, ...).</summary>
    private SimulationBatch SampleOnce(SimulationBatch data, int numSamples, ulong seed, bool clampRejected = false)
    {
        var draws = SampleStandardized(data, numSamples, seed, out int b);
        int d = InferenceNetwork.Dimension;
        VariableStandardizer?.Destandardize(draws);
        var result = new SimulationBatch(b);
        result.Set(Keys.InferenceVariables, draws, b, numSamples, d);
        return clampRejected ? Adapter.InverseClampingRejected(result) : Adapter.Inverse(result);
    }

    /// <summary>
    /// The most draws redrawing may take for one data set, in multiples of numSamples: a data set still incomplete
    /// after them had under about 1% of its mass inside the support.
    /// </summary>
    private const int MaxRedrawFactor = 100;

    /// <summary>
    /// Replaces, in place, every draw (row s of data set i) that the adapter marked as outside a
    /// <see cref="ConstraintMethod.Reject"/> support (NaN in any key) by a fresh draw inside it: the posterior
    /// restricted to the prior's support. Redraws come from a stream of their own, so the draws that were inside
    /// the support stay what they were, and the same seed gives the same result. A data set whose network puts
    /// almost no mass inside the support (an observation far from anything simulated) would never fill: after
    /// <see cref="MaxRedrawFactor"/> x numSamples draws, or 10 x numSamples without a single acceptance, its missing
    /// draws are clamped onto the bounds instead, as a logit map would squash them (the misspecification check of
    /// <see cref="SampleWithCheck"/> is what flags such observations).
    /// </summary>
    private void RedrawOutsideSupport(SimulationBatch data, SimulationBatch result, int numSamples, ulong seed)
    {
        int b = result.BatchSize;
        // Only per-draw keys (B, S, ...) carry draws; anything else the inverse produced is left alone.
        string[] keys = [.. result.Keys.Where(k => result.Shape(k) is { Length: >= 2 } shape && shape[1] == numSamples)];
        for (int i = 0; i < b; i++)
        {
            var missing = new Queue<int>();
            for (int s = 0; s < numSamples; s++)
                if (!DrawInside(result, keys, i, s, numSamples)) missing.Enqueue(s);
            long drawn = numSamples, accepted = numSamples - missing.Count;
            var single = missing.Count > 0 ? data.Slice(i, 1) : null;
            for (ulong round = 1; missing.Count > 0; round++)
            {
                bool hopeless = drawn >= (long)MaxRedrawFactor * numSamples
                    || (accepted == 0 && drawn >= 10L * numSamples);
                // Ask for what is missing, scaled by the acceptance so far, so that one round usually completes it.
                double acceptance = Math.Max((double)accepted / drawn, 0.01);
                int request = hopeless ? missing.Count
                    : (int)Math.Min(numSamples, Math.Ceiling(missing.Count / acceptance * 1.2) + 16);
                var derived = Rng.Derive(seed, (ulong)i << 32 | round, StreamRegistry.RejectionTag);
                ulong roundSeed = ((ulong)derived.NextUInt32() << 32) | derived.NextUInt32();
                var extra = SampleOnce(single!, request, roundSeed, clampRejected: hopeless);
                drawn += request;
                int before = missing.Count;
                for (int r = 0; r < request && missing.Count > 0; r++)
                {
                    if (!DrawInside(extra, keys, 0, r, request)) continue;
                    accepted++;
                    int slot = missing.Dequeue();
                    foreach (string key in keys)
                    {
                        int row = result.RowLength(key) / numSamples;
                        extra.Get(key).AsSpan(r * row, row)
                            .CopyTo(result.Get(key).AsSpan((i * numSamples + slot) * row, row));
                    }
                }
                // Clamped draws are all inside, so only non-finite network output can leave a hopeless round short.
                if (hopeless && missing.Count > 0)
                    throw new InvalidOperationException($"ContinuousApproximator: data set {i}: {missing.Count} of " +
                        $"{before} draws are not finite even when clamped to the prior's support; the network's " +
                        "output is NaN (a diverged model?).");
            }
        }
    }

    /// <summary>Whether draw s of data set i has no NaN in any key (each key (B, S, ...)).</summary>
    private static bool DrawInside(SimulationBatch batch, string[] keys, int i, int s, int numSamples)
    {
        foreach (string key in keys)
        {
            int row = batch.RowLength(key) / numSamples;
            foreach (float v in batch.Get(key).AsSpan((i * numSamples + s) * row, row))
                if (float.IsNaN(v)) return false;
        }
        return true;
    }

    /// <summary>Raw draws (B * S * D) in the network's standardised space; b receives B.</summary>
    private float[] SampleStandardized(SimulationBatch data, int numSamples, ulong seed, out int b)
    {
        using var evaluation = Evaluate();
        var adapted = Adapter.Forward(data, strict: false);
        b = adapted.BatchSize;
        int d = InferenceNetwork.Dimension;
        var result = new float[b * numSamples * d];
        Tensor? conditions;
        using (Tape.NoGrad()) conditions = Conditions(adapted, updateStatistics: false);
        if (conditions is null && b > 1)
            throw new ArgumentException($"ContinuousApproximator: an unconditional network samples one set; pass a " +
                $"batch of size 1, not {b}.", nameof(data));
        // Datasets are processed in chunks so that chunk * numSamples rows stay under the memory bound.
        int perChunk = Math.Max(1, Options.SampleChunkRows / numSamples);
        for (int start = 0; start < b; start += perChunk)
        {
            int count = Math.Min(perChunk, b - start);
            var rng = Rng.Derive(seed, (ulong)start, StreamRegistry.SamplingTag);
            Tensor draws;
            if (conditions is null) draws = InferenceNetwork.Sample(numSamples, null, rng);
            else draws = InferenceNetwork.Sample(numSamples, conditions.Slice(0, start, count), rng);
            draws.Backend.Download(draws, result.AsSpan(start * numSamples * d, draws.Size));
        }
        return result;
    }

    /// <summary>
    /// log q(theta | x) per data set in the original parameter space: the network's density of the adapted,
    /// standardised variables plus the log-Jacobians of standardisation and of the adapter's transforms.
    /// </summary>
    public float[] LogProb(SimulationBatch data)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var evaluation = Evaluate();
        var result = Adapter.ForwardWithLogDet(data, strict: true);
        var adapted = result.Data;
        float[] logq;
        using (Tape.NoGrad())
        {
            var theta = Variables(adapted, false);
            logq = InferenceNetwork.LogProb(theta, Conditions(adapted, false)).ToArray();
        }
        float standardization = VariableStandardizer?.LogDetJacobian() ?? 0f;
        result.LogDetJacobian.TryGetValue(Keys.InferenceVariables, out var adapterLogDet);
        for (int i = 0; i < logq.Length; i++)
            logq[i] += standardization + (adapterLogDet is null ? 0f : adapterLogDet[i]);
        return logq;
    }

    /// <summary>Learned summary statistics h(x) (B, S) of raw data.</summary>
    public float[] Summaries(SimulationBatch data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (SummaryNetwork is null)
            throw new InvalidOperationException("ContinuousApproximator: there is no summary network.");
        using var evaluation = Evaluate();
        using var noGrad = Tape.NoGrad();
        return Encoder!.Encode(Adapter.Forward(data, strict: false), false)
            .Slice(1, 0, SummaryNetwork.SummaryDim).ToArray();
    }

    /// <summary>Posterior mean, median, sd and 5/50/95% quantiles per data set and parameter key, from draws.</summary>
    public PosteriorEstimates Estimate(SimulationBatch data, int numSamples = 1000, ulong seed = 0) =>
        PosteriorEstimates.FromDraws(Sample(data, numSamples, seed), numSamples);

    // ---- summary space and misspecification (Schmitt et al. 2023) ----

    /// <summary>
    /// D_s, the width of <see cref="SummarySpace"/>: the summary network's S, or without one the number of direct
    /// conditions C (0 for an unconditional network, which has no summary space).
    /// </summary>
    public int SummarySpaceDim => SummaryNetwork?.SummaryDim ?? DirectConditionDim;

    /// <summary>
    /// The summary statistics of raw data (B, D_s) that misspecification is judged by: the summary network's outputs
    /// h(x) when there is a summary network, otherwise the direct inference conditions after the approximator's
    /// standardiser, that is, what the inference network is conditioned on. Evaluated in inference mode, in chunks of
    /// at most <see cref="ApproximatorOptions.SampleChunkRows"/> set elements.
    /// </summary>
    /// <param name="data">Raw simulator-style keys for B data sets (parameters not needed).</param>
    /// <param name="dim">Receives D_s.</param>
    /// <returns>(B, D_s) row-major.</returns>
    /// <exception cref="InvalidOperationException">The network is unconditional.</exception>
    public float[] SummarySpace(SimulationBatch data, out int dim)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (Encoder is null)
            throw new InvalidOperationException("ContinuousApproximator: an unconditional network has no summary " +
                "space (no summary network and no inference conditions), so there is nothing to compare data by.");
        int width = SummarySpaceDim;
        using var evaluation = Evaluate();
        var adapted = Adapter.Forward(data, strict: false);
        int b = adapted.BatchSize;
        var result = new float[b * width];
        int setSize = SummaryNetwork is not null && adapted.Contains(Keys.SummaryVariables)
            && adapted.Shape(Keys.SummaryVariables).Length > 1
            ? adapted.Shape(Keys.SummaryVariables)[1] : 1;
        // Chunks bound the summary network's activations (chunk * N set elements), as sampling does.
        int perChunk =
            SummaryNetwork is null ? Math.Max(1, b) : Math.Max(1, Options.SampleChunkRows / Math.Max(1, setSize));
        using var noGrad = Tape.NoGrad();
        for (int start = 0; start < b; start += perChunk)
        {
            int count = Math.Min(perChunk, b - start);
            var chunk = start == 0 && count == b ? adapted : adapted.Slice(start, count);
            // Conditions are (count, S + C) with the summaries first; without a summary network they are (count, C).
            var conditions = Encoder.Encode(chunk, false);
            var summaries = SummaryNetwork is null ? conditions : conditions.Slice(1, 0, width);
            summaries.ToArray().CopyTo(result.AsSpan(start * width));
        }
        dim = width;
        return result;
    }

    /// <summary>
    /// The stored reference sample of summary-space vectors of simulated data sets (M, D_s), or null. Saved in and
    /// loaded from the model file; <see cref="SampleWithCheck"/> tests observations against it.
    /// </summary>
    public MisspecificationReference? MisspecificationReference { get; private set; }

    /// <summary>
    /// Stores <paramref name="summaries"/> (count, dim), summary-space vectors of simulated data sets computed with
    /// these networks (<see cref="SummarySpace"/>), as the misspecification reference. The values are copied.
    /// </summary>
    /// <param name="summaries">(count, dim) row-major, finite.</param>
    /// <param name="count">M, at least 2.</param>
    /// <param name="dim">Must equal <see cref="SummarySpaceDim"/>.</param>
    /// <exception cref="ArgumentException">A dimension other than D_s, a size mismatch or a
    /// non-finite value.</exception>
    public void SetMisspecificationReference(float[] summaries, int count, int dim)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        if (dim != SummarySpaceDim)
            throw new ArgumentException($"ContinuousApproximator: the reference has dim {dim}; this approximator's " +
                $"summary space has {SummarySpaceDim} features.", nameof(dim));
        MisspecificationReference = new MisspecificationReference(summaries, count, dim);
    }

    /// <summary>
    /// Computes the summary-space vectors of <paramref name="simulations"/> (M data sets, held out from training,
    /// finite) and stores them as the misspecification reference, which it returns.
    /// </summary>
    public MisspecificationReference SetMisspecificationReference(SimulationBatch simulations)
    {
        var summaries = SummarySpace(simulations, out int dim);
        SetMisspecificationReference(summaries, summaries.Length / dim, dim);
        return MisspecificationReference!;
    }

    /// <summary>
    /// Forgets the misspecification reference (for example before further training changes the networks).
    /// </summary>
    public void ClearMisspecificationReference() => MisspecificationReference = null;

    /// <summary>
    /// Tests all B data sets of <paramref name="observations"/> together against the stored reference
    /// (<see cref="Misspecification.Test"/> in summary space); a small p-value says the data do not look simulated.
    /// </summary>
    /// <exception cref="InvalidOperationException">No reference is stored.</exception>
    /// <exception cref="ArgumentException">A data set whose summaries are not finite, or B not below M.</exception>
    public MmdTestResult TestMisspecification(SimulationBatch observations, int bootstrap = 500, ulong seed = 0)
    {
        var reference = MisspecificationReference ?? throw new InvalidOperationException(
            "ContinuousApproximator: no misspecification reference is stored; compute one with " +
            "BasicWorkflow.ComputeMisspecificationReference or SetMisspecificationReference.");
        var observed = SummarySpace(observations, out int dim);
        for (int i = 0; i < observed.Length; i++)
            if (!float.IsFinite(observed[i]))
                throw new ArgumentException(
                    $"ContinuousApproximator: observed data set {i / dim} has summary {observed[i]} in feature " +
                    $"{i % dim}; check the observations for NaN or infinite values.", nameof(observations));
        return Misspecification.Test(observed, observed.Length / dim, reference.Summaries,
            reference.Count, dim, bootstrap, seed);
    }

    /// <summary>
    /// <see cref="Sample"/> plus an automatic misspecification check: when a reference is stored, all B data sets of
    /// <paramref name="observations"/> are tested together against it (<see cref="TestMisspecification"/>), and if
    /// p &lt; <paramref name="alpha"/> the result carries a warning naming the MMD, the p-value and B. Without a
    /// reference nothing is checked (<see cref="MisspecificationCheckedSamples.MisspecificationChecked"/> is false).
    /// The draws equal <c>Sample(observations, numSamples, seed)</c>.
    /// </summary>
    /// <param name="observations">Raw simulator-style keys for B data sets.</param>
    /// <param name="numSamples">Draws per data set.</param>
    /// <param name="seed">Seed of the draws and of the test's null draws.</param>
    /// <param name="alpha">Significance level in (0, 1).</param>
    /// <param name="bootstrap">Null draws of the test.</param>
    public MisspecificationCheckedSamples SampleWithCheck(SimulationBatch observations, int numSamples, ulong seed,
        double alpha = 0.05, int bootstrap = 500)
    {
        ArgumentNullException.ThrowIfNull(observations);
        if (!(alpha > 0 && alpha < 1))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha,
                $"ContinuousApproximator: alpha is {alpha}; it must lie in (0, 1).");
        MmdTestResult? test = MisspecificationReference is null
            ? null : TestMisspecification(observations, bootstrap, seed);
        return new MisspecificationCheckedSamples(Sample(observations, numSamples, seed), test, alpha);
    }
}
