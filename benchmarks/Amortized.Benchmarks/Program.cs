using Amortized.Benchmarks;
using Amortized.Benchmarks.Kernels;
using Amortized.Workloads;
using BenchmarkDotNet.Running;

// `quick [--threads 1,2] [--only W1,W3] [--runs N] [--json FILE] [--profile]` runs W1-W4 with the shared quick runner
// (src/Amortized.Workloads, also `amortized bench`); `gemm-quick [reps]` prints the FMA peak and the GEMM shapes with
// their best samples; `scaling-figure CSV DIR` draws benchmarks/scaling.sh's results. Anything else goes to
// BenchmarkDotNet (e.g. `--filter '*Gemm*'`, `--list flat`, `--job short`).
if (args.Length > 0 && args[0] == "quick")
{
    QuickOptions options;
    string? json;
    try
    {
        (options, json) = QuickOptions.Parse(args[1..]);
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine($"quick: {e.Message}");
        return 2;
    }
    var report = QuickRunner.Run(options, Console.Out);
    if (json is not null) File.WriteAllText(json, report.ToJson());
    return 0;
}
if (args.Length > 0 && args[0] == "scaling-figure")
    return ScalingFigure.Run(args[1..]);
if (args.Length > 0 && args[0] == "gemm-quick")
{
    GemmQuick.Run(args[1..]);
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(GemmQuick).Assembly).Run(args);
return 0;
