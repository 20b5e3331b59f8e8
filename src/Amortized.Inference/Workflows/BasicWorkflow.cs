using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Serialization;
using Amortized.Inference.Diagnostics;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.Workflows;

/// <summary>
/// The façade most users start from (BayesFlow's BasicWorkflow): a simulator, an adapter and a network spec in,
/// a trained posterior out. Network sizes are read off the adapted data, so the spec only needs kinds and
/// options; the approximator is built on the first fit.
/// </summary>
/// <remarks>
/// A workflow holds one approximator of the <see cref="Kind"/> its spec chose: an <see cref="ApproximatorSpec"/>
/// makes a continuous approximator (sampling, log densities, posterior diagnostics), a
/// <see cref="PointApproximatorSpec"/> a point approximator (<see cref="EstimatePoints"/>,
/// <see cref="ComputePointDiagnostics"/>) and a <see cref="ModelComparisonSpec"/> a model-comparison approximator
/// (<see cref="PredictModelProbabilities"/>, <see cref="ComputeModelComparisonDiagnostics"/>). Fitting, resuming,
/// <see cref="Save"/> and <see cref="Load(string, ISimulator)"/> work for every kind; a method of another kind throws
/// <see cref="InvalidOperationException"/> naming the workflow's kind.
/// </remarks>
public sealed partial class BasicWorkflow
{
    private ApproximatorSpec? _spec;   // null unless Kind is Continuous
    private Approximators.Approximator? _built;   // any kind, once built
    private TrainerState? _resumeState;   // from Resume, imported by the next fit's trainer

    /// <summary>Creates the workflow; <paramref name="simulator"/> is needed for online training only.</summary>
    public BasicWorkflow(Adapter adapter, ApproximatorSpec spec, ISimulator? simulator = null)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentNullException.ThrowIfNull(spec);
        Adapter = adapter;
        _spec = spec;
        Simulator = simulator;
        Kind = ApproximatorKind.Continuous;
    }

    /// <summary>Creates a workflow around an existing approximator built from a spec (e.g. a loaded model).</summary>
    public BasicWorkflow(ContinuousApproximator approximator, ISimulator? simulator = null)
    {
        ArgumentNullException.ThrowIfNull(approximator);
        _built = approximator;
        Adapter = approximator.Adapter;
        _spec = approximator.Spec ?? throw new ArgumentException("BasicWorkflow: the approximator was not built from " +
            "a spec (use ContinuousApproximator.Build).", nameof(approximator));
        Simulator = simulator;
        Kind = ApproximatorKind.Continuous;
    }

    /// <summary>The adapter.</summary>
    public Adapter Adapter { get; }

    /// <summary>The simulator, if any.</summary>
    public ISimulator? Simulator { get; }

    /// <summary>Which approximator this workflow trains and holds.</summary>
    public ApproximatorKind Kind { get; }

    /// <summary>The continuous approximator, once built; null for a workflow of another <see cref="Kind"/>.</summary>
    public ContinuousApproximator? Approximator => _built as ContinuousApproximator;

    /// <summary>The spec with sizes filled in once the approximator is built.</summary>
    /// <exception cref="InvalidOperationException">The workflow is not continuous (see <see cref="PointSpec"/> and
    /// <see cref="ModelComparisonSpec"/>).</exception>
    public ApproximatorSpec Spec => _spec ?? throw new InvalidOperationException(
        $"BasicWorkflow.Spec: this workflow holds a {KindText} approximator, which has no ApproximatorSpec; see " +
        $"{(Kind == ApproximatorKind.Point ? "PointSpec" : "ModelComparisonSpec")}.");

    /// <summary>History of the last fit.</summary>
    public TrainingHistory? History { get; private set; }

    /// <summary>Trains with the simulator in the loop.</summary>
    public TrainingHistory FitOnline(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var simulator = Simulator ?? throw new InvalidOperationException(
            "BasicWorkflow.FitOnline needs a simulator; pass one to the constructor.");
        EnsureBuilt(() => simulator.Sample(Math.Min(4, options.BatchSize), options.Seed ^ StreamRegistry.ShapeProbeSalt,
            new SampleOptions { BatchIndex = StreamRegistry.ShapeProbeBatch.First }));
        Approximator?.ClearMisspecificationReference();   // training moves the summary space the reference lives in
        return History = NewTrainer(options).FitOnline(simulator);
    }

    /// <summary>Trains on simulations held in memory.</summary>
    public TrainingHistory FitOffline(SimulationBatch data, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        EnsureBuilt(() => data.Slice(0, Math.Min(4, data.BatchSize)));
        Approximator?.ClearMisspecificationReference();
        return History = NewTrainer(options).FitOffline(data);
    }

    /// <summary>Trains on a sharded dataset streamed from disk.</summary>
    public TrainingHistory FitDisk(ShardedDataset dataset, TrainingOptions options, SimulationBatch? validation = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        EnsureBuilt(() => dataset.ReadShard(0).Slice(0, Math.Min(4, dataset.ShardRows(0))));
        Approximator?.ClearMisspecificationReference();
        return History = NewTrainer(options).FitDisk(dataset, validation);
    }

    /// <summary>Posterior draws per data set, each parameter key shaped (B, numSamples, ...).</summary>
    public SimulationBatch Sample(SimulationBatch data, int numSamples, ulong seed = 0) =>
        Built.Sample(data, numSamples, seed);

    /// <summary>
    /// <see cref="Sample"/> plus the automatic misspecification check of
    /// <see cref="ContinuousApproximator.SampleWithCheck"/>: with a stored reference, all B data sets are tested
    /// together in summary space and a warning is set when p &lt; <paramref name="alpha"/>.
    /// </summary>
    public MisspecificationCheckedSamples SampleChecked(SimulationBatch data, int numSamples, ulong seed = 0,
        double alpha = 0.05, int bootstrap = 500) => Built.SampleWithCheck(data, numSamples, seed, alpha, bootstrap);

    /// <summary>
    /// Simulates <paramref name="numDatasets"/> data sets held out from training, drops rows with NaN or infinite
    /// values as training does, and stores their summary-space vectors as the approximator's misspecification
    /// reference (saved with the model). Call after training; any later fit clears it.
    /// </summary>
    /// <remarks>
    /// Each data set is simulated as its own batch (batch indices from 2^63 on, which training never reaches), so a
    /// simulator's once-per-batch context (for example a set size n) is drawn afresh for every data set: the
    /// reference then follows the marginal distribution of one data set, as the observations are assumed to. One
    /// batch of M rows would share one context and make observations with any other context look misspecified.
    /// </remarks>
    /// <param name="numDatasets">M, at least 2; around a thousand is typical.</param>
    /// <param name="seed">Seed of the simulations.</param>
    /// <returns>The stored reference (M', D_s), M' being the number of finite rows.</returns>
    public MisspecificationReference ComputeMisspecificationReference(int numDatasets = 1000, ulong seed = 0)
    {
        var simulator = Simulator ?? throw new InvalidOperationException(
            "BasicWorkflow.ComputeMisspecificationReference needs a simulator; pass one to the constructor or " +
            "pass held-out simulations.");
        if (numDatasets < 2)
            throw new ArgumentOutOfRangeException(nameof(numDatasets), numDatasets,
                $"BasicWorkflow: numDatasets is {numDatasets}; the reference needs at least 2.");
        var datasets = new SimulationBatch[numDatasets];
        for (int i = 0; i < numDatasets; i++)
            datasets[i] = simulator.Sample(1, seed,
                new SampleOptions { BatchIndex = StreamRegistry.ReferenceBatches.Up((ulong)i) });
        return ComputeMisspecificationReference(SimulationBatch.Concatenate(datasets));
    }

    /// <summary>
    /// Stores the summary-space vectors of <paramref name="simulations"/> (held-out simulated data sets; rows with
    /// NaN or infinite values are dropped) as the misspecification reference.
    /// </summary>
    public MisspecificationReference ComputeMisspecificationReference(SimulationBatch simulations)
    {
        ArgumentNullException.ThrowIfNull(simulations);
        return Built.SetMisspecificationReference(NonFiniteRows.Drop(simulations, out _));
    }

    /// <summary>log q(theta | x) per data set in the original parameter space.</summary>
    public float[] LogProb(SimulationBatch data) => Built.LogProb(data);

    /// <summary>Posterior mean, median, sd and quantiles per data set.</summary>
    public PosteriorEstimates Estimate(SimulationBatch data, int numSamples = 1000, ulong seed = 0) =>
        Built.Estimate(data, numSamples, seed);

    /// <summary>
    /// Writes the trained model (spec, adapter, weights, statistics) to one file, atomically; with
    /// <paramref name="key"/> the file is signed (HMAC-SHA-256, see <see cref="ModelFileKey"/>).
    /// </summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null, ModelFileKey? key = null)
    {
        switch (Trainable)
        {
            case PointApproximator point: ApproximatorFile.Save(path, point, metadata, key); break;
            case ModelComparisonApproximator classifier: ApproximatorFile.Save(path, classifier, metadata, key); break;
            default: ApproximatorFile.Save(path, Built, metadata, key); break;
        }
    }

    /// <summary>
    /// Loads a model written by <see cref="Save"/>, of any kind (the file's manifest says which; see
    /// <see cref="Kind"/>); pass a simulator to keep training online.
    /// </summary>
    public static BasicWorkflow Load(string path, ISimulator? simulator = null) =>
        Load(path, out _, simulator: simulator);

    /// <summary>
    /// Loads a model written by <see cref="Save"/>, of any kind, with its metadata; with <paramref name="key"/> the
    /// file must be signed with it, and <paramref name="limits"/> bound its header and spec.
    /// </summary>
    public static BasicWorkflow Load(string path, out IReadOnlyDictionary<string, string> metadata,
        ModelFileKey? key = null, ModelFileLimits? limits = null, ISimulator? simulator = null) =>
        ApproximatorFile.LoadAny(path, out metadata, key, limits) switch
        {
            PointApproximator point => new BasicWorkflow(point, simulator),
            ModelComparisonApproximator classifier => new BasicWorkflow(classifier, simulator),
            var continuous => new BasicWorkflow((ContinuousApproximator)continuous, simulator),
        };

    /// <summary>The continuous approximator; throws for a workflow of another kind or before it is built.</summary>
    private ContinuousApproximator Built => Kind == ApproximatorKind.Continuous
        ? Approximator ?? throw new InvalidOperationException("BasicWorkflow: train or load a model first.")
        : throw new InvalidOperationException($"BasicWorkflow: this workflow holds a {KindText} approximator; " +
            "sampling, log densities, posterior diagnostics and misspecification checks need a continuous one " +
            $"(use {(Kind == ApproximatorKind.Point ? "EstimatePoints and ComputePointDiagnostics" : "PredictModelProbabilities and ComputeModelComparisonDiagnostics")}).");

    /// <summary>The approximator of any kind; throws before it is built.</summary>
    private Approximators.Approximator Trainable =>
        _built ?? throw new InvalidOperationException("BasicWorkflow: train or load a model first.");

    private string KindText => Kind switch
    {
        ApproximatorKind.Point => "point",
        ApproximatorKind.ModelComparison => "model-comparison",
        _ => "continuous",
    };

    /// <summary>
    /// Builds the approximator now (the fit methods otherwise build it on first use), with the network sizes read
    /// off <paramref name="probe"/>, a few raw rows; it can then be moved to a device (Store.MoveTo) or resumed.
    /// </summary>
    /// <returns>The approximator, already built if it was.</returns>
    public ContinuousApproximator Build(SimulationBatch probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        if (Kind != ApproximatorKind.Continuous)
            throw new InvalidOperationException($"BasicWorkflow.Build: this workflow holds a {KindText} approximator; " +
                "use BuildApproximator.");
        EnsureBuilt(() => probe);
        return Built;
    }

    /// <summary>
    /// Builds the approximator of any <see cref="Kind"/> now, with the network sizes read off
    /// <paramref name="probe"/> (see <see cref="Build"/>).
    /// </summary>
    public Approximators.Approximator BuildApproximator(SimulationBatch probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        EnsureBuilt(() => probe);
        return Trainable;
    }

    /// <summary>
    /// Loads a checkpoint written by an earlier fit of this workflow (<see cref="TrainingOptions.CheckpointPath"/>):
    /// weights and statistics now, the trainer's state for the next fit call, which must use the same options and
    /// data; it continues after the checkpoint's last epoch and ends as the uninterrupted run would (bitwise on the
    /// CPU for the same thread count). Build the approximator first.
    /// </summary>
    /// <returns>The epochs the checkpoint had completed.</returns>
    public int Resume(string checkpointPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointPath);
        _resumeState = Checkpoint.Restore(checkpointPath, Trainable);
        return _resumeState.Epochs.Count;
    }

    private Trainer NewTrainer(TrainingOptions options)
    {
        var trainer = new Trainer(Trainable, options);
        if (_resumeState is { } state) trainer.ImportState(state);
        _resumeState = null;
        return trainer;
    }

    /// <summary>
    /// Builds the approximator (once) with sizes read off an adapted probe batch, made only when needed.
    /// </summary>
    private void EnsureBuilt(Func<SimulationBatch> probe)
    {
        if (_built is not null) return;
        switch (Kind)
        {
            case ApproximatorKind.Point:
                var point = PointApproximator.Build(PointSpec!, Adapter, probe());
                (_built, PointSpec) = (point, point.Spec);
                break;
            case ApproximatorKind.ModelComparison:
                var classifier = ModelComparisonApproximator.Build(ModelComparisonSpec!, Adapter, probe());
                (_built, ModelComparisonSpec) = (classifier, classifier.Spec);
                break;
            default:
                var continuous = ContinuousApproximator.Build(_spec!, Adapter, probe());
                (_built, _spec) = (continuous, continuous.Spec!);
                break;
        }
    }
}
