using System.Diagnostics;
using System.Text.RegularExpressions;
using Amortized.Inference.FileFormats;

namespace Amortized.Cli;

/// <summary>
/// The one writer of a run folder. It holds <c>.lock</c> exclusively while it runs (a second writer is refused),
/// writes the new files into the staging folder <c>.pending</c> (<see cref="Staged"/>) and then commits them all
/// at once with a redo log:
/// <list type="number">
/// <item>the staged files and folders are flushed to disk;</item>
/// <item><c>.commit</c>, a list of "put NAME" (move the staged NAME into the folder) and "delete NAME" (remove the
/// previous run's NAME that the new run does not have), is written atomically: this rename is the commit point;</item>
/// <item>the moves and deletions are applied, the folder is flushed, <c>.commit</c> and <c>.pending</c> removed.</item>
/// </list>
/// A crash before the commit point leaves the previous run untouched (the next writer discards <c>.pending</c>); a
/// crash after it leaves a redo log that the next reader or writer applies again (every step of it can be repeated),
/// giving the new run. Stale temporary files of killed atomic writes are removed when a writer starts.
/// </summary>
/// <remarks>
/// The locks are advisory file locks (.NET takes flock on Unix for <see cref="FileShare.None"/> and shared ones
/// otherwise); they are released by the kernel when a process dies, so a killed run never leaves the folder locked.
/// Readers take <c>.commit-lock</c> shared while they read the run description and the model; a commit takes it
/// exclusively for its few renames, so readers never see half a commit.
/// </remarks>
internal sealed class RunFolderWriter : IDisposable
{
    public const string LockName = ".lock", CommitLockName = ".commit-lock", PendingName = ".pending",
        CommitName = ".commit";

    /// <summary>How long a reader waits for a commit in progress, and a commit for readers, before giving up.</summary>
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(30);

    private readonly FileStream _lock;

    /// <summary>
    /// Test hook: called with the folder and each step of a commit in it ("flushed", "logged", "put NAME",
    /// "delete NAME", "applied", "cleaned") so a test can stop the commit there as a crash would (null in normal use).
    /// </summary>
    internal static Action<string, string>? AfterCommitStep;

    private RunFolderWriter(RunFolder folder, FileStream lockStream)
    {
        Folder = folder;
        _lock = lockStream;
        Staged = new RunFolder(Path.Combine(folder.Path, PendingName));
    }

    /// <summary>The run folder.</summary>
    public RunFolder Folder { get; }

    /// <summary>The staging folder: every file of the new run is written here, then committed.</summary>
    public RunFolder Staged { get; }

    /// <summary>
    /// Creates <paramref name="path"/> if needed, takes its lock (a clear error when another run holds it), finishes
    /// or discards what a killed writer left, and starts an empty staging folder.
    /// </summary>
    /// <param name="path">The folder, as the user gave it (used in messages).</param>
    /// <param name="option">The option that named it (for example "--out"), used in messages.</param>
    public static RunFolderWriter Acquire(string path, string option)
    {
        if (File.Exists(path))
            throw new UsageException($"{option} '{path}' is a file; expected a folder (it is created if missing).");
        var folder = new RunFolder(path);
        FileStream lockStream;
        try
        {
            Directory.CreateDirectory(folder.Path);
            lockStream = TryLock(Path.Combine(folder.Path, LockName), FileShare.None)
                ?? throw new UsageException($"{option} '{path}' is in use: another run is writing it (it holds " +
                    $"'{Path.Combine(folder.Path, LockName)}'); wait for that run to finish or choose another folder.");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UsageException($"{option} '{path}' cannot be written: {e.Message}");
        }
        var writer = new RunFolderWriter(folder, lockStream);
        try
        {
            Recover(folder.Path);
            RemoveStaleTemporaries(folder.Path);
            RemoveStaleTemporaries(folder.Figures);
            Directory.CreateDirectory(writer.Staged.Path);
        }
        catch
        {
            writer.Dispose();
            throw;
        }
        return writer;
    }

    /// <summary>
    /// Commits the staged files: each of <paramref name="names"/> present in <see cref="Staged"/> replaces the
    /// folder's, each absent one is removed from the folder (it belonged to the previous run).
    /// </summary>
    public void Commit(IEnumerable<string> names)
    {
        FlushTree(Staged.Path);
        AfterCommitStep?.Invoke(Folder.Path, "flushed");
        var log = names.Select(n => (Exists(Path.Combine(Staged.Path, n)) ? "put " : "delete ") + n);
        using (AcquireWaiting(Path.Combine(Folder.Path, CommitLockName), FileShare.None, "readers of the folder"))
        {
            AtomicFile.WriteAllText(Path.Combine(Folder.Path, CommitName), string.Join("\n", log) + "\n");
            PosixFiles.FlushDirectory(Folder.Path);
            AfterCommitStep?.Invoke(Folder.Path, "logged");
            Apply(Folder.Path);
        }
    }

    /// <summary>
    /// <paramref name="message"/> with the hidden paths of this writer (staged files, temporary files of atomic
    /// writes) replaced by the user's paths they stand for, so an error (a full disk, say) names a file the user knows.
    /// </summary>
    public string InUserTerms(string message)
    {
        string staged = Regex.Escape(Staged.Path + Path.DirectorySeparatorChar);
        string folder = Regex.Escape(Folder.Path + Path.DirectorySeparatorChar);
        return Regex.Replace(message, $"({staged}|{folder})([^'\"]*?)(?:\\.([^/'\"]+)\\.[0-9a-f]{{32}}\\.tmp)?(?=['\"]|$)",
            m => Path.Combine(Folder.Path, m.Groups[2].Value + m.Groups[3].Value));
    }

    /// <summary>Releases the lock (staged files of an uncommitted run are discarded by the next writer).</summary>
    public void Dispose() => _lock.Dispose();

    /// <summary>
    /// For readers: applies the redo log of a commit that a killed writer left, so the folder holds the new run.
    /// A writer committing right now is waited for; without write access the reader cannot finish it and says so.
    /// </summary>
    public static void FinishInterruptedCommit(RunFolder folder)
    {
        string log = Path.Combine(folder.Path, CommitName);
        if (!File.Exists(log)) return;
        var clock = Stopwatch.StartNew();
        while (File.Exists(log))
        {
            FileStream? held;
            try { held = TryLock(Path.Combine(folder.Path, LockName), FileShare.None); }
            catch (UnauthorizedAccessException)
            {
                throw new UsageException($"model folder '{folder.Path}' holds an unfinished commit ('{log}') and " +
                    "cannot be written to finish it; open it once with write access (any command does).");
            }
            if (held is not null)
            {
                using (held) Recover(folder.Path);
                return;
            }
            // A live writer holds the lock and is committing: its commit takes milliseconds.
            if (clock.Elapsed > LockWait)
                throw new UsageException($"model folder '{folder.Path}' is being committed by another run that " +
                    $"has not finished in {LockWait.TotalSeconds:F0} s; try again later.");
            Thread.Sleep(20);
        }
    }

    /// <summary>
    /// A shared lock that keeps commits out while a reader reads the run description and the model (none when the
    /// folder has no lock file and cannot be written: nothing can commit there).
    /// </summary>
    public static IDisposable? ReadLock(RunFolder folder)
    {
        string path = Path.Combine(folder.Path, CommitLockName);
        try { return AcquireWaiting(path, FileShare.ReadWrite, "a commit of another run"); }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Finishes a committed redo log, or discards the staging of a writer that never committed.</summary>
    private static void Recover(string folder)
    {
        if (File.Exists(Path.Combine(folder, CommitName)))
        {
            // Readers of the folder wait for the renames as they wait for a live commit's.
            using (AcquireWaiting(Path.Combine(folder, CommitLockName), FileShare.None, "readers of the folder"))
                Apply(folder);
        }
        else if (Directory.Exists(Path.Combine(folder, PendingName)))
        {
            Directory.Delete(Path.Combine(folder, PendingName), recursive: true);
            PosixFiles.FlushDirectory(folder);
        }
    }

    /// <summary>Applies the redo log; every step can be repeated after a crash with the same result.</summary>
    private static void Apply(string folder)
    {
        string pending = Path.Combine(folder, PendingName), log = Path.Combine(folder, CommitName);
        foreach (string line in File.ReadAllLines(log))
        {
            if (line.Length == 0) continue;
            int space = line.IndexOf(' ');
            string verb = space < 0 ? line : line[..space], name = space < 0 ? "" : line[(space + 1)..];
            // Only plain names of this folder: a log edited to name '../x' must not move or delete anything else.
            if (name.Length == 0 || name != Path.GetFileName(name) || name is "." or ".." || verb is not ("put" or "delete"))
                throw new InvalidDataException($"commit log '{log}': line '{line}' is not 'put NAME' or " +
                    "'delete NAME' with NAME a file of the folder; remove the log to keep the previous run.");
            string target = Path.Combine(folder, name), staged = Path.Combine(pending, name);
            if (verb == "put")
            {
                if (Directory.Exists(staged))
                {
                    Delete(target);
                    Directory.Move(staged, target);
                }
                else if (File.Exists(staged)) File.Move(staged, target, overwrite: true);
                // Neither: moved before a crash.
            }
            else Delete(target);
            AfterCommitStep?.Invoke(folder, line);
        }
        PosixFiles.FlushDirectory(folder);
        File.Delete(log);
        AfterCommitStep?.Invoke(folder, "applied");
        if (Directory.Exists(pending)) Directory.Delete(pending, recursive: true);
        PosixFiles.FlushDirectory(folder);
        AfterCommitStep?.Invoke(folder, "cleaned");
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path);

    private static void Delete(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else if (File.Exists(path)) File.Delete(path);
    }

    /// <summary>
    /// Removes the <c>.NAME.GUID.tmp</c> files that a killed atomic write (<see cref="AtomicFile"/>) leaves; only a
    /// lock holder calls this, so no live write of this folder owns them.
    /// </summary>
    private static void RemoveStaleTemporaries(string folder)
    {
        if (!Directory.Exists(folder)) return;
        foreach (string file in Directory.EnumerateFiles(folder, ".*.tmp")) File.Delete(file);
    }

    /// <summary>Opens <paramref name="path"/> with the lock <paramref name="share"/> implies; null when held.</summary>
    private static FileStream? TryLock(string path, FileShare share)
    {
        try
        {
            // Read access is enough for a shared lock, so readers of a read-only folder can take one.
            return new FileStream(path, FileMode.OpenOrCreate,
                share == FileShare.None ? FileAccess.ReadWrite : FileAccess.Read, share);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException
            and not PathTooLongException && File.Exists(path))
        {
            return null;   // a sharing violation: another process (or stream) holds the lock
        }
    }

    private static FileStream AcquireWaiting(string path, FileShare share, string holder)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (TryLock(path, share) is { } stream) return stream;
            if (clock.Elapsed > LockWait)
                throw new IOException($"'{path}' stayed locked by {holder} for {LockWait.TotalSeconds:F0} s.");
            Thread.Sleep(20);
        }
    }

    /// <summary>Flushes every file and folder under <paramref name="root"/>, and it, to disk.</summary>
    private static void FlushTree(string root)
    {
        foreach (string file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.Read))
                stream.Flush(flushToDisk: true);
        foreach (string directory in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories))
            PosixFiles.FlushDirectory(directory);
        PosixFiles.FlushDirectory(root);
    }
}
