using System.Diagnostics;
using Amortized.Kernels.Cpu;

namespace Amortized.Benchmarks.Training;

/// <summary>
/// `quick [--threads 1,2] [--only W1,W2,W3] [--runs 5]`: warm-up, then the median of several timed runs per
/// figure, one machine-readable line each, e.g. `W1 threads=1 steps_per_s=412.3 alloc_bytes_per_step=0`.
/// </summary>
public static class WorkloadQuick
{
    public static void Run(string[] args)
    {
        int[] threads = [1, Environment.ProcessorCount];
        string[] only = ["W1", "W2", "W3"];
        int runs = 5;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--threads": threads = args[i + 1].Split(',').Select(int.Parse).ToArray(); break;
                case "--only": only = args[i + 1].Split(',', StringSplitOptions.TrimEntries).Select(s => s.ToUpperInvariant()).ToArray(); break;
                case "--runs": runs = int.Parse(args[i + 1]); break;
                default: throw new ArgumentException($"quick: unknown option {args[i]}; expected --threads, --only or --runs.");
            }
        }
        foreach (int t in threads.Distinct())
        {
            KernelThreading.MaxThreads = t;
            if (only.Contains("W1")) Training("W1", new FlowWorkload(withDeepSet: false), t, runs);
            if (only.Contains("W2")) Training("W2", new FlowWorkload(withDeepSet: true), t, runs);
            if (only.Contains("W3")) Sampling(new SamplingWorkload(), t, runs);
        }
    }

    private static void Training(string name, FlowWorkload workload, int threads, int runs)
    {
        for (int i = 0; i < 20; i++) workload.Step();
        const int stepsPerRun = 50;
        var rates = new double[runs];
        long allocated = 0;
        for (int r = 0; r < runs; r++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < stepsPerRun; i++) workload.Step();
            sw.Stop();
            allocated = (GC.GetAllocatedBytesForCurrentThread() - before) / stepsPerRun;
            rates[r] = stepsPerRun / sw.Elapsed.TotalSeconds;
        }
        Console.WriteLine($"{name} threads={threads} steps_per_s={Median(rates):F1} alloc_bytes_per_step={allocated}");
    }

    private static void Sampling(SamplingWorkload workload, int threads, int runs)
    {
        for (int i = 0; i < 20; i++)
        {
            workload.Sample();
            workload.LogProb();
        }
        const int callsPerRun = 50;
        var sample = new double[runs];
        var logProb = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < callsPerRun; i++) workload.Sample();
            sample[r] = sw.Elapsed.TotalMilliseconds / callsPerRun;
            sw.Restart();
            for (int i = 0; i < callsPerRun; i++) workload.LogProb();
            logProb[r] = sw.Elapsed.TotalMilliseconds / callsPerRun;
        }
        Console.WriteLine($"W3 threads={threads} sample_latency_ms={Median(sample):F3} logprob_latency_ms={Median(logProb):F3} draws={workload.Draws}");
    }

    private static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);
    }
}
