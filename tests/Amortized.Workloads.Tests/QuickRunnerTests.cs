using System.Text.Json;
using System.Text.RegularExpressions;
using Amortized.Kernels.Cpu;
using Amortized.Workloads;
using Xunit;

namespace Amortized.Workloads.Tests;

public class QuickRunnerTests
{
    // Tiny runs: the tests check what is printed and written, never how fast anything is.
    private static readonly QuickOptions Tiny = new()
    {
        Threads = [1],
        Runs = 1,
        WarmupSteps = 1,
        StepsPerRun = 1,
        CallsPerRun = 1,
        GemmRunSeconds = 1e-4,
        GemmWarmupSeconds = 0,
        JitQuietSeconds = 0,
    };

    private const string Number = @"[0-9]+\.[0-9]+";

    private static (BenchReport Report, string[] Lines) Run(QuickOptions options)
    {
        using var output = new StringWriter();
        var report = QuickRunner.Run(options, output);
        return (report, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void Prints_one_line_per_figure_in_the_documented_format()
    {
        var (report, lines) = Run(Tiny);
        string[] patterns =
        [
            $"^W1 threads=1 steps_per_s={Number}$",
            "^W1 threads=1 alloc_bytes_per_step=[0-9]+$",
            $"^W2 threads=1 steps_per_s={Number}$",
            "^W2 threads=1 alloc_bytes_per_step=[0-9]+$",
            $"^W3 threads=1 sample_latency_ms={Number} logprob_latency_ms={Number}$",
            $"^W4 m=512 k=512 n=512 threads=1 gflops={Number}$",
            $"^W4 m=128 k=2048 n=128 threads=1 gflops={Number}$",
            $"^W4 m=2048 k=128 n=128 threads=1 gflops={Number}$",
        ];
        Assert.Equal(patterns.Length, lines.Length);
        for (int i = 0; i < lines.Length; i++) Assert.Matches(patterns[i], lines[i]);
        Assert.Equal(6, report.Figures.Count);
        Assert.All(report.Figures, f => Assert.Equal(1, f.Threads));
    }

    [Fact]
    public void Only_threads_and_profile_select_what_runs()
    {
        var (report, lines) = Run(Tiny with { Threads = [2, 1], Only = ["W1", "W3"], Profile = true });
        Assert.Equal(
            ["W1 threads=2 steps_per_s", "W1 threads=2 alloc_bytes_per_step", "W1 threads=2 forward_ms",
             "W1 threads=2 family_ms gemm", "W3 threads=2 family_ms gemm", "W3 threads=2 sample_latency_ms",
             "W1 threads=1 steps_per_s", "W1 threads=1 alloc_bytes_per_step", "W1 threads=1 forward_ms",
             "W1 threads=1 family_ms gemm", "W3 threads=1 family_ms gemm", "W3 threads=1 sample_latency_ms"],
            lines.Select(l => l[..l.IndexOf('=', l.IndexOf('=') + 1)]));
        Assert.Matches($"^W1 threads=1 forward_ms={Number} backward_ms={Number} adam_ms={Number}$", lines[8]);
        Assert.Matches($"^W1 threads=1 family_ms( [a-z.]+={Number})+ other=-?{Number} total={Number}$", lines[9]);
        Assert.All(report.Figures.Where(f => f.Workload == "W1"), f => Assert.True(f.ForwardMs > 0 && f.BackwardMs > 0 && f.AdamMs > 0));
        // Every family the step uses is accounted, and the top-level families plus "other" add up to the wall time.
        Assert.All(report.Figures.Where(f => f.Workload is "W1" or "W3"), f =>
        {
            var ms = f.FamilyMs!;
            Assert.True(ms["gemm"] > 0 && ms["gemm.microkernel"] > 0 && ms["gemm.epilogue"] > 0 && ms["coupling"] > 0);
            double parts = ms.Where(p => p.Key is not ("total" or "other") && !p.Key.StartsWith("gemm.", StringComparison.Ordinal))
                .Sum(p => p.Value);
            Assert.Equal(ms["total"], parts + ms["other"], 9);
        });
        Assert.All(report.Figures.Where(f => f.Workload == "W1"), f => Assert.True(f.FamilyMs!["optimizer"] > 0));
    }

    [Fact]
    public void Restores_the_kernel_thread_budget()
    {
        int saved = KernelThreading.MaxThreads;
        Run(Tiny with { Threads = [saved == 1 ? 2 : 1], Only = ["W3"] });
        Assert.Equal(saved, KernelThreading.MaxThreads);
    }

    [Fact]
    public void Json_report_parses_and_round_trips()
    {
        var (report, _) = Run(Tiny with { Only = ["W1", "W3", "W4"] });
        string json = report.ToJson();

        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(1, root.GetProperty("runs").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("machine").GetString()));
        var figures = root.GetProperty("figures").EnumerateArray().ToArray();
        Assert.Equal(5, figures.Length);
        Assert.True(figures[0].GetProperty("steps_per_s").GetDouble() > 0);
        Assert.True(figures[0].TryGetProperty("alloc_bytes_per_step", out _));
        Assert.False(figures[0].TryGetProperty("gflops", out _));                       // absent figures are left out
        Assert.True(figures[1].GetProperty("sample_latency_ms").GetDouble() > 0);
        Assert.Equal(2048, figures[3].GetProperty("k").GetInt32());

        var back = BenchReport.FromJson(json);
        Assert.Equal(report.Figures, back.Figures);
        Assert.Equal(report.Date, back.Date);
    }

    [Fact]
    public void Parse_reads_the_documented_options()
    {
        var (options, json) = QuickOptions.Parse(["--threads", "2,1,2", "--only", "w3,W1", "--runs", "7", "--json", "out.json", "--profile"]);
        Assert.Equal([2, 1], options.Threads);
        Assert.Equal(["W1", "W3"], options.Only);
        Assert.Equal(7, options.Runs);
        Assert.True(options.Profile);
        Assert.Equal("out.json", json);

        var (sized, _) = QuickOptions.Parse(["--batch", "4096", "--width", "1024", "--steps", "10"]);
        Assert.Equal(4096, sized.Batch);
        Assert.Equal(1024, sized.Width);
        Assert.Equal(10, sized.StepsPerRun);

        var (defaults, noJson) = QuickOptions.Parse([]);
        Assert.Equal(QuickOptions.AllWorkloads, defaults.Only);
        Assert.Equal(5, defaults.Runs);
        Assert.Null(noJson);
    }

    [Theory]
    [InlineData("--threads", "0")]
    [InlineData("--threads", "x")]
    [InlineData("--only", "W5")]
    [InlineData("--runs", "0")]
    [InlineData("--width", "0")]
    [InlineData("--batch", "-3")]
    [InlineData("--bogus", "1")]
    [InlineData("--runs")]
    public void Parse_rejects_bad_input(params string[] args) =>
        Assert.Throws<ArgumentException>(() => QuickOptions.Parse(args));

    [Fact]
    public void Median_of_even_and_odd_counts()
    {
        Assert.Equal(2.0, QuickRunner.Median([3.0, 1.0, 2.0]));
        Assert.Equal(2.5, QuickRunner.Median([4.0, 1.0, 2.0, 3.0]));
    }
}
