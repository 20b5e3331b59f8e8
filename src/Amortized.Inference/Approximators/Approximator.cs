using Amortized.Inference.Adapters;
using Amortized.Inference.Simulators;
using Amortized.Networks;
using Amortized.Networks.Summaries;
using Amortized.Tensors;

namespace Amortized.Inference.Approximators;

/// <summary>
/// What every approximator shares: the adapter, the parameter store, the condition encoder (summary network h(x)
/// and the standardised direct conditions), the optional running standardiser of the inference variables, training
/// mode and dropout streams over its networks, the statistics a checkpoint saves, and the evaluation scope its
/// inference calls run in. A subclass supplies its head network (flow, trunk or classifier) and its loss.
/// </summary>
public abstract class Approximator : ITrainableApproximator
{
    private protected Approximator(Adapter adapter, ParameterStore store)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        ArgumentNullException.ThrowIfNull(store);
        Adapter = adapter;
        Store = store;
    }

    /// <summary>Maps simulator outputs to network inputs and samples back.</summary>
    public Adapter Adapter { get; }

    /// <summary>All trainable parameters.</summary>
    public ParameterStore Store { get; }

    /// <summary>The summary network h(x), or null.</summary>
    public SummaryNetwork? SummaryNetwork => Encoder?.SummaryNetwork;

    /// <summary>Running statistics of the inference variables, or null.</summary>
    public RunningStandardizer? VariableStandardizer { get; private protected init; }

    /// <summary>Running statistics of the direct conditions, or null.</summary>
    public RunningStandardizer? ConditionStandardizer => Encoder?.ConditionStandardizer;

    /// <summary>Running statistics of the summary inputs, or null.</summary>
    public RunningStandardizer? SummaryInputStandardizer => Encoder?.SummaryInputStandardizer;

    /// <summary>
    /// Summaries then standardised direct conditions (B, S + C); null when nothing conditions the head.
    /// </summary>
    private protected ConditionEncoder? Encoder { get; init; }

    /// <summary>The network on top of the conditions (inference network, trunk or classifier).</summary>
    private protected abstract Module Head { get; }

    /// <summary>Training mode (dropout, statistics updates) of every network; read from the head.</summary>
    public bool Training
    {
        get => Head.Training;
        set
        {
            Head.Training = value;
            if (SummaryNetwork is not null) SummaryNetwork.Training = value;
        }
    }

    /// <summary>Sets the dropout stream of every network.</summary>
    public void SetDropoutRng(Rng? rng)
    {
        Head.DropoutRng = rng;
        if (SummaryNetwork is not null) SummaryNetwork.DropoutRng = rng;
    }

    /// <inheritdoc />
    public virtual void PlanTraining(long totalSteps) { }

    /// <inheritdoc />
    public virtual void BeginStep(ulong seed, long step) =>
        SetDropoutRng(Rng.Derive(seed, (ulong)step, StreamRegistry.DropoutTag));

    /// <inheritdoc />
    public abstract Tensor Loss(SimulationBatch adapted, bool updateStatistics);

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double[]> ExportState()
    {
        var state = new Dictionary<string, double[]>(StringComparer.Ordinal);
        ConditionEncoder.Put(state, "standardize.variables", VariableStandardizer);
        Encoder?.ExportState(state);
        return state;
    }

    /// <inheritdoc />
    public void ImportState(IReadOnlyDictionary<string, double[]> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ConditionEncoder.Get(GetType().Name, state, "standardize.variables", VariableStandardizer);
        Encoder?.ImportState(state);
    }

    /// <inheritdoc />
    public virtual bool HasDataInitialization => false;

    /// <inheritdoc />
    public virtual bool LossComparesEpochs => true;

    /// <inheritdoc />
    public virtual void InitializeFromData(IReadOnlyList<SimulationBatch> adapted) { }

    /// <summary>Evaluation mode on the parameters' device until disposed: <c>using var _ = Evaluate();</c>.</summary>
    private protected EvaluationScope Evaluate() => EvaluationScope.Enter(this);
}

/// <summary>
/// Evaluation mode (no dropout, no statistics updates) on the device the parameters live on, for the length of a
/// using block; the previous mode and ambient device come back on dispose, even when the block throws.
/// </summary>
internal readonly struct EvaluationScope : IDisposable
{
    private readonly ITrainableApproximator _approximator;
    private readonly bool _previous;
    private readonly BackendScope.Scope _device;

    private EvaluationScope(ITrainableApproximator approximator)
    {
        _approximator = approximator;
        _previous = approximator.Training;
        approximator.Training = false;
        // New tensors go where the parameters are (ParameterStore.MoveTo).
        _device = BackendScope.Use(approximator.Store.Backend);
    }

    /// <summary>Enters evaluation mode for <paramref name="approximator"/>.</summary>
    public static EvaluationScope Enter(ITrainableApproximator approximator) => new(approximator);

    /// <inheritdoc />
    public void Dispose()
    {
        _device.Dispose();
        _approximator.Training = _previous;
    }
}
