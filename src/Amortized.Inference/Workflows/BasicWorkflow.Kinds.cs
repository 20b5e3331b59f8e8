using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Diagnostics;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.Workflows;

// Point and model-comparison workflows: their constructors, inference calls and diagnostics.
public sealed partial class BasicWorkflow
{
    /// <summary>
    /// Creates a point-estimation workflow (<see cref="ApproximatorKind.Point"/>); <paramref name="simulator"/> is
    /// needed for online training and diagnostics only.
    /// </summary>
    public BasicWorkflow(Adapter adapter, PointApproximatorSpec spec, ISimulator? simulator = null)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentNullException.ThrowIfNull(spec);
        Adapter = adapter;
        PointSpec = spec;
        Simulator = simulator;
        Kind = ApproximatorKind.Point;
    }

    /// <summary>
    /// Creates a model-comparison workflow (<see cref="ApproximatorKind.ModelComparison"/>), typically with a
    /// <see cref="ModelComparisonSimulator"/> over the K models.
    /// </summary>
    public BasicWorkflow(Adapter adapter, ModelComparisonSpec spec, ISimulator? simulator = null)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentNullException.ThrowIfNull(spec);
        Adapter = adapter;
        ModelComparisonSpec = spec;
        Simulator = simulator;
        Kind = ApproximatorKind.ModelComparison;
    }

    /// <summary>Creates a workflow around a point approximator built from a spec (e.g. a loaded model).</summary>
    public BasicWorkflow(PointApproximator approximator, ISimulator? simulator = null)
    {
        ArgumentNullException.ThrowIfNull(approximator);
        _built = approximator;
        Adapter = approximator.Adapter;
        PointSpec = approximator.Spec ?? throw new ArgumentException("BasicWorkflow: the point approximator was not " +
            "built from a spec (use PointApproximator.Build).", nameof(approximator));
        Simulator = simulator;
        Kind = ApproximatorKind.Point;
    }

    /// <summary>Creates a workflow around a model-comparison approximator built from a spec (e.g. a loaded model).
    /// </summary>
    public BasicWorkflow(ModelComparisonApproximator approximator, ISimulator? simulator = null)
    {
        ArgumentNullException.ThrowIfNull(approximator);
        _built = approximator;
        Adapter = approximator.Adapter;
        ModelComparisonSpec = approximator.Spec ?? throw new ArgumentException("BasicWorkflow: the model-comparison " +
            "approximator was not built from a spec (use ModelComparisonApproximator.Build).", nameof(approximator));
        Simulator = simulator;
        Kind = ApproximatorKind.ModelComparison;
    }

    /// <summary>The point spec (sizes filled in once built); null unless <see cref="Kind"/> is Point.</summary>
    public PointApproximatorSpec? PointSpec { get; private set; }

    /// <summary>The model-comparison spec (K and sizes filled in once built); null unless <see cref="Kind"/> is
    /// ModelComparison.</summary>
    public ModelComparisonSpec? ModelComparisonSpec { get; private set; }

    /// <summary>The point approximator, once built; null for a workflow of another kind.</summary>
    public PointApproximator? PointApproximator => _built as PointApproximator;

    /// <summary>The model-comparison approximator, once built; null for a workflow of another kind.</summary>
    public ModelComparisonApproximator? ModelComparisonApproximator => _built as ModelComparisonApproximator;

    /// <summary>
    /// Every scoring rule's estimates for the data sets in <paramref name="data"/> (raw simulator-style keys), in the
    /// original parameter space (see <see cref="PointApproximator.Estimate"/>).
    /// </summary>
    public PointEstimates EstimatePoints(SimulationBatch data) => BuiltPoint(nameof(EstimatePoints)).Estimate(data);

    /// <summary>
    /// Posterior model probabilities (B, K) row-major for the data sets in <paramref name="data"/> (raw keys; the
    /// model indicator is not needed).
    /// </summary>
    public float[] PredictModelProbabilities(SimulationBatch data) =>
        BuiltModelComparison(nameof(PredictModelProbabilities)).PredictProbabilities(data);

    /// <summary>
    /// Recovery of every point estimate and coverage of every quantile rule's central intervals on
    /// <paramref name="numDatasets"/> fresh simulations (<see cref="HeldOutEstimates.Point(PointApproximator, ISimulator, IReadOnlyList{string}, int, ulong, IReadOnlyList{string})"/>).
    /// </summary>
    /// <param name="numDatasets">N, held-out data sets (simulated from a batch index training never uses).</param>
    /// <param name="seed">Seed of the simulations.</param>
    /// <param name="parameterKey">One parameter key to check; all keys of inference_variables when omitted.</param>
    public PointDiagnosticsReport ComputePointDiagnostics(int numDatasets = 300, ulong seed = 0,
        string? parameterKey = null)
    {
        var point = BuiltPoint(nameof(ComputePointDiagnostics));
        var simulator = Simulator ?? throw new InvalidOperationException(
            "BasicWorkflow.ComputePointDiagnostics needs a simulator; pass one to the constructor.");
        // Every key of inference_variables (named beta[0], beta[1], sigma), or the one key asked for.
        IReadOnlyList<string> keys = parameterKey is null ? ParameterKeys : [parameterKey];
        return HeldOutEstimates.Point(point, simulator, keys, numDatasets, seed);
    }

    /// <summary>
    /// Accuracy, confusion matrix and calibration on <paramref name="numDatasets"/> fresh simulations of the
    /// workflow's simulator (which must write the model indicator, as <see cref="ModelComparisonSimulator"/> does).
    /// </summary>
    public ModelComparisonReport ComputeModelComparisonDiagnostics(int numDatasets = 1000, ulong seed = 0,
        int numBins = 10)
    {
        var classifier = BuiltModelComparison(nameof(ComputeModelComparisonDiagnostics));
        var simulator = Simulator ?? throw new InvalidOperationException(
            "BasicWorkflow.ComputeModelComparisonDiagnostics needs a simulator; pass one to the constructor.");
        return HeldOutEstimates.ModelComparison(classifier, simulator, numDatasets, seed, numBins);
    }

    private PointApproximator BuiltPoint(string method) => Kind == ApproximatorKind.Point
        ? PointApproximator ?? throw new InvalidOperationException("BasicWorkflow: train or load a model first.")
        : throw new InvalidOperationException($"BasicWorkflow.{method}: this workflow holds a {KindText} " +
            "approximator; point estimates need a point workflow (a PointApproximatorSpec).");

    private ModelComparisonApproximator BuiltModelComparison(string method) =>
        Kind == ApproximatorKind.ModelComparison
            ? ModelComparisonApproximator
              ?? throw new InvalidOperationException("BasicWorkflow: train or load a model first.")
            : throw new InvalidOperationException($"BasicWorkflow.{method}: this workflow holds a {KindText} " +
                "approximator; model probabilities need a model-comparison workflow (a ModelComparisonSpec).");
}
