namespace Amortized.Inference.Workflows;

/// <summary>Training settings with BayesFlow-like defaults.</summary>
public sealed record TrainingOptions
{
    /// <summary>Passes over the data (offline) or groups of batches (online).</summary>
    public int Epochs { get; init; } = 30;

    /// <summary>Simulations per gradient step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Online training: batches simulated per epoch.</summary>
    public int BatchesPerEpoch { get; init; } = 100;

    /// <summary>Peak learning rate of Adam.</summary>
    public float LearningRate { get; init; } = 5e-4f;

    /// <summary>Fraction of all steps spent in the linear warm-up before the cosine decay.</summary>
    public double WarmupFraction { get; init; } = 0.05;

    /// <summary>Decoupled weight decay (AdamW); null means 0 online and 1e-4 offline/disk.</summary>
    public float? WeightDecay { get; init; }

    /// <summary>Global gradient-norm clipping; null for none.</summary>
    public float? ClipNorm { get; init; } = 1.5f;

    /// <summary>Offline: fraction of the data held out for validation (0 for none).</summary>
    public double ValidationFraction { get; init; }

    /// <summary>
    /// A separate validation set (raw simulator keys); used instead of a held-out fraction or simulated set.
    /// </summary>
    public Simulators.SimulationBatch? ValidationData { get; init; }

    /// <summary>Online: number of simulations for a fixed validation set (0 for none).</summary>
    public int ValidationSimulations { get; init; }

    /// <summary>Stop after this many epochs without a better validation loss; null never stops early.</summary>
    public int? EarlyStoppingPatience { get; init; }

    /// <summary>At the end (and on early stopping), restore the weights of the best epoch.</summary>
    public bool RestoreBestWeights { get; init; } = true;

    /// <summary>Stop cleanly at the end of the step that exceeds this wall-clock budget.</summary>
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>Stops training cleanly (best weights kept) when cancelled.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Receives one report per step.</summary>
    public IProgress<TrainingProgress>? Progress { get; init; }

    /// <summary>Seed of every random choice in training: simulation, shuffling, dropout, noise.</summary>
    public ulong Seed { get; init; }

    /// <summary>
    /// Training rows given to the networks' data-dependent initialisation (a flow's ConditionalAffine layer) before
    /// the first step of a fresh run: the first rows of the shuffled training set (offline, disk) or this many fresh
    /// simulations (online). 0 skips it; networks without one ignore it.
    /// </summary>
    public int DataInitializationRows { get; init; } = 16384;

    /// <summary>Consecutive non-finite losses after which training stops with an error (best weights kept).</summary>
    public int MaxConsecutiveNonFinite { get; init; } = 20;

    /// <summary>
    /// Called at the end of every epoch, after the history and best weights are updated: the point where a
    /// checkpoint captures a state that resumes exactly.
    /// </summary>
    public Action<Trainer>? OnEpochEnd { get; init; }

    /// <summary>
    /// If set, a checkpoint is written here (atomically) after every epoch, and when the run stops inside an epoch
    /// (time budget, cancellation) one that records the position in it.
    /// </summary>
    public string? CheckpointPath { get; init; }

    /// <summary>
    /// The caller's settings that decide the result besides these options (task, data, network, thread count, ...),
    /// by name: recorded with the checkpoint's own, and a resume with any other value is refused.
    /// </summary>
    public IReadOnlyDictionary<string, string>? RunSettings { get; init; }
}

/// <summary>One step's progress report.</summary>
public sealed record TrainingProgress(int Epoch, int Batch, int BatchesPerEpoch, double Loss,
    double LearningRate, TimeSpan Elapsed);
