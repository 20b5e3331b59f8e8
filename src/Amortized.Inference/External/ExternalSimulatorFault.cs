using System.Globalization;
using System.Text;

namespace Amortized.Inference.External;

/// <summary>What went wrong with a worker.</summary>
public enum ExternalFaultKind
{
    /// <summary>The worker's process exited (or closed its stdout) before answering.</summary>
    Crash,
    /// <summary>
    /// The worker did not say hello within <see cref="ExternalSimulatorOptions.StartTimeout"/> or answer a request within
    /// <see cref="ExternalSimulatorOptions.Timeout"/>.
    /// </summary>
    Timeout,
    /// <summary>The worker wrote something other than a well-formed frame, or an oversized one.</summary>
    ProtocolError,
    /// <summary>The worker reported an error for the request (an AMZE frame, e.g. a Python exception).</summary>
    WorkerError,
    /// <summary>The batch had other keys, per-row shapes or row count than expected.</summary>
    WrongOutput,
}

/// <summary>One fault of one worker on one request.</summary>
/// <param name="Worker">Index of the worker (0-based; its AMORTIZED_WORKER).</param>
/// <param name="Kind">What went wrong.</param>
/// <param name="BatchSize">Rows asked for.</param>
/// <param name="Seed">Seed of the request.</param>
/// <param name="BatchIndex">Batch index of the request.</param>
/// <param name="Attempt">1 for the first try of this batch, 2 for its first retry, ...</param>
/// <param name="Reason">What happened, with expected and actual values.</param>
/// <param name="StderrTail">The last lines (at most 20, 4 KB) the worker wrote to stderr.</param>
public sealed record ExternalSimulatorFault(int Worker, ExternalFaultKind Kind, int BatchSize, ulong Seed,
    ulong BatchIndex, int Attempt, string Reason, string StderrTail)
{
    /// <summary>A few lines for a log: the worker, the request, the reason and the stderr tail.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture,
            $"external simulator: worker {Worker}: {Kind} on batch {BatchIndex} (batch_size {BatchSize}, seed {Seed}, " +
            $"attempt {Attempt}): {Reason}");
        if (StderrTail.Length > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\n  last lines of worker {Worker}'s stderr:");
            foreach (string line in StderrTail.Split('\n')) sb.Append("\n    | ").Append(line);
        }
        return sb.ToString();
    }
}

/// <summary>
/// An external simulator gave up: one batch faulted more than <see cref="ExternalSimulatorOptions.MaxRetries"/>
/// times, or the run's faults exceeded <see cref="ExternalSimulatorOptions.MaxFailures"/>. The message holds the
/// report of the last fault, stderr tail included.
/// </summary>
public sealed class ExternalSimulatorException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ExternalSimulatorException(string message, ExternalSimulatorFault lastFault,
        IReadOnlyList<ExternalSimulatorFault> faults)
        : base(message)
    {
        LastFault = lastFault;
        Faults = faults;
    }

    /// <summary>The fault that ended the run.</summary>
    public ExternalSimulatorFault LastFault { get; }

    /// <summary>Every fault of the run, in the order they happened.</summary>
    public IReadOnlyList<ExternalSimulatorFault> Faults { get; }
}
