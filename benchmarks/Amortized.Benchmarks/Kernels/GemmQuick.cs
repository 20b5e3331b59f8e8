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
/// The fraction of peak is measured in pairs: every GEMM sample is followed by an FMA-peak sample on the same
/// threads, and `of_peak` is the median of the per-pair ratios, so a neighbour that slows the machine for a while
/// slows both halves of a pair instead of biasing the ratio (`of_peak_best` = best GEMM / best peak).
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
            Action peak = () => KernelThreading.For(threads, fma);
            double peakFlops = threads * FmaLoop.Flops(widest, fma.Iterations);
            foreach (GemmShape shape in GemmShape.W4.Concat(GemmShape.W1).Concat(GemmShape.W2).Concat(Extra))
            {
                (float[] a, float[] b, float[] c, float[] bias, float[] pre) = shape.Allocate();
                var (gemmSamples, peakSamples) = Paired(() => shape.Multiply(a, b, c, bias, pre), shape.Flops, peak, peakFlops, reps);
                var ratios = gemmSamples.Zip(peakSamples, (g, p) => g / p).ToArray();
                Console.WriteLine(FormattableString.Invariant(
                    $"{shape.Name} m={shape.M} k={shape.K} n={shape.N} threads={threads} gflops={Median(gemmSamples):F1} best={gemmSamples.Max():F1}") +
                    FormattableString.Invariant($" of_peak={Median(ratios):F3} of_peak_best={gemmSamples.Max() / peakSamples.Max():F3}"));
            }
        }
    }

    /// <summary>A square product with A stored transposed (read in place at a long row stride).</summary>
    private static readonly GemmShape[] Extra = [new("transA", 512, 512, 512, TransA: Transpose.Yes)];

    private static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }

    /// <summary>GFLOP/s samples of <paramref name="operation"/> and of <paramref name="peak"/>, taken alternately.</summary>
    private static (double[] Operation, double[] Peak) Paired(Action operation, double flops, Action peak, double peakFlops, int reps)
    {
        int inner = InnerCalls(operation), peakInner = InnerCalls(peak);
        var samples = new double[reps];
        var peaks = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            samples[r] = Sample(operation, flops, inner);
            peaks[r] = Sample(peak, peakFlops, peakInner);
        }
        return (samples, peaks);
    }

    private static double Sample(Action operation, double flops, int inner)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < inner; i++)
            operation();
        return flops * inner / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9;
    }

    /// <summary>Warms <paramref name="operation"/> up (tier-1 code, grown buffers) and returns the calls per sample.</summary>
    private static int InnerCalls(Action operation)
    {
        var warm = Stopwatch.StartNew();
        int calls = 0;
        while (calls < 50 || warm.Elapsed.TotalSeconds < 0.1)
        {
            operation();
            calls++;
        }
        return Math.Max(1, (int)(SampleSeconds * calls / warm.Elapsed.TotalSeconds));
    }

    /// <summary>Median and best GFLOP/s over <paramref name="reps"/> samples.</summary>
    private static (double Median, double Best) Gflops(Action operation, double flops, int reps)
    {
        int inner = InnerCalls(operation);
        var samples = new double[reps];
        for (int r = 0; r < reps; r++)
            samples[r] = Sample(operation, flops, inner);
        return (Median(samples), samples.Max());
    }
}
