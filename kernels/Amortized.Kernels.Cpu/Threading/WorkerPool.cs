using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Amortized.Kernels.Cpu;

/// <summary>
/// The worker threads behind <see cref="KernelThreading.For"/>. One job is in flight at a time (guarded by
/// <see cref="TryEnter"/>); its description lives in static fields that only change between jobs.
/// </summary>
/// <remarks>
/// Protocol. The dispatcher fills the job fields, opens `participants` seats for the generation, then publishes a
/// ticket = (generation &lt;&lt; 16 | participants) with a full fence. Worker w takes part in a generation iff
/// w &lt; participants and it takes a seat; only seated workers touch the job, and each signals
/// <c>s_finished</c> once. When the dispatcher has run out of items it closes the open seats and waits only for
/// the seated workers before the job fields may change, so a worker descheduled by a busy core costs nothing.
/// Work items are claimed with an atomic counter, except that in a job of one item per thread participant p (the
/// caller is 0) claims item p first and then any item still unclaimed. A worker that sees no new ticket for
/// <see cref="SpinTime"/> sleeps on a monitor; the dispatcher only takes the monitor when a worker sleeps.
/// Sleeping uses the Dekker pattern: the worker increments <c>s_sleeping</c> then re-reads the ticket, the
/// dispatcher writes the ticket then reads <c>s_sleeping</c> (both with full fences), so a wake-up cannot be lost.
/// </remarks>
internal static class WorkerPool
{
    /// <summary>How long an idle worker spins before blocking: enough to bridge the gaps between kernels.</summary>
    private static readonly long SpinTime = Stopwatch.Frequency / 2000; // 500 microseconds

    private static readonly object s_gate = new();
    private static readonly List<Thread> s_workers = [];
    private static int s_busy;
    private static int s_sleeping;
    private static long s_ticket;

    // The current job; written by the dispatcher before the ticket is published.
    private static ParallelWork? s_work;
    private static int s_count;
    private static int s_next;
    private static bool s_static;
    private static long s_claimed;
    /// <summary>(generation &lt;&lt; 16) | seats still open to workers for the job of that generation.</summary>
    private static long s_seats;
    private static int s_finished;
    private static Exception? s_exception;

    /// <summary>Claims the pool for one job; false if a job is already in flight (nested or concurrent call).</summary>
    public static bool TryEnter() => Interlocked.CompareExchange(ref s_busy, 1, 0) == 0;

    public static void Exit() => Volatile.Write(ref s_busy, 0);

    /// <summary>Runs a job on the caller plus <paramref name="participants"/> workers. Caller holds the pool.</summary>
    public static void Run(int count, int participants, ParallelWork work)
    {
        EnsureWorkers(participants);
        s_work = work;
        s_count = count;
        s_next = 0;
        // One item per thread: item p goes first to participant p (the caller is 0), so a kernel that splits rows
        // the same way every call keeps each thread on the same rows, in its own core's caches, op after op.
        s_static = count == participants + 1 && count <= 64;
        s_claimed = 0;
        s_finished = 0;
        s_exception = null;
        long generation = (s_ticket >> 16) + 1;
        Volatile.Write(ref s_seats, (generation << 16) | (uint)participants);
        Interlocked.Exchange(ref s_ticket, (generation << 16) | (uint)participants);
        if (Volatile.Read(ref s_sleeping) > 0)
        {
            lock (s_gate)
                Monitor.PulseAll(s_gate);
        }

        Drain(0);

        // Every item is now done or in the hands of a worker that took a seat. Seats not yet taken are closed, so
        // a worker whose core was busy (another process on it) is not waited for: it finds no seat when it wakes.
        int joined = participants - CloseSeats(generation);

        // Workers are finishing their last item; yield rather than sleep so the wake-up is immediate.
        var spinner = new SpinWait();
        while (Volatile.Read(ref s_finished) != joined)
            spinner.SpinOnce(sleep1Threshold: -1);

        s_work = null;
        if (s_exception is { } exception)
        {
            s_exception = null;
            ExceptionDispatchInfo.Throw(exception);
        }
    }

    /// <summary>
    /// Runs participant <paramref name="participant"/>'s own item first (one item per thread), then any item no
    /// one has claimed yet, or (more items than threads) claims and runs items until none are left; exceptions
    /// are recorded, not thrown.
    /// </summary>
    /// <remarks>
    /// Taking the unclaimed items matters when a worker starts late (its core busy with another process): the
    /// caller then runs that worker's rows itself instead of waiting for it, as the dynamic hand-out did. Which
    /// thread runs an item never changes what the item computes.
    /// </remarks>
    private static void Drain(int participant)
    {
        ParallelWork work = s_work!;
        if (s_static)
        {
            int items = s_count;
            if (participant < items && Claim(participant))
                RunItem(work, participant);
            for (int i = 0; i < items; i++)
            {
                if (Claim(i))
                    RunItem(work, i);
            }
            return;
        }
        int count = s_count;
        int index;
        while ((index = Interlocked.Increment(ref s_next) - 1) < count)
            RunItem(work, index);
    }

    /// <summary>A worker takes a seat in the job of <paramref name="generation"/>; false once none is left.</summary>
    private static bool TryTakeSeat(long generation)
    {
        long seats = Volatile.Read(ref s_seats);
        while (seats >> 16 == generation && (seats & 0xFFFF) != 0)
        {
            long before = Interlocked.CompareExchange(ref s_seats, seats - 1, seats);
            if (before == seats)
                return true;
            seats = before;
        }
        return false;
    }

    /// <summary>
    /// Closes the seats of the job of <paramref name="generation"/>; returns how many were still open.
    /// </summary>
    private static int CloseSeats(long generation)
    {
        long closed = generation << 16;
        long seats = Volatile.Read(ref s_seats);
        while (true)
        {
            long before = Interlocked.CompareExchange(ref s_seats, closed, seats);
            if (before == seats)
                return (int)(seats & 0xFFFF);
            seats = before;
        }
    }

    /// <summary>Marks item <paramref name="index"/> (below 64) as taken; false if another thread took it.</summary>
    private static bool Claim(int index)
    {
        long bit = 1L << index;
        long seen = Volatile.Read(ref s_claimed);
        while ((seen & bit) == 0)
        {
            long before = Interlocked.CompareExchange(ref s_claimed, seen | bit, seen);
            if (before == seen)
                return true;
            seen = before;
        }
        return false;
    }

    private static void RunItem(ParallelWork work, int index)
    {
        try
        {
            work.Run(index);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref s_exception, e, null);
        }
    }

    private static void EnsureWorkers(int needed)
    {
        if (s_workers.Count >= needed)
            return;
        // Only the pool holder gets here, so the list is not modified concurrently.
        long generation = Volatile.Read(ref s_ticket) >> 16;
        while (s_workers.Count < needed)
        {
            int id = s_workers.Count;
            var thread = new Thread(WorkerLoop)
            {
                IsBackground = true,
                Name = $"Amortized kernel worker {id}",
            };
            s_workers.Add(thread);
            thread.Start(new WorkerStart(id, generation));
        }
    }

    private sealed record WorkerStart(int Id, long Generation);

    private static void WorkerLoop(object? state)
    {
        var start = (WorkerStart)state!;
        long seen = start.Generation;
        while (true)
        {
            long ticket = WaitForTicket(seen);
            seen = ticket >> 16;
            if (start.Id < (int)(ticket & 0xFFFF) && TryTakeSeat(seen))
            {
                Drain(start.Id + 1);
                Interlocked.Increment(ref s_finished);
            }
        }
    }

    private static long WaitForTicket(long seenGeneration)
    {
        long ticket;
        long deadline = Stopwatch.GetTimestamp() + SpinTime;
        do
        {
            ticket = Volatile.Read(ref s_ticket);
            if (ticket >> 16 != seenGeneration)
                return ticket;
            Thread.SpinWait(20);
        }
        while (Stopwatch.GetTimestamp() < deadline);

        lock (s_gate)
        {
            Interlocked.Increment(ref s_sleeping);
            while ((ticket = Volatile.Read(ref s_ticket)) >> 16 == seenGeneration)
                Monitor.Wait(s_gate);
            Interlocked.Decrement(ref s_sleeping);
        }
        return ticket;
    }
}
