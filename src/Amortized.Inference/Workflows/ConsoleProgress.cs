using System.Diagnostics;
using System.Globalization;

namespace Amortized.Inference.Workflows;

/// <summary>
/// Training progress on a console (Keras' progress bar, for <see cref="TrainingOptions.Progress"/>): epoch, batch,
/// the epoch's running mean loss, the learning rate, steps per second and the time left. On a terminal it keeps one
/// line up to date (rewritten at most every <see cref="RefreshInterval"/>) and leaves one line per finished epoch;
/// when the output is redirected (a log file, CI) it writes only the per-epoch lines. The validation loss is known
/// after the epoch, so it appears on the epoch's line when the reporter is attached with
/// <see cref="AttachTo"/> (or <see cref="ConsoleProgressExtensions.WithConsoleProgress"/>), which also hooks
/// <see cref="TrainingOptions.OnEpochEnd"/>.
/// </summary>
/// <example>
/// <code>workflow.FitOnline(new TrainingOptions { Epochs = 20 }.WithConsoleProgress());</code>
/// </example>
public sealed class ConsoleProgress : IProgress<TrainingProgress>
{
    private readonly TextWriter _writer;
    private readonly bool _interactive;
    private readonly Stopwatch _refresh = new();
    private int? _epochs;
    private bool _hooked;
    private int _lastLiveLength;
    private long _steps;
    private TrainingProgress? _last;
    private int _epoch = -1;
    private double _lossSum;
    private int _lossCount;

    /// <summary>Creates a reporter.</summary>
    /// <param name="writer">Where to write; default <see cref="Console.Error"/>, so that the program's own output
    /// on standard output stays clean.</param>
    /// <param name="epochs">The run's epoch count, for the time left; <see cref="AttachTo"/> sets it from the
    /// options.</param>
    /// <param name="interactive">Whether to keep one updating line (carriage returns); default true only for the
    /// console's standard error or output when it is not redirected.</param>
    public ConsoleProgress(TextWriter? writer = null, int? epochs = null, bool? interactive = null)
    {
        if (epochs is < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs,
            "ConsoleProgress: epochs must be at least 1.");
        _writer = writer ?? Console.Error;
        _epochs = epochs;
        _interactive = interactive ?? (ReferenceEquals(_writer, Console.Error) ? !Console.IsErrorRedirected
            : ReferenceEquals(_writer, Console.Out) && !Console.IsOutputRedirected);
    }

    /// <summary>The shortest time between two rewrites of the live line (a terminal cannot show more).</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Whether the reporter keeps one updating line (else it writes plain per-epoch lines).</summary>
    public bool Interactive => _interactive;

    /// <summary>
    /// <paramref name="options"/> with this reporter as <see cref="TrainingOptions.Progress"/> and its epoch line
    /// hooked into <see cref="TrainingOptions.OnEpochEnd"/> (after any hook already there), so each epoch's line
    /// shows its validation loss; the epoch count is taken from the options.
    /// </summary>
    public TrainingOptions AttachTo(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _epochs = options.Epochs;
        _hooked = true;
        Action<Trainer>? previous = options.OnEpochEnd;
        return options with
        {
            Progress = this,
            OnEpochEnd = previous is null ? EpochEnded : trainer => { previous(trainer); EpochEnded(trainer); },
        };
    }

    /// <summary>One optimizer step: updates the live line (on a terminal, at most every refresh interval).</summary>
    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        // A new fit (its clock restarts) counts its own steps for the rate.
        if (_last is not null && value.Elapsed < _last.Elapsed) _steps = 0;
        if (value.Epoch != _epoch)
        {
            _epoch = value.Epoch;
            _lossSum = 0;
            _lossCount = 0;
        }
        if (double.IsFinite(value.Loss)) { _lossSum += value.Loss; _lossCount++; }
        _steps++;
        _last = value;
        bool lastBatch = value.Batch >= value.BatchesPerEpoch - 1;
        // Without the epoch hook the line of the epoch is written at its last batch (no validation loss yet).
        if (lastBatch && !_hooked) { WriteEpochLine(value, validationLoss: null); return; }
        if (!_interactive) return;
        if (_refresh.IsRunning && _refresh.Elapsed < RefreshInterval) return;
        _refresh.Restart();
        WriteLive(Describe(value, live: true));
    }

    /// <summary>
    /// The end of an epoch (<see cref="TrainingOptions.OnEpochEnd"/>): writes the epoch's line with its train and
    /// validation loss.
    /// </summary>
    public void EpochEnded(Trainer trainer)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        _hooked = true;
        var epochs = trainer.History.Epochs;
        if (epochs.Count == 0 || _last is null) return;
        var record = epochs[^1];
        _lossSum = record.TrainLoss;
        _lossCount = 1;
        WriteEpochLine(_last with { Epoch = record.Epoch, Batch = _last.BatchesPerEpoch - 1 }, record.ValidationLoss);
    }

    private void WriteEpochLine(TrainingProgress value, double? validationLoss)
    {
        string text = Describe(value, live: false);
        if (validationLoss is { } v) text += string.Create(CultureInfo.InvariantCulture, $"  val {v:F4}");
        if (_interactive) WriteLive(text);
        else _writer.Write(text);
        _writer.WriteLine();
        _writer.Flush();
        _lastLiveLength = 0;
        _refresh.Reset();
    }

    /// <summary>Rewrites the live line in place, blanking what a longer previous line left.</summary>
    private void WriteLive(string text)
    {
        int pad = Math.Max(0, _lastLiveLength - text.Length);
        _writer.Write('\r');
        _writer.Write(text);
        if (pad > 0) _writer.Write(new string(' ', pad));
        _writer.Flush();
        _lastLiveLength = text.Length;
    }

    private string Describe(TrainingProgress p, bool live)
    {
        var c = CultureInfo.InvariantCulture;
        string epochs = _epochs is { } e ? $"/{e}" : "";
        double loss = _lossCount > 0 ? _lossSum / _lossCount : double.NaN;
        double seconds = p.Elapsed.TotalSeconds;
        double rate = seconds > 0 ? _steps / seconds : double.NaN;
        string text = string.Create(c, $"epoch {p.Epoch + 1}{epochs}");
        if (live) text += string.Create(c, $"  batch {p.Batch + 1}/{p.BatchesPerEpoch}");
        text += string.Create(c, $"  loss {loss:F4}  lr {p.LearningRate:G3}");
        if (double.IsFinite(rate)) text += string.Create(c, $"  {rate:F1} steps/s");
        if (_epochs is { } total && double.IsFinite(rate) && rate > 0)
        {
            long left = (long)(total - p.Epoch - 1) * p.BatchesPerEpoch + (p.BatchesPerEpoch - p.Batch - 1);
            text += "  ETA " + Duration(TimeSpan.FromSeconds(Math.Max(0, left) / rate));
        }
        return text;
    }

    /// <summary><c>m:ss</c>, or <c>h:mm:ss</c> from an hour on.</summary>
    internal static string Duration(TimeSpan t) => t.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}")
        : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}:{t.Seconds:00}");
}

/// <summary>The one-call console progress for training options.</summary>
public static class ConsoleProgressExtensions
{
    /// <summary>
    /// <paramref name="options"/> reporting to the console (<see cref="ConsoleProgress"/>, standard error unless
    /// <paramref name="writer"/> is given): one updating line on a terminal, a line per epoch when redirected.
    /// </summary>
    public static TrainingOptions WithConsoleProgress(this TrainingOptions options, TextWriter? writer = null) =>
        new ConsoleProgress(writer).AttachTo(options);
}
