using Amortized.Inference.FileFormats;

namespace Amortized.Inference.External;

/// <summary>
/// Options of an <see cref="ExternalSimulator"/>: how many worker processes, how long a batch may take, how many
/// faults are tolerated, and where and with which environment the workers run.
/// </summary>
public sealed record ExternalSimulatorOptions
{
    /// <summary>Worker processes simulating in parallel (default <see cref="System.Environment.ProcessorCount"/>).</summary>
    public int Workers
    {
        get;
        init => field = value > 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(Workers), value, "must be at least 1.");
    } = System.Environment.ProcessorCount;

    /// <summary>
    /// Longest a worker may take to answer one request (default 60 s); past it the worker's process tree is killed and
    /// the request counts as a fault.
    /// </summary>
    public TimeSpan Timeout
    {
        get;
        init => field = Checked(value);
    } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Longest a worker may take to say hello after it starts (default 60 s): apart from <see cref="Timeout"/>, since an
    /// interpreter may take far longer to start (imports, a JIT) than to simulate a batch.
    /// </summary>
    public TimeSpan StartTimeout
    {
        get;
        init => field = Checked(value);
    } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Retries of one batch after a fault (default 3): the batch is asked again, with the same seed and index, of a
    /// restarted worker; one more fault on it ends the run with an <see cref="ExternalSimulatorException"/>.
    /// </summary>
    public int MaxRetries
    {
        get;
        init => field = value >= 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxRetries), value, "must not be negative.");
    } = 3;

    /// <summary>
    /// Faults tolerated over the simulator's life, all workers and batches together (default 10); one more ends the
    /// run with an <see cref="ExternalSimulatorException"/>.
    /// </summary>
    public int MaxFailures
    {
        get;
        init => field = value >= 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxFailures), value, "must not be negative.");
    } = 10;

    /// <summary>Working directory of the workers (default: the host's current directory).</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// Variables added to (or, with a null value, removed from) the environment the workers inherit;
    /// AMORTIZED_PROTOCOL and AMORTIZED_WORKER are always set by the host.
    /// </summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>
    /// The keys every batch must hold and the per-row shape of each (a batch of B rows holds (B, ..shape) under the
    /// key). When null, the first batch received defines them and every later batch must match it.
    /// </summary>
    public IReadOnlyDictionary<string, int[]>? ExpectedSchema { get; init; }

    /// <summary>
    /// Limits on what a worker may send: a result frame may declare at most <see cref="ReadLimits.MaxTotalBytes"/>
    /// plus 1 MiB of archive overhead, and its npz content is read with these limits (default
    /// <see cref="ReadLimits.Default"/>).
    /// </summary>
    public ReadLimits Limits { get; init; } = ReadLimits.Default;

    /// <summary>
    /// Where a fault report is written (a few lines: the worker, the batch, the reason, the tail of its stderr);
    /// default <see cref="Console.Error"/>, <see cref="TextWriter.Null"/> to keep quiet. Faults are also raised as
    /// <see cref="ExternalSimulator.Fault"/> events.
    /// </summary>
    public TextWriter? Log { get; init; }

    private static TimeSpan Checked(TimeSpan value,
        [System.Runtime.CompilerServices.CallerMemberName] string name = "") =>
        value > TimeSpan.Zero && value.TotalMilliseconds < int.MaxValue ? value
            : throw new ArgumentOutOfRangeException(name, value, "must be positive and under 24 days.");
}
