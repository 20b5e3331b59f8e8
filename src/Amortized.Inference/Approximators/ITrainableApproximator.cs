using Amortized.Inference.Adapters;
using Amortized.Inference.Simulators;
using Amortized.Networks;
using Amortized.Tensors;

namespace Amortized.Inference.Approximators;

/// <summary>What the trainer needs from an approximator: its adapter, parameters, mode, and a loss.</summary>
public interface ITrainableApproximator
{
    /// <summary>Maps raw batches to network inputs.</summary>
    Adapter Adapter { get; }

    /// <summary>All trainable parameters.</summary>
    ParameterStore Store { get; }

    /// <summary>Training or evaluation mode.</summary>
    bool Training { get; set; }

    /// <summary>Sets the per-step random streams (dropout, training noise) from (seed, step).</summary>
    void BeginStep(ulong seed, long step);

    /// <summary>
    /// Tells the approximator the fit's planned number of steps (epochs x batches per epoch) before its first step,
    /// for networks whose objective follows training progress. The default does nothing.
    /// </summary>
    void PlanTraining(long totalSteps) { }

    /// <summary>The loss of an adapted batch; updates running statistics when asked.</summary>
    Tensor Loss(SimulationBatch adapted, bool updateStatistics);

    /// <summary>
    /// Whether a lower loss means a better fit from one epoch to the next, so the trainer may keep the best epoch
    /// and stop early; false for objectives whose value is not the fit's (see
    /// <see cref="Networks.Flows.InferenceNetwork.LossComparesEpochs"/>), where the last epoch is kept.
    /// </summary>
    bool LossComparesEpochs => true;

    /// <summary>State outside the parameters that must be saved and restored (standardisation statistics).</summary>
    IReadOnlyDictionary<string, double[]> ExportState();

    /// <summary>Restores <see cref="ExportState"/>'s output.</summary>
    void ImportState(IReadOnlyDictionary<string, double[]> state);

    /// <summary>Whether <see cref="InitializeFromData"/> does anything (false unless a network asks for it).</summary>
    bool HasDataInitialization => false;

    /// <summary>
    /// Data-dependent initialisation before the first step of a fresh run, from adapted, finite batches of
    /// training rows (running statistics included). The default does nothing.
    /// </summary>
    void InitializeFromData(IReadOnlyList<SimulationBatch> adapted) { }
}
