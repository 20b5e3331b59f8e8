using Amortized.Inference.Serialization;

namespace Amortized.Inference.Workflows;

/// <summary>Train and validation loss per epoch, learning rate, timing and why training stopped.</summary>
public sealed class TrainingHistory
{
    private readonly List<EpochRecord> _epochs = [];

    /// <summary>The epochs in order.</summary>
    public IReadOnlyList<EpochRecord> Epochs => _epochs;

    /// <summary>
    /// Epoch whose weights the model holds at the end (best validation, or last); -1 when a data-dependent
    /// initialisation was better on the validation set than every epoch, and its weights were kept.
    /// </summary>
    public int? BestEpoch { get; internal set; }

    /// <summary>Why training ended: "completed", "early stopping", "time budget", "cancelled".</summary>
    public string StopReason { get; internal set; } = "completed";

    /// <summary>Gradient steps taken.</summary>
    public long Steps { get; internal set; }

    /// <summary>Total seconds.</summary>
    public double Seconds => _epochs.Sum(e => e.Seconds);

    internal void Add(EpochRecord record) => _epochs.Add(record);

    internal void Restore(IEnumerable<EpochRecord> records)
    {
        _epochs.Clear();
        _epochs.AddRange(records);
    }
}
