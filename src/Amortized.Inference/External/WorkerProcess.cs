using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.External;

/// <summary>A fault of one worker on one request; the caller turns it into an <see cref="ExternalSimulatorFault"/>.</summary>
internal sealed class WorkerFault(ExternalFaultKind kind, string message) : Exception(message)
{
    public ExternalFaultKind Kind { get; } = kind;
}

/// <summary>
/// One worker process of the simulator protocol (docs/simulator-protocol.md): started with <c>/bin/sh -c</c>, it
/// says hello with an AMZH frame, then answers each JSON request line on stdin with an AMZR (npz bytes) or AMZE
/// (error text) frame on stdout. Used by one thread at a time.
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    /// <summary>The protocol version this host speaks.</summary>
    public const int Protocol = 1;

    private const int HeaderBytes = 12; // 4-byte magic, uint64 little-endian length
    private const int MaxTextFrameBytes = 1 << 20;
    private const int Running = 0, Finished = 1, TimedOut = 2;

    private readonly Process _process;
    private readonly Stream _stdout;
    private readonly Stream _stdin;
    private readonly ReadLimits _limits;
    private readonly Task _stderrReader;
    private int _state;

    public WorkerProcess(int index, string command, ExternalSimulatorOptions options)
    {
        Index = index;
        _limits = options.Limits;
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = options.WorkingDirectory ?? "",
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        if (options.Environment is { } env)
            foreach (var (name, value) in env)
                if (value is null) start.Environment.Remove(name);
                else start.Environment[name] = value;
        start.Environment["AMORTIZED_PROTOCOL"] = Protocol.ToString(CultureInfo.InvariantCulture);
        start.Environment["AMORTIZED_WORKER"] = index.ToString(CultureInfo.InvariantCulture);
        _process = new Process { StartInfo = start };
        try { _process.Start(); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new WorkerFault(ExternalFaultKind.Crash, $"could not start /bin/sh -c '{command}': {e.Message}");
        }
        // stderr is drained on a thread of its own (a worker that logs a lot must never block on a full pipe) into the
        // tail the fault reports quote; _stderrDone lets a report wait for the last lines of a worker that exited.
        StreamReader stderr = _process.StandardError;
        _stderrReader = Task.Factory.StartNew(() =>
        {
            try { while (stderr.ReadLine() is { } line) Stderr.Add(line); }
            catch (Exception e) when (e is IOException or ObjectDisposedException) { }
        }, TaskCreationOptions.LongRunning);
        _stdout = _process.StandardOutput.BaseStream;
        _stdin = _process.StandardInput.BaseStream;
    }

    public int Index { get; }

    /// <summary>Id of the shell process (the worker's parent when the shell does not exec it).</summary>
    public int ShellProcessId => _process.Id;

    /// <summary>The process id the worker reported in its hello (its own), or 0 before the hello.</summary>
    public int WorkerProcessId { get; private set; }

    /// <summary>Whether the hello was read.</summary>
    public bool Ready { get; private set; }

    public StderrTail Stderr { get; } = new();

    /// <summary>Reads the hello frame and checks the protocol version.</summary>
    public void Handshake(TimeSpan timeout)
    {
        WithDeadline(timeout, "say hello", () =>
        {
            var (magic, length) = ReadHeader("a hello frame (AMZH)");
            if (magic != "AMZH")
                throw new WorkerFault(ExternalFaultKind.ProtocolError,
                    $"the first frame is {magic}; expected a hello frame (AMZH).");
            string text = ReadText(length, "hello");
            int version;
            try
            {
                using var doc = JsonDocument.Parse(text);
                version = doc.RootElement.GetProperty("protocol").GetInt32();
                if (doc.RootElement.TryGetProperty("pid", out var pid) && pid.TryGetInt32(out int p))
                    WorkerProcessId = p;
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException
                or FormatException)
            {
                throw new WorkerFault(ExternalFaultKind.ProtocolError,
                    $"the hello '{InputText.Sanitize(text, 80)}' is not a JSON object with an integer \"protocol\".");
            }
            if (version != Protocol)
                throw new WorkerFault(ExternalFaultKind.ProtocolError,
                    $"the worker speaks protocol {version}; this host speaks protocol {Protocol}.");
            return 0;
        });
        Ready = true;
    }

    /// <summary>
    /// Asks for one batch and reads the answer: the batch (every key with <paramref name="batchSize"/> rows checked
    /// by the caller), or a <see cref="WorkerFault"/>.
    /// </summary>
    public SimulationBatch Request(int batchSize, ulong seed, ulong batchIndex, TimeSpan timeout) =>
        WithDeadline(timeout, $"answer batch {batchIndex}", () =>
        {
            string request = string.Create(CultureInfo.InvariantCulture,
                $"{{\"protocol\":{Protocol},\"batch_size\":{batchSize},\"seed\":{seed},\"batch_index\":{batchIndex}}}\n");
            try
            {
                _stdin.Write(Encoding.UTF8.GetBytes(request));
                _stdin.Flush();
            }
            catch (IOException) { throw Exited("before reading its request"); }
            var (magic, length) = ReadHeader("a result (AMZR) or error (AMZE) frame");
            switch (magic)
            {
                case "AMZE":
                    throw new WorkerFault(ExternalFaultKind.WorkerError,
                        "the worker reported an error: " + ReadText(length, "error"));
                case "AMZR":
                    return ReadResult(length);
                default:
                    throw new WorkerFault(ExternalFaultKind.ProtocolError,
                        $"a {magic} frame answered a request; expected AMZR or AMZE.");
            }
        });

    /// <summary>
    /// Runs <paramref name="body"/> with a watchdog that kills the process tree at the deadline, which also ends any
    /// blocking read on its pipes; a read that fails after the watchdog fired is reported as a timeout.
    /// </summary>
    private T WithDeadline<T>(TimeSpan timeout, string what, Func<T> body)
    {
        Volatile.Write(ref _state, Running);
        T result;
        using (new Timer(_ =>
        {
            if (Interlocked.CompareExchange(ref _state, TimedOut, Running) == Running) Kill();
        }, null, timeout, System.Threading.Timeout.InfiniteTimeSpan))
        {
            try { result = body(); }
            catch (Exception e) when (e is WorkerFault or IOException)
            {
                if (Interlocked.CompareExchange(ref _state, Finished, Running) == TimedOut)
                    throw new WorkerFault(ExternalFaultKind.Timeout, string.Create(CultureInfo.InvariantCulture,
                        $"the worker did not {what} within {timeout.TotalSeconds:0.###} s (the timeout); its processes were killed."));
                if (e is IOException io) throw Exited($"({io.Message})");
                throw;
            }
        }
        // The watchdog may have fired just after the answer arrived: the answer stands, the worker is gone.
        if (Interlocked.CompareExchange(ref _state, Finished, Running) == TimedOut) Killed = true;
        return result;
    }

    /// <summary>Whether the watchdog killed the worker after its last answer had arrived (restart it, no fault).</summary>
    public bool Killed { get; private set; }

    private (string Magic, ulong Length) ReadHeader(string expected)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        int got = ReadUpTo(header);
        if (got == 0) throw Exited($"where {expected} was expected");
        string magic = Encoding.ASCII.GetString(header[..Math.Min(got, 4)]);
        if (got < 4 || magic is not ("AMZH" or "AMZR" or "AMZE"))
            throw new WorkerFault(ExternalFaultKind.ProtocolError,
                $"the worker wrote '{InputText.Sanitize(Encoding.UTF8.GetString(header[..got]), 12)}' to stdout " +
                $"where {expected} was expected; stdout carries only frames: log to stderr.");
        if (got < HeaderBytes) throw Exited($"in the middle of a {magic} frame's header ({got} of 12 bytes)");
        return (magic, BinaryPrimitives.ReadUInt64LittleEndian(header[4..]));
    }

    private string ReadText(ulong length, string what)
    {
        if (length > MaxTextFrameBytes)
            throw new WorkerFault(ExternalFaultKind.ProtocolError,
                $"the {what} frame declares {length} bytes; the limit is {MaxTextFrameBytes}.");
        var bytes = new byte[(int)length];
        int got = ReadUpTo(bytes);
        if (got < bytes.Length) throw Exited($"after {got} of the {length} bytes its {what} frame declares");
        return Encoding.UTF8.GetString(bytes);
    }

    private SimulationBatch ReadResult(ulong length)
    {
        // The npz archive may hold at most MaxTotalBytes of arrays; 1 MiB more covers the zip and npy headers of any
        // reasonable number of keys. Checked before anything is allocated or written.
        ulong max = (ulong)_limits.MaxTotalBytes + (1UL << 20);
        if (length > max)
            throw new WorkerFault(ExternalFaultKind.ProtocolError, $"the result frame declares {length} bytes; the " +
                $"limit is {max} (ReadLimits.MaxTotalBytes = {_limits.MaxTotalBytes} plus 1 MiB of archive overhead).");
        // The bytes are gathered in chunks, so memory follows the bytes that really arrive (not the declared length),
        // and the npz is then read by the same reader (and zip-bomb checks) as any .npz file.
        using var archive = new MemoryStream();
        var buffer = new byte[(int)Math.Min(length, 1UL << 16)];
        ulong left = length;
        while (left > 0)
        {
            int n = _stdout.Read(buffer, 0, (int)Math.Min(left, (ulong)buffer.Length));
            if (n == 0) throw Exited($"after {length - left} of the {length} bytes its result frame declares");
            archive.Write(buffer, 0, n);
            left -= (ulong)n;
        }
        archive.Position = 0;
        try { return Npy.ReadBatch(archive, "npz", _limits); }
        catch (InvalidDataException e)
        {
            throw new WorkerFault(ExternalFaultKind.ProtocolError,
                "the result frame is not a valid npz archive of batch arrays: " + e.Message);
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or stdout ends; returns the bytes read.</summary>
    private int ReadUpTo(Span<byte> buffer)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            int n = _stdout.Read(buffer[got..]);
            if (n == 0) break;
            got += n;
        }
        return got;
    }

    private WorkerFault Exited(string when)
    {
        // Give the process a moment to finish exiting and its stderr to drain, for the exit code and the tail.
        string status;
        try
        {
            status = _process.WaitForExit(2000)
                ? $"the worker exited with code {_process.ExitCode}"
                : "the worker closed its stdout";
            _stderrReader.Wait(1000);
        }
        catch (InvalidOperationException) { status = "the worker was stopped"; } // disposed meanwhile
        return new WorkerFault(ExternalFaultKind.Crash, $"{status} {when}.");
    }

    /// <summary>Kills the worker and every process it started.</summary>
    public void Kill()
    {
        try { _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // already exited
        catch (System.ComponentModel.Win32Exception) { } // exiting as we speak
    }

    /// <summary>Kills the process tree and waits for it, so that no zombie is left.</summary>
    public void Dispose()
    {
        try { _stdin.Dispose(); } catch (IOException) { } // EOF asks a well-behaved worker to exit
        Kill();
        _process.WaitForExit(5000);
        _process.Dispose();
    }
}
