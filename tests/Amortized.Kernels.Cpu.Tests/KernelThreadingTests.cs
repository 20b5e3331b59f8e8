using Amortized.Testing;

namespace Amortized.Kernels.Cpu.Tests;

/// <summary>The worker pool: coverage of indices, exceptions, nesting, concurrency and zero allocation.</summary>
[Collection(SerialCollection.Name)]
public sealed class KernelThreadingTests
{
    private sealed class CountingWork(int count) : ParallelWork
    {
        public readonly int[] Hits = new int[count];
        public readonly HashSet<int> Threads = [];

        public override void Run(int index)
        {
            Interlocked.Increment(ref Hits[index]);
            lock (Threads)
                Threads.Add(Environment.CurrentManagedThreadId);
            Thread.SpinWait(2000); // long enough that a second thread gets to claim items
        }
    }

    private sealed class ThrowingWork(int throwAt) : ParallelWork
    {
        public override void Run(int index)
        {
            if (index == throwAt)
                throw new InvalidOperationException($"boom at {index}");
        }
    }

    private sealed class NestedWork : ParallelWork
    {
        public readonly CountingWork Inner = new(5 * 4);
        private readonly InnerSlice[] _slices;

        public NestedWork()
        {
            _slices = new InnerSlice[5];
            for (int i = 0; i < _slices.Length; i++)
                _slices[i] = new InnerSlice(Inner, i);
        }

        public override void Run(int index) => KernelThreading.For(4, _slices[index]);

        private sealed class InnerSlice(CountingWork inner, int outer) : ParallelWork
        {
            public override void Run(int index) => inner.Run(outer * 4 + index);
        }
    }

    private sealed class NoopWork : ParallelWork
    {
        public int Sum;

        public override void Run(int index) => Interlocked.Add(ref Sum, index);
    }

    [Fact]
    public void For_AnyCountAndThreadBudget_RunsEachIndexExactlyOnce()
    {
        int saved = KernelThreading.MaxThreads;
        try
        {
            for (int threads = 1; threads <= 4; threads++)
            {
                KernelThreading.MaxThreads = threads;
                foreach (int count in new[] { 0, 1, 2, 3, 7, 64 })
                {
                    var work = new CountingWork(count);
                    KernelThreading.For(count, work);
                    Assert.All(work.Hits, h => Assert.Equal(1, h));
                    Assert.InRange(work.Threads.Count, 0, Math.Min(threads, Math.Max(count, 1)));
                }
            }
        }
        finally
        {
            KernelThreading.MaxThreads = saved;
        }
    }

    [Fact]
    public void For_TwoThreadsAndManyItems_UsesAWorker()
    {
        int saved = KernelThreading.MaxThreads;
        try
        {
            KernelThreading.MaxThreads = 2;
            var work = new CountingWork(200);
            KernelThreading.For(200, work);
            Assert.Equal(2, work.Threads.Count);
        }
        finally
        {
            KernelThreading.MaxThreads = saved;
        }
    }

    [Fact]
    public void For_WorkThrows_RethrowsOnCallerAndPoolKeepsWorking()
    {
        int saved = KernelThreading.MaxThreads;
        try
        {
            KernelThreading.MaxThreads = 3;
            for (int throwAt = 0; throwAt < 8; throwAt++)
            {
                var e = Assert.Throws<InvalidOperationException>(
                    () => KernelThreading.For(8, new ThrowingWork(throwAt)));
                Assert.Equal($"boom at {throwAt}", e.Message);
            }
            var work = new CountingWork(16);
            KernelThreading.For(16, work);
            Assert.All(work.Hits, h => Assert.Equal(1, h));
        }
        finally
        {
            KernelThreading.MaxThreads = saved;
        }
    }

    [Fact]
    public void For_NestedCall_RunsInnerWorkInline()
    {
        var work = new NestedWork();
        KernelThreading.For(5, work);
        Assert.All(work.Inner.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void For_ConcurrentCallers_EachCompleteTheirOwnWork()
    {
        var works = new CountingWork[4];
        var threads = new Thread[works.Length];
        for (int t = 0; t < works.Length; t++)
        {
            var work = works[t] = new CountingWork(50);
            threads[t] = new Thread(() =>
            {
                for (int rep = 0; rep < 5; rep++)
                    KernelThreading.For(10, new SliceWork(work, rep * 10));
            });
            threads[t].Start();
        }
        foreach (Thread thread in threads)
            thread.Join();
        Assert.All(works, w => Assert.All(w.Hits, h => Assert.Equal(1, h)));
    }

    private sealed class SliceWork(CountingWork target, int offset) : ParallelWork
    {
        public override void Run(int index) => target.Run(offset + index);
    }

    [Fact]
    public void For_SteadyState_AllocatesNothing()
    {
        int saved = KernelThreading.MaxThreads;
        try
        {
            KernelThreading.MaxThreads = 2;
            var work = new NoopWork();
            for (int i = 0; i < 100; i++)
                KernelThreading.For(8, work);
            // Fewest bytes over windows of 200 jobs (see Allocations.SteadyStateBytes for why not one window).
            Assert.Equal(0, Allocations.SteadyStateBytes(() => KernelThreading.For(8, work), warmUp: 0,
                windows: 5, stepsPerWindow: 200));
        }
        finally
        {
            KernelThreading.MaxThreads = saved;
        }
    }

    [Fact]
    public void MaxThreads_BelowOne_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelThreading.MaxThreads = 0);
}
