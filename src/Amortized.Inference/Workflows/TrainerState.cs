namespace Amortized.Inference.Workflows;

/// <summary>A trainer's resumable state: history, counters, optimizer moments and the best weights so far.</summary>
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
