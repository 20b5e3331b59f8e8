using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;

namespace Amortized.Benchmarks;

/// <summary>
/// Base configuration for every benchmark in this project: allocations are always reported (the kernels and
/// training steps must allocate nothing). Variants are nested classes in the other Config.*.cs files
/// (after ImageSharp's tests/ImageSharp.Benchmarks/Config.cs).
/// </summary>
public partial class Config : ManualConfig
{
    public Config()
    {
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}
