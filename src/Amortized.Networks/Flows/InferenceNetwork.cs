using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Networks.Flows;

/// <summary>
/// A conditional density q(x | conditions) that can be evaluated and sampled: the contract every inference
/// network (coupling flow, flow matching) meets. Shapes: x (B, D), conditions (B, C) or null, log density (B).
/// </summary>
/// <remarks><see cref="Sample"/> and the condition broadcasting are written once here (BayesFlow's
/// inference_network.py).</remarks>
public abstract class InferenceNetwork : Module
{
    /// <summary>Creates a network over R^D with C condition features (0 for unconditional).</summary>
    protected InferenceNetwork(string name, int dimension, int conditionDim) : base(name)
    {
        if (dimension <= 0)
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "Dimension must be positive.");
        if (conditionDim < 0) throw new ArgumentOutOfRangeException(nameof(conditionDim), conditionDim,
            "Condition dimension must be >= 0.");
        Dimension = dimension;
        ConditionDim = conditionDim;
    }

    /// <summary>D.</summary>
    public int Dimension { get; }

    /// <summary>C.</summary>
    public int ConditionDim { get; }

    /// <summary>
    /// Source of the training noise of networks whose loss is stochastic (flow matching's x0 and t, a diffusion
    /// model's noise levels, a free-form flow's probe vectors); flows with an exact likelihood ignore it. The
    /// approximator replaces it each step with a stream derived from (seed, step), so a resumed run draws the same
    /// noise as an uninterrupted one.
    /// </summary>
    public Rng NoiseRng { get; set; } = new(0);

    /// <summary>
    /// Called by the approximator before each training step with k, the step's index in the whole run (a resumed run
    /// continues the count), so networks whose objective follows training progress (the consistency model's
    /// discretisation curriculum) need not count calls. The default does nothing.
    /// </summary>
    public virtual void BeginStep(long step) { }

    /// <summary>
    /// Called by the trainer before the first step of a fit with K, the planned number of steps (epochs x batches
    /// per epoch). The default does nothing.
    /// </summary>
    public virtual void PlanTraining(long totalSteps) { }

    /// <summary>log q(x | conditions) per row (B).</summary>
    public abstract Tensor LogProb(Tensor x, Tensor? conditions);

    /// <summary>
    /// The training loss per row (B): the negative log density (flows) or the network's own objective. Per row so that
    /// sample weights apply to every family, including those whose density is not differentiable or does not exist.
    /// </summary>
    public virtual Tensor RowLosses(Tensor x, Tensor? conditions) => -LogProb(x, conditions);

    /// <summary>
    /// Whether the loss's value ranks fits across epochs (true for a log density or a fixed regression objective).
    /// False where only its gradient is right (the free-form flow's log-determinant surrogate, whose value is not
    /// the log-determinant) or where the objective itself changes during training (the consistency model's
    /// discretisation curriculum): a trainer then keeps the last epoch instead of the lowest loss and does not stop
    /// early on it.
    /// </summary>
    public virtual bool LossComparesEpochs => true;

    /// <summary>The training loss: the mean of <see cref="RowLosses"/>.</summary>
    public Tensor Loss(Tensor x, Tensor? conditions) => RowLosses(x, conditions).Mean();

    /// <summary>The weighted training loss sum_i w_i l_i / sum_i w_i; weights (B).</summary>
    public Tensor WeightedLoss(Tensor x, Tensor? conditions, Tensor weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        return (RowLosses(x, conditions) * weights).Sum() / weights.Sum();
    }

    /// <summary>
    /// The network's data-dependent initialisation, or null when it has none: the trainer streams (standardised
    /// inference variables, conditions) rows into it before the first step of a fresh run.
    /// </summary>
    public virtual IDataInitializer? CreateDataInitializer() => null;

    /// <summary>
    /// Draws one sample per row of <paramref name="conditions"/> (B, C), or <paramref name="rows"/> unconditional ones.
    /// </summary>
    protected abstract Tensor SampleRows(int rows, Tensor? conditions, Rng rng);

    /// <summary>
    /// Draws <paramref name="numSamples"/> samples per condition without recording gradients. conditions null,
    /// (C) or (1, C) gives (numSamples, D); (B, C) with B &gt; 1 gives (B, numSamples, D).
    /// </summary>
    public Tensor Sample(int numSamples, Tensor? conditions, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (numSamples <= 0)
            throw new ArgumentOutOfRangeException(nameof(numSamples), numSamples, "numSamples must be positive.");
        using var noGrad = Tape.NoGrad();
        if (ConditionDim == 0)
        {
            if (conditions is not null && conditions.Size != 0)
                throw new ArgumentException($"{GetType().Name} '{Name}' is unconditional but got conditions " +
                    $"{conditions.Shape}.", nameof(conditions));
            return SampleRows(numSamples, null, rng);
        }
        if (conditions is null)
            throw new ArgumentException(
                $"{GetType().Name} '{Name}' needs conditions of shape (B, {ConditionDim}).", nameof(conditions));
        var c = conditions.Rank == 1 ? conditions.Reshape(1, conditions.Shape[0]) : conditions;
        if (c.Rank != 2 || c.Shape[1] != ConditionDim)
            throw new ArgumentException($"{GetType().Name} '{Name}': conditions are {conditions.Shape}; expected " +
                $"({ConditionDim},) or (B, {ConditionDim}).", nameof(conditions));
        int b = c.Shape[0];
        var repeat = new int[b * numSamples];
        for (int i = 0; i < repeat.Length; i++) repeat[i] = i / numSamples;
        var draws = SampleRows(b * numSamples, c.IndexSelect(0, repeat), rng);
        return b == 1 ? draws : draws.Reshape(b, numSamples, Dimension);
    }

    /// <summary>Checks x (B, D) and conditions (B, C).</summary>
    protected void CheckInputs(Tensor x, Tensor? conditions)
    {
        FlowChecks.Input(this, x, Dimension);
        FlowChecks.Conditions(this, x, conditions, ConditionDim);
    }
}
