using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using Amortized.Kernels.Cpu;
using Amortized.Workloads;

namespace Amortized.Benchmarks.Kernels;

/// <summary>
/// `dotnet run -c Release --project benchmarks/Amortized.Benchmarks -- gemm-quick [reps]`: median-of-N GFLOP/s
/// (and the best sample) for the FMA peak and the GEMM shapes on 1 and 2 threads, in seconds rather than
/// BenchmarkDotNet's minutes. Each sample runs the operation repeatedly for about 20 ms after a warm-up.
/// On a shared machine the median drops whenever something else runs; the best sample is the quiet figure.
/// </summary>
internal static class GemmQuick
{
    private const double SampleSeconds = 0.02;

    public static void Run(string[] args)
    {
        int reps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        SimdPath widest = Vector512.IsHardwareAccelerated ? SimdPath.Vector512 : SimdPath.Vector256;
        Console.WriteLine(FormattableString.Invariant($"isa={widest} cores={Environment.ProcessorCount} reps={reps}"));

        var fma = new FmaLoop.Work { Width = widest, Iterations = 1 << 18 };
        foreach (int threads in new[] { 1, 2 })
        {
            KernelThreading.MaxThreads = threads;
            (double median, double best) = Gflops(() => KernelThreading.For(threads, fma),
                threads * FmaLoop.Flops(widest, fma.Iterations), reps);
            Console.WriteLine(FormattableString.Invariant($"peak threads={threads} gflops={median:F1} best={best:F1}"));
        }

        foreach (int threads in new[] { 1, 2 })
        {
            KernelThreading.MaxThreads = threads;
            foreach (GemmShape shape in GemmShape.W4.Concat(GemmShape.W1))
            {
                (float[] a, float[] b, float[] c, float[] bias, float[] pre) = shape.Allocate();
                (double median, double best) = Gflops(() => shape.Multiply(a, b, c, bias, pre), shape.Flops, reps);
                Console.WriteLine(FormattableString.Invariant(
                    $"{shape.Name} m={shape.M} k={shape.K} n={shape.N} threads={threads} gflops={median:F1}") +
                    FormattableString.Invariant($" best={best:F1}"));
            }
        }
    }

    /// <summary>Median and best GFLOP/s over <paramref name="reps"/> samples.</summary>
    private static (double Median, double Best) Gflops(Action operation, double flops, int reps)
    {
        // Warm-up: reach tier-1 code and grow the per-thread buffers; also sizes the inner loop.
        var warm = Stopwatch.StartNew();
        int calls = 0;
        while (calls < 50 || warm.Elapsed.TotalSeconds < 0.1)
        {
            operation();
            calls++;
        }
        int inner = Math.Max(1, (int)(SampleSeconds * calls / warm.Elapsed.TotalSeconds));

        var samples = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < inner; i++)
                operation();
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            samples[r] = flops * inner / seconds / 1e9;
        }
        Array.Sort(samples);
        return (samples[reps / 2], samples[^1]);
    }
}
