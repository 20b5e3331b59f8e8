namespace Amortized.Inference.Serialization;

/// <summary>One epoch of training.</summary>
public sealed record EpochRecord(int Epoch, double TrainLoss, double? ValidationLoss,
    double LearningRate, double Seconds,
    int SkippedSteps, int DroppedRows);

/// <summary>
/// A trainer's resumable state: history, counters, optimizer moments and the best weights so far. It is what a
/// <see cref="Checkpoint"/> saves and restores, so serialization never needs the trainer itself.
/// </summary>
public sealed record TrainerState(
    IReadOnlyList<EpochRecord> Epochs,
    long Steps,
    int? BestEpoch,
    long SimulatedBatches,
    long OptimizerStep,
    float[] FirstMoment,
    float[] SecondMoment,
    float[]? BestValues,
    IReadOnlyDictionary<string, double[]>? BestState,
    double BestScore,
    int EpochsWithoutImprovement);
