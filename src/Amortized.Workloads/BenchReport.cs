using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Amortized.Workloads;

/// <summary>
/// One printed line of the quick runner: a workload at a thread count (and a GEMM shape for W4) with its figures.
/// JSON names are the keys of the printed line; figures a workload does not have are left out.
/// </summary>
public sealed record BenchFigure
{
    /// <summary>"W1" .. "W4".</summary>
    [JsonPropertyName("workload")]
    public required string Workload { get; init; }

    /// <summary>Kernel threads.</summary>
    [JsonPropertyName("threads")]
    public required int Threads { get; init; }

    /// <summary>W1/W2: median training steps per second.</summary>
    [JsonPropertyName("steps_per_s")]
    public double? StepsPerSecond { get; init; }

    /// <summary>W1/W2: managed bytes allocated per step, all threads, in the quietest run.</summary>
    [JsonPropertyName("alloc_bytes_per_step")]
    public long? AllocatedBytesPerStep { get; init; }

    /// <summary>W1/W2 with profiling: mean forward + loss milliseconds per step (median run).</summary>
    [JsonPropertyName("forward_ms")]
    public double? ForwardMs { get; init; }

    /// <summary>W1/W2 with profiling: mean backward milliseconds per step.</summary>
    [JsonPropertyName("backward_ms")]
    public double? BackwardMs { get; init; }

    /// <summary>W1/W2 with profiling: mean Adam milliseconds per step.</summary>
    [JsonPropertyName("adam_ms")]
    public double? AdamMs { get; init; }

    /// <summary>
    /// With profiling: milliseconds per step (W1/W2) or per 1000 draws (W3) in each kernel family of
    /// <see cref="Kernels.Cpu.KernelProfile"/> (keys as <see cref="QuickRunner.FamilyKey"/>), plus "other" (the
    /// wall time no kernel family accounts for: the tape, op dispatch, shape checks, arena bookkeeping) and "total"
    /// (the profiled run's wall time). The "gemm.*" keys split "gemm" and are summed over threads.
    /// </summary>
    [JsonPropertyName("family_ms")]
    public Dictionary<string, double>? FamilyMs { get; init; }

    /// <summary>W3: median latency of 1000 draws, milliseconds.</summary>
    [JsonPropertyName("sample_latency_ms")]
    public double? SampleLatencyMs { get; init; }

    /// <summary>W3: median latency of 1000 log densities, milliseconds.</summary>
    [JsonPropertyName("logprob_latency_ms")]
    public double? LogProbLatencyMs { get; init; }

    /// <summary>W4: rows of C.</summary>
    [JsonPropertyName("m")]
    public int? M { get; init; }

    /// <summary>W4: inner dimension.</summary>
    [JsonPropertyName("k")]
    public int? K { get; init; }

    /// <summary>W4: columns of C.</summary>
    [JsonPropertyName("n")]
    public int? N { get; init; }

    /// <summary>W4: median GFLOP/s.</summary>
    [JsonPropertyName("gflops")]
    public double? Gflops { get; init; }
}

/// <summary>Everything one quick run measured, with the machine it ran on; written by <c>--json FILE</c>.</summary>
public sealed record BenchReport
{
    /// <summary>When the run started (UTC).</summary>
    [JsonPropertyName("date")]
    public required DateTimeOffset Date { get; init; }

    /// <summary>
    /// Processor, cores and instruction sets, e.g. "AMD EPYC 7B13, 2 cores, AVX2 and FMA, no AVX-512".
    /// </summary>
    [JsonPropertyName("machine")]
    public required string Machine { get; init; }

    /// <summary>Operating system and .NET runtime.</summary>
    [JsonPropertyName("runtime")]
    public required string Runtime { get; init; }

    /// <summary>Timed runs behind each median.</summary>
    [JsonPropertyName("runs")]
    public required int Runs { get; init; }

    /// <summary>The figures in printing order.</summary>
    [JsonPropertyName("figures")]
    public required IReadOnlyList<BenchFigure> Figures { get; init; }

    /// <summary>Indented JSON (source-generated serializer, so it works under Native AOT).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, BenchJsonContext.Default.BenchReport);

    /// <summary>Parses <see cref="ToJson"/>'s output; throws <see cref="JsonException"/> on malformed input.</summary>
    public static BenchReport FromJson(string json) =>
        JsonSerializer.Deserialize(json, BenchJsonContext.Default.BenchReport)
        ?? throw new JsonException("The benchmark report is empty (null).");

    /// <summary>A one-line description of this machine for reports.</summary>
    public static string DescribeMachine()
    {
        string isa = Vector512.IsHardwareAccelerated ? "AVX-512"
            : System.Runtime.Intrinsics.X86.Avx2.IsSupported ? "AVX2 and FMA, no AVX-512"
            : Vector128.IsHardwareAccelerated ? "128-bit SIMD only" : "scalar";
        return string.Create(CultureInfo.InvariantCulture, $"{CpuModel()}, {Environment.ProcessorCount} cores, {isa}");
    }

    /// <summary>OS and runtime.</summary>
    public static string DescribeRuntime() =>
        $"{RuntimeInformation.OSDescription}; {RuntimeInformation.FrameworkDescription}";

    // /proc/cpuinfo names the processor on Linux; elsewhere the architecture is all that is known without native calls.
    private static string CpuModel()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                foreach (string line in File.ReadLines("/proc/cpuinfo"))
                {
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':',
                        StringComparison.Ordinal) is int colon and > 0)
                        return line[(colon + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}

/// <summary>Source-generated JSON metadata for <see cref="BenchReport"/> (no reflection, AOT-safe).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BenchReport))]
public sealed partial class BenchJsonContext : JsonSerializerContext;
