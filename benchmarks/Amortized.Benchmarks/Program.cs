using Amortized.Benchmarks.Kernels;
using BenchmarkDotNet.Running;

// `gemm-quick` prints median GFLOP/s for the GEMM targets in seconds, without BenchmarkDotNet;
// anything else goes to BenchmarkDotNet (e.g. `--filter '*Gemm*'`, `--list flat`, `--job short`).
if (args.Length > 0 && args[0] == "quick")
{
    Amortized.Benchmarks.Training.WorkloadQuick.Run(args[1..]);
    return;
}
if (args.Length > 0 && args[0] == "gemm-quick")
{
    GemmQuick.Run(args[1..]);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(GemmQuick).Assembly).Run(args);
