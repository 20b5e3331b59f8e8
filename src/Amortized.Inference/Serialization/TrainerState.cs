namespace Amortized.Inference.Serialization;

/// <summary>One epoch of training.</summary>
public sealed record EpochRecord(int Epoch, double TrainLoss, double? ValidationLoss,
    double LearningRate, double Seconds,
    int SkippedSteps, int DroppedRows);

/// <summary>
/// Where a run stopped inside the epoch after the last completed one: the next batch of that epoch's order and the
/// epoch's running totals, so a resumed run takes exactly the batches the uninterrupted one would have.
/// </summary>
/// <param name="NextBatch">Index, in the epoch's batch order, of the first batch not yet trained on.</param>
/// <param name="LossSum">Sum of the finite losses of the epoch's batches so far.</param>
/// <param name="LossCount">Number of those losses.</param>
/// <param name="SkippedSteps">Steps skipped so far in the epoch.</param>
/// <param name="DroppedRows">Non-finite rows dropped so far in the epoch.</param>
/// <param name="Seconds">Seconds spent in the epoch so far.</param>
public sealed record EpochPosition(int NextBatch, double LossSum, int LossCount, int SkippedSteps, int DroppedRows,
    double Seconds);

/// <summary>
/// A trainer's resumable state: history, counters, optimizer moments and the best weights so far. It is what a
/// <see cref="Checkpoint"/> saves and restores, so serialization never needs the trainer itself.
/// </summary>
/// <param name="Epochs">The completed epochs.</param>
/// <param name="Steps">Gradient steps taken.</param>
/// <param name="BestEpoch">Epoch of the best weights so far (-1: the data-dependent initialisation), or null.</param>
/// <param name="SimulatedBatches">Online: index of the next batch to simulate.</param>
/// <param name="OptimizerStep">Adam's step counter.</param>
/// <param name="FirstMoment">Adam's first moments, one per parameter.</param>
/// <param name="SecondMoment">Adam's second moments, one per parameter.</param>
/// <param name="BestValues">The best weights so far, one per parameter, or null.</param>
/// <param name="BestState">The approximator's state with the best weights, or null.</param>
/// <param name="BestScore">The best validation (or training) loss so far.</param>
/// <param name="EpochsWithoutImprovement">Epochs since the best one, for early stopping.</param>
/// <param name="Position">Null at an epoch boundary; else where the run stopped inside the next epoch.</param>
/// <param name="ConsecutiveNonFinite">Non-finite steps in a row so far (training stops after too many).</param>
/// <param name="Settings">
/// The settings that decide the result (seed, batch size, schedule, and the caller's own such as the task, data,
/// network and thread count), by name; a resume with any other value is refused. Null: not recorded.
/// </param>
/// <param name="Source">Where the state was read from (a checkpoint's path), for error messages; null in memory.</param>
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
    int EpochsWithoutImprovement,
    EpochPosition? Position = null,
    int ConsecutiveNonFinite = 0,
    IReadOnlyDictionary<string, string>? Settings = null,
    string? Source = null)
{
    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming the first setting whose value differs from
    /// <paramref name="current"/> (or is missing from either side): resuming then would not end as the
    /// uninterrupted run.
    /// </summary>
    public void EnsureSameSettings(IReadOnlyDictionary<string, string> current)
    {
        ArgumentNullException.ThrowIfNull(current);
        string source = Source is null ? "the trainer state" : $"checkpoint '{Source}'";
        if (Settings is null)
            throw new ArgumentException($"resume: {source} records no training settings (written by an older " +
                "version), so it cannot be resumed exactly; start the run afresh.");
        foreach (string key in Settings.Keys.Union(current.Keys).Order(StringComparer.Ordinal))
        {
            string? was = Settings.GetValueOrDefault(key), now = current.GetValueOrDefault(key);
            if (was == now) continue;
            throw new ArgumentException($"resume: {source} was written with {key} {was ?? "(not set)"}, this run " +
                $"has {key} {now ?? "(not set)"}; resume with the same settings, or start afresh without resuming.");
        }
    }
}
