using System.Collections.Concurrent;
using System.Globalization;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.External;

/// <summary>
/// A simulator in any language, run as <see cref="ExternalSimulatorOptions.Workers"/> long-lived worker processes
/// that speak the simulator protocol (docs/simulator-protocol.md) over their stdin and stdout. Each worker is
/// started with <c>/bin/sh -c "command"</c>; a request names (batch_size, seed, batch_index) and the answer is an
/// npz archive holding every key with batch_size rows. Batch (seed, index) must decide its content alone, so the
/// batches do not depend on the number of workers or on which worker simulated them.
/// </summary>
/// <remarks>
/// <para>Pipelining: <see cref="Sample"/> for training batch i (an index in
/// <see cref="StreamRegistry.TrainingBatches"/>, or a misspecification reference data set in
/// <see cref="StreamRegistry.ReferenceBatches"/>) also asks for batches i+1 .. i+Workers-1 with the same size and
/// seed, so the workers simulate ahead while the network trains; the trainer asks for them in that order.</para>
/// <para>Faults (a worker that exits, hangs past the timeout, writes a malformed frame, reports an error, or sends
/// other keys, per-row shapes or row counts than the first batch) are reported through <see cref="Fault"/> and
/// <see cref="ExternalSimulatorOptions.Log"/>; the worker is restarted and the same request asked again, so the
/// batch's content is unchanged. After <see cref="ExternalSimulatorOptions.MaxRetries"/> retries of one batch or
/// <see cref="ExternalSimulatorOptions.MaxFailures"/> faults in all, every pending and later call throws an
/// <see cref="ExternalSimulatorException"/>. NaN and infinite values are data, not faults: they pass through
/// (the trainer drops such rows).</para>
/// <para>Thread-safe. <see cref="Dispose"/> closes the workers' stdin, kills their process trees and waits for
/// them.</para>
/// </remarks>
public sealed class ExternalSimulator : ISimulator, IDisposable
{
    private readonly ExternalSimulatorOptions _options;
    private readonly TextWriter _log;
    private readonly BlockingCollection<Job> _queue = new();
    private readonly Dictionary<(int Size, ulong Seed, ulong Index), Job> _jobs = [];
    private readonly List<ExternalSimulatorFault> _faults = [];
    private readonly WorkerProcess?[] _workers;
    private readonly Thread[] _threads;
    private readonly Lock _gate = new();
    private readonly Lock _logGate = new();
    private Dictionary<string, int[]>? _schema;
    private ExternalSimulatorException? _fatal;
    private bool _disposed;

    /// <summary>Starts the worker threads; each starts its process with its first request.</summary>
    /// <param name="command">A shell command line, run as <c>/bin/sh -c command</c>, e.g. <c>python3 sim.py</c>.</param>
    /// <param name="options">Workers, timeout, fault budget, working directory and environment.</param>
    public ExternalSimulator(string command, ExternalSimulatorOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        Command = command;
        _options = options ?? new ExternalSimulatorOptions();
        _log = _options.Log ?? Console.Error;
        if (_options.ExpectedSchema is { } expected)
            _schema = expected.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
        _workers = new WorkerProcess?[_options.Workers];
        _threads = new Thread[_options.Workers];
        for (int w = 0; w < _threads.Length; w++)
        {
            int index = w;
            _threads[w] = new Thread(() => Serve(index))
            {
                IsBackground = true,
                Name = $"external simulator worker {w}",
            };
            _threads[w].Start();
        }
    }

    /// <summary>The shell command every worker runs.</summary>
    public string Command { get; }

    /// <summary>Raised (on a worker thread) for every fault, before the worker is restarted.</summary>
    public event EventHandler<ExternalSimulatorFault>? Fault;

    /// <summary>Every fault so far.</summary>
    public IReadOnlyList<ExternalSimulatorFault> Faults
    {
        get { lock (_gate) return [.. _faults]; }
    }

    /// <summary>
    /// The keys and per-row shapes every batch must have: <see cref="ExternalSimulatorOptions.ExpectedSchema"/>, or
    /// those of the first batch received; null before that.
    /// </summary>
    public IReadOnlyDictionary<string, int[]>? Schema
    {
        get { lock (_gate) return _schema; }
    }

    /// <summary>
    /// Process ids of the running workers: the shell of each, and the id the worker reported in its hello (the
    /// worker itself, when the shell did not exec it); for tests and monitoring.
    /// </summary>
    public IReadOnlyList<int> ProcessIds
    {
        get
        {
            lock (_gate)
            {
                var ids = new List<int>();
                foreach (var p in _workers)
                    if (p is not null)
                    {
                        ids.Add(p.ShellProcessId);
                        if (p.WorkerProcessId > 0 && p.WorkerProcessId != p.ShellProcessId) ids.Add(p.WorkerProcessId);
                    }
                return ids;
            }
        }
    }

    /// <summary>
    /// Simulates batch <paramref name="options"/>.BatchIndex of <paramref name="batchSize"/> rows under
    /// <paramref name="seed"/>: every key as (B, ..per-row shape). Only <see cref="SampleOptions.BatchIndex"/> and
    /// <see cref="SampleOptions.NonFinite"/> apply; fixed values, given inputs and rejection sampling belong in the
    /// external program and are refused.
    /// </summary>
    /// <exception cref="ExternalSimulatorException">The fault budget is spent.</exception>
    public SimulationBatch Sample(int batchSize, ulong seed, SampleOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        options ??= new SampleOptions();
        if (options.FixedValues is { Count: > 0 } || options.Given is not null || options.Accept is not null)
            throw new NotSupportedException("ExternalSimulator: fixed values, given inputs and Accept are not " +
                "supported; the external program decides every key of a batch from (seed, batch_index).");
        Job job;
        lock (_gate)
        {
            if (_fatal is not null) throw _fatal;
            ObjectDisposedException.ThrowIf(_disposed, this);
            var key = (batchSize, seed, options.BatchIndex);
            if (!_jobs.Remove(key, out job!)) job = Enqueue(key, keep: false);
            if (PipelinedRange(options.BatchIndex) is { } range) Pipeline(key, range);
        }
        SimulationBatch batch = job.Result.Task.GetAwaiter().GetResult();
        return options.NonFinite == NonFiniteHandling.Keep ? batch : ApplyNonFinite(batch, options.NonFinite);
    }

    /// <summary>
    /// Schedules the next Workers-1 training batches after <paramref name="key"/>, and forgets scheduled batches of
    /// the same size and seed that fall outside that window (a caller that jumped ahead or back).
    /// </summary>
    private void Pipeline((int Size, ulong Seed, ulong Index) key, ReservedRange range)
    {
        ulong last = key.Index + Math.Min((ulong)(_options.Workers - 1), range.Last - key.Index);
        foreach (var (k, stale) in _jobs.ToArray())
            if (k.Size == key.Size && k.Seed == key.Seed && range.Contains(k.Index)
                && (k.Index < key.Index || k.Index > last))
            {
                stale.Abandoned = true;
                _jobs.Remove(k);
            }
        for (ulong i = key.Index + 1; i <= last; i++)
            if (!_jobs.ContainsKey((key.Size, key.Seed, i))) Enqueue((key.Size, key.Seed, i), keep: true);
    }

    /// <summary>
    /// The reserved range of batch indices asked for in increasing order (training batches, misspecification
    /// reference data sets) that <paramref name="index"/> lies in, or null.
    /// </summary>
    private static ReservedRange? PipelinedRange(ulong index) =>
        StreamRegistry.TrainingBatches.Contains(index) ? StreamRegistry.TrainingBatches
        : StreamRegistry.ReferenceBatches.Contains(index) ? StreamRegistry.ReferenceBatches
        : null;

    private Job Enqueue((int Size, ulong Seed, ulong Index) key, bool keep)
    {
        var job = new Job(key.Size, key.Seed, key.Index);
        if (keep) _jobs[key] = job;
        _queue.Add(job);
        return job;
    }

    /// <summary>One worker thread: takes requests in order, restarting its process after a fault.</summary>
    private void Serve(int w)
    {
        try
        {
            foreach (Job job in _queue.GetConsumingEnumerable())
            {
                if (job.Abandoned) continue;
                while (true)
                {
                    ExternalSimulatorException? fatal;
                    lock (_gate) fatal = _fatal;
                    if (fatal is not null)
                    {
                        job.Result.TrySetException(fatal);
                        break;
                    }
                    job.Attempts++;
                    WorkerProcess? process = null;
                    try
                    {
                        process = Worker(w);
                        if (!process.Ready) process.Handshake(_options.StartTimeout);
                        SimulationBatch batch = process.Request(job.Size, job.Seed, job.Index, _options.Timeout);
                        if (process.Killed) Restart(w);
                        Check(batch, job.Size);
                        job.Result.TrySetResult(batch);
                        break;
                    }
                    catch (ObjectDisposedException e)
                    {
                        job.Result.TrySetException(e);
                        break;
                    }
                    catch (Exception e) when (e is not WorkerFault)
                    {
                        // A bug or a failure of the host itself (out of memory, say): not the
                        // worker's fault, and not retried; the caller sees it rather than the thread dying.
                        job.Result.TrySetException(e);
                        break;
                    }
                    catch (WorkerFault f)
                    {
                        string tail = process?.Stderr.ToString() ?? "";
                        // After an error frame the worker is still in step; anything else may leave it out of step.
                        if (f.Kind != ExternalFaultKind.WorkerError) Restart(w);
                        OnFault(new ExternalSimulatorFault(w, f.Kind, job.Size, job.Seed, job.Index, job.Attempts,
                            f.Message, tail), job);
                    }
                }
            }
        }
        catch (ObjectDisposedException) { } // disposed while waiting for a request
        finally { Restart(w); }
    }

    private WorkerProcess Worker(int w)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _workers[w] ??= new WorkerProcess(w, Command, _options);
        }
    }

    private void Restart(int w)
    {
        WorkerProcess? old;
        lock (_gate)
        {
            old = _workers[w];
            _workers[w] = null;
        }
        old?.Dispose();
    }

    /// <summary>Checks the row count, then the keys and per-row shapes against the schema (set by the first batch).</summary>
    private void Check(SimulationBatch batch, int batchSize)
    {
        if (batch.BatchSize != batchSize || batch.Count == 0)
            throw new WorkerFault(ExternalFaultKind.WrongOutput, batch.Count == 0
                ? "the result holds no arrays."
                : $"the result has {batch.BatchSize} rows (key '{batch.Keys[0]}' has shape " +
                  $"{ShapeText.Format(batch.Shape(batch.Keys[0]))}); expected batch_size = {batchSize}.");
        lock (_gate)
        {
            if (_schema is null)
            {
                _schema = batch.Keys.ToDictionary(k => k, k => batch.Shape(k)[1..].ToArray(), StringComparer.Ordinal);
                return;
            }
            string source = _options.ExpectedSchema is null ? "the first batch" : "ExpectedSchema";
            foreach (string key in batch.Keys)
                if (!_schema.ContainsKey(key))
                    throw new WorkerFault(ExternalFaultKind.WrongOutput, $"the result has key '{key}', which " +
                        $"{source} does not; expected keys: {string.Join(", ", _schema.Keys.Order(StringComparer.Ordinal))}.");
            foreach (var (key, shape) in _schema)
            {
                if (!batch.Contains(key))
                    throw new WorkerFault(ExternalFaultKind.WrongOutput, $"the result lacks key '{key}', which " +
                        $"{source} has; got keys: {string.Join(", ", batch.Keys.Order(StringComparer.Ordinal))}.");
                ReadOnlySpan<int> actual = batch.Shape(key)[1..];
                if (!actual.SequenceEqual(shape))
                    throw new WorkerFault(ExternalFaultKind.WrongOutput, $"key '{key}' has per-row shape " +
                        $"{ShapeText.Format(actual)}; expected {ShapeText.Format(shape)} as in {source}.");
            }
        }
    }

    /// <summary>Records a fault, reports it, and ends the run when the batch's retries or the fault budget are spent.</summary>
    private void OnFault(ExternalSimulatorFault fault, Job job)
    {
        ExternalSimulatorException? fatal = null;
        lock (_gate)
        {
            if (_disposed) return; // a worker killed by Dispose is no fault
            _faults.Add(fault);
            if (_fatal is null)
            {
                if (_faults.Count > _options.MaxFailures)
                    fatal = new ExternalSimulatorException(string.Create(CultureInfo.InvariantCulture,
                        $"external simulator '{Command}': {_faults.Count} faults exceed MaxFailures = " +
                        $"{_options.MaxFailures}; the last: {fault}"), fault, [.. _faults]);
                else if (job.Attempts > _options.MaxRetries)
                    fatal = new ExternalSimulatorException(string.Create(CultureInfo.InvariantCulture,
                        $"external simulator '{Command}': batch {job.Index} failed {job.Attempts} times " +
                        $"(MaxRetries = {_options.MaxRetries}); the last fault: {fault}"), fault, [.. _faults]);
                _fatal = fatal;
            }
        }
        // A failing log or handler must neither kill this worker thread nor hide the fault from the caller.
        try
        {
            lock (_logGate) _log.WriteLine(fault.ToString());
            Fault?.Invoke(this, fault);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            System.Diagnostics.Trace.WriteLine($"ExternalSimulator: reporting a fault failed: {e.Message}");
        }
        if (fatal is not null) FailPending(fatal);
    }

    /// <summary>Fails every request not yet answered.</summary>
    private void FailPending(Exception error)
    {
        lock (_gate)
        {
            foreach (Job pending in _jobs.Values) pending.Result.TrySetException(error);
            _jobs.Clear();
        }
        // Jobs still queued (including those a caller waits on but that are not kept in _jobs).
        while (_queue.TryTake(out Job? queued)) queued.Result.TrySetException(error);
    }

    private static SimulationBatch ApplyNonFinite(SimulationBatch batch, NonFiniteHandling handling)
    {
        var kept = NonFiniteRows.Drop(batch, out int dropped);
        if (dropped > 0 && handling == NonFiniteHandling.Throw)
            throw new InvalidDataException(
                $"ExternalSimulator: {dropped} of {batch.BatchSize} rows hold NaN or infinite values.");
        return kept;
    }

    /// <summary>Stops the workers: closes their stdin, kills their process trees and waits for them to exit.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _queue.CompleteAdding();
        var error = new ObjectDisposedException(nameof(ExternalSimulator));
        FailPending(error);
        // Killing the processes unblocks the threads waiting on their answers; each thread then disposes its own
        // worker (reaping the process), so no process object is disposed under a thread that still reads from it.
        lock (_gate) foreach (var p in _workers) p?.Kill();
        foreach (Thread t in _threads) t.Join(TimeSpan.FromSeconds(10));
        for (int w = 0; w < _workers.Length; w++) Restart(w); // any worker of a thread that did not end in time
    }

    private sealed class Job(int size, ulong seed, ulong index)
    {
        public int Size { get; } = size;
        public ulong Seed { get; } = seed;
        public ulong Index { get; } = index;
        public int Attempts { get; set; }
        public volatile bool Abandoned;
        public TaskCompletionSource<SimulationBatch> Result { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
