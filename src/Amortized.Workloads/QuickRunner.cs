using System.Diagnostics;
using System.Globalization;
using Amortized.Kernels.Cpu;

namespace Amortized.Workloads;

/// <summary>
/// Runs W1-W4 with warm-up and median-of-N timing and prints one machine-readable line per figure:
/// <code>
/// W1 threads=1 steps_per_s=412.3
/// W1 threads=1 alloc_bytes_per_step=0
/// W3 threads=1 sample_latency_ms=0.710 logprob_latency_ms=0.690
/// W4 m=512 k=512 n=512 threads=1 gflops=181.0
/// </code>
/// The peers in benchmarks/peers print the same lines (without the allocation line, which only a managed engine can
/// measure) from the same procedure, so benchmarks/compare.sh can pair them key by key.
/// </summary>
/// <remarks>
/// Procedure, per thread count and workload: W1/W2 take <see cref="QuickOptions.WarmupSteps"/> untimed steps, then
/// <see cref="QuickOptions.Runs"/> runs of <see cref="QuickOptions.StepsPerRun"/> steps; the figure is the median run's
/// steps per second. W3 is the same with calls (all sample calls of a run, then all log-density calls). W4 warms up
/// for at least <see cref="QuickOptions.GemmWarmupSeconds"/>, sizes a run to about
/// <see cref="QuickOptions.GemmRunSeconds"/> and reports the median run's GFLOP/s. Medians, because the machines are
/// shared: one run that overlaps someone else's build moves a mean but not the median.
/// </remarks>
public static class QuickRunner
{
    /// <summary>
    /// Runs what <paramref name="options"/> asks for, writing each line to <paramref name="output"/> as
    /// soon as it is measured.
    /// </summary>
    public static BenchReport Run(QuickOptions options, TextWriter output, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        options.Validate();
        var date = DateTimeOffset.UtcNow;
        var figures = new List<BenchFigure>();
        int previousThreads = KernelThreading.MaxThreads;
        try
        {
            foreach (int threads in options.Threads.Distinct())
            {
                KernelThreading.MaxThreads = threads;
                foreach (string workload in QuickOptions.AllWorkloads.Where(options.Only.Contains))
                {
                    cancellation.ThrowIfCancellationRequested();
                    switch (workload)
                    {
                        case "W1":
                        case "W2":
                            Training(new FlowWorkload(withDeepSet: workload == "W2", seed: 1, options.Batch,
                                options.Backend, options.Width), threads, options, output, figures);
                            break;
                        case "W3":
                            Sampling(new SamplingWorkload(1000, seed: 2, options.Backend),
                                threads, options, output, figures);
                            break;
                        case "W4" when options.Backend is not null and not Tensors.Backends.CpuBackend:
                            output.WriteLine(
                                $"# W4 skipped: it times the CPU GEMM kernel, not {options.Backend.Device}");
                            break;
                        case "W4":
                            foreach (var shape in GemmShape.W4)
                            {
                                cancellation.ThrowIfCancellationRequested();
                                Gemm(shape, threads, options, output, figures);
                            }
                            break;
                    }
                }
            }
        }
        finally
        {
            KernelThreading.MaxThreads = previousThreads;
        }
        return new BenchReport
        {
            Date = date,
            Machine = BenchReport.DescribeMachine(),
            Runtime = BenchReport.DescribeRuntime(),
            Runs = options.Runs,
            Figures = figures,
        };
    }

    /// <summary>The printed line of a figure (the JSON holds the same numbers unrounded).</summary>
    public static IEnumerable<string> Lines(BenchFigure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        string head = figure.M is int m
            ? Invariant($"{figure.Workload} m={m} k={figure.K} n={figure.N} threads={figure.Threads}")
            : Invariant($"{figure.Workload} threads={figure.Threads}");
        if (figure.StepsPerSecond is double rate) yield return Invariant($"{head} steps_per_s={rate:F1}");
        if (figure.AllocatedBytesPerStep is long bytes) yield return Invariant($"{head} alloc_bytes_per_step={bytes}");
        if (figure.ForwardMs is double f)
            yield return Invariant(
                $"{head} forward_ms={f:F3} backward_ms={figure.BackwardMs:F3} adam_ms={figure.AdamMs:F3}");
        if (figure.FamilyMs is { } families)
            yield return $"{head} family_ms " + string.Join(' ',
                families.Select(pair => Invariant($"{pair.Key}={pair.Value:F3}")));
        if (figure.SampleLatencyMs is double s)
            yield return Invariant($"{head} sample_latency_ms={s:F3} logprob_latency_ms={figure.LogProbLatencyMs:F3}");
        if (figure.Gflops is double g) yield return Invariant($"{head} gflops={g:F1}");
    }

    private static void Emit(BenchFigure figure, TextWriter output, List<BenchFigure> figures)
    {
        figures.Add(figure);
        foreach (string line in Lines(figure)) output.WriteLine(line);
        output.Flush();
    }

    private static void Training(FlowWorkload workload, int threads, QuickOptions options,
        TextWriter output, List<BenchFigure> figures)
    {
        WarmUp(() => workload.Step(), options);
        var rates = new double[options.Runs];
        var breakdowns = new StepBreakdown[options.Runs];
        long fewestBytes = long.MaxValue;
        for (int r = 0; r < options.Runs; r++)
        {
            var breakdown = options.Profile ? new StepBreakdown() : null;
            // All threads' allocations count (kernel workers too). The quietest run is reported because a background
            // thread of the runtime (tiered compilation, a timer) may allocate now and then; a step that allocates
            // does so in every run.
            long before = GC.GetTotalAllocatedBytes(precise: true);
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < options.StepsPerRun; i++) workload.Step(breakdown);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            long bytes = (GC.GetTotalAllocatedBytes(precise: true) - before) / options.StepsPerRun;
            fewestBytes = Math.Min(fewestBytes, bytes);
            rates[r] = options.StepsPerRun / seconds;
            breakdowns[r] = breakdown ?? new StepBreakdown();
        }
        // The breakdown shown is that of the median run, so it adds up to the printed rate.
        var median = breakdowns[MedianIndex(rates)];
        var families = options.Profile ? ProfileFamilies(() => workload.Step(), options.StepsPerRun) : null;
        Emit(new BenchFigure
        {
            Workload = workload.Name,
            Threads = threads,
            StepsPerSecond = Median(rates),
            AllocatedBytesPerStep = fewestBytes,
            ForwardMs = options.Profile ? median.ForwardMs : null,
            BackwardMs = options.Profile ? median.BackwardMs : null,
            AdamMs = options.Profile ? median.OptimizerMs : null,
            FamilyMs = families,
        }, output, figures);
    }

    /// <summary>
    /// <see cref="QuickOptions.WarmupSteps"/> calls, then more until no method has been JIT-compiled (tier-up
    /// included) for <see cref="QuickOptions.JitQuietSeconds"/>, within <see cref="QuickOptions.MaxWarmupSeconds"/>.
    /// </summary>
    private static void WarmUp(Action call, QuickOptions options)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < options.WarmupSteps; i++) call();
        if (options.JitQuietSeconds <= 0)
            return;
        long compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        long quietSince = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(quietSince).TotalSeconds < options.JitQuietSeconds
            && Stopwatch.GetElapsedTime(start).TotalSeconds < options.MaxWarmupSeconds)
        {
            call();
            long now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now != compiled)
            {
                compiled = now;
                quietSince = Stopwatch.GetTimestamp();
            }
        }
    }

    /// <summary>
    /// The key of a family in <see cref="BenchFigure.FamilyMs"/>: "gemm", "gemm.microkernel", "fill".
    /// </summary>
    public static string FamilyKey(KernelFamily family) => family switch
    {
        KernelFamily.GemmMicroKernel => "gemm.microkernel",
        KernelFamily.GemmPacking => "gemm.packing",
        KernelFamily.GemmEpilogue => "gemm.epilogue",
        _ => family.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// One extra run of <paramref name="calls"/> calls with <see cref="KernelProfile"/> on (after the timed runs,
    /// which stay unprofiled): milliseconds per call by family, "other" and "total".
    /// </summary>
    private static Dictionary<string, double> ProfileFamilies(Action call, int calls)
    {
        KernelProfile.Reset();
        KernelProfile.Enabled = true;
        long start = Stopwatch.GetTimestamp();
        try
        {
            for (int i = 0; i < calls; i++) call();
        }
        finally
        {
            KernelProfile.Enabled = false;
        }
        double total = Stopwatch.GetElapsedTime(start).TotalMilliseconds / calls;
        var result = new Dictionary<string, double>();
        double accounted = 0;
        foreach (var family in Enum.GetValues<KernelFamily>())
        {
            double ms = KernelProfile.Milliseconds(family) / calls;
            result[FamilyKey(family)] = ms;
            // The GEMM's inner families are parts of "gemm" (and thread sums), not more wall time.
            if (family is not (KernelFamily.GemmMicroKernel or KernelFamily.GemmPacking or KernelFamily.GemmEpilogue))
                accounted += ms;
        }
        result["other"] = total - accounted;
        result["total"] = total;
        KernelProfile.Reset();
        return result;
    }

    private static void Sampling(SamplingWorkload workload, int threads, QuickOptions options,
        TextWriter output, List<BenchFigure> figures)
    {
        WarmUp(() =>
        {
            workload.Sample();
            workload.LogProb();
        }, options);
        var sample = new double[options.Runs];
        var logProb = new double[options.Runs];
        for (int r = 0; r < options.Runs; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < options.CallsPerRun; i++) workload.Sample();
            sample[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds / options.CallsPerRun;
            start = Stopwatch.GetTimestamp();
            for (int i = 0; i < options.CallsPerRun; i++) workload.LogProb();
            logProb[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds / options.CallsPerRun;
        }
        var families = options.Profile ? ProfileFamilies(() => workload.Sample(), options.CallsPerRun) : null;
        Emit(new BenchFigure { Workload = "W3", Threads = threads, SampleLatencyMs = Median(sample),
            LogProbLatencyMs = Median(logProb), FamilyMs = families },
            output, figures);
    }

    private static void Gemm(GemmShape shape, int threads, QuickOptions options,
        TextWriter output, List<BenchFigure> figures)
    {
        (float[] a, float[] b, float[] c, float[] bias, float[] pre) = shape.Allocate();
        long warm = Stopwatch.GetTimestamp();
        int calls = 0;
        while (calls < 5 || Stopwatch.GetElapsedTime(warm).TotalSeconds < options.GemmWarmupSeconds)
        {
            shape.Multiply(a, b, c, bias, pre);
            calls++;
        }
        double perCall = Stopwatch.GetElapsedTime(warm).TotalSeconds / calls;
        int inner = Math.Max(1, (int)(options.GemmRunSeconds / perCall));
        var gflops = new double[options.Runs];
        for (int r = 0; r < options.Runs; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < inner; i++) shape.Multiply(a, b, c, bias, pre);
            gflops[r] = shape.Flops * inner / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9;
        }
        Emit(new BenchFigure { Workload = "W4", Threads = threads, M = shape.M, K = shape.K,
            N = shape.N, Gflops = Median(gflops) },
            output, figures);
    }

    /// <summary>Median (mean of the middle two for an even count).</summary>
    internal static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    // Index of the run at (or just below) the median, for the breakdown.
    private static int MedianIndex(double[] values)
    {
        var order = Enumerable.Range(0, values.Length).OrderBy(i => values[i]).ToArray();
        return order[(values.Length - 1) / 2];
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
