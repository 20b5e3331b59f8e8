using System.Globalization;

namespace Amortized.Workloads;

/// <summary>
/// What <see cref="QuickRunner"/> runs and how long. The defaults are the ones benchmarks/compare.sh and the peers in
/// benchmarks/peers use, so that every side times the same work the same way; tests shrink them.
/// </summary>
public sealed record QuickOptions
{
    /// <summary>The workloads the runner knows, in the order it runs them.</summary>
    public static IReadOnlyList<string> AllWorkloads { get; } = ["W1", "W2", "W3", "W4"];

    /// <summary>Kernel thread counts, each run in turn (default 1 and all cores).</summary>
    public IReadOnlyList<int> Threads { get; init; } = Environment.ProcessorCount > 1
        ? [1, Environment.ProcessorCount] : [1];

    /// <summary>Workloads to run (a subset of <see cref="AllWorkloads"/>).</summary>
    public IReadOnlyList<string> Only { get; init; } = AllWorkloads;

    /// <summary>Timed runs per figure; the figure is their median.</summary>
    public int Runs { get; init; } = 5;

    /// <summary>
    /// Untimed W1/W2 steps (and W3 calls of each kind) before the first run, at least: the arenas grow.
    /// </summary>
    public int WarmupSteps { get; init; } = 20;

    /// <summary>
    /// Warm-up then goes on until no method has been JIT-compiled for this long, so the timed runs see tiered
    /// compilation's final code rather than tier-0 code still waiting to be recompiled. With 20 steps alone the
    /// profiled run, made after the timed ones, was faster than they were (W1: 2.77 ms a step against a timed
    /// 3.97). 0 turns the wait off.
    /// </summary>
    public double JitQuietSeconds { get; init; } = 0.5;

    /// <summary>The longest warm-up, in seconds, whatever the JIT does.</summary>
    public double MaxWarmupSeconds { get; init; } = 10;

    /// <summary>W1/W2 steps per timed run.</summary>
    public int StepsPerRun { get; init; } = 50;

    /// <summary>W3 calls of each kind (sample, log density) per timed run.</summary>
    public int CallsPerRun { get; init; } = 50;

    /// <summary>
    /// Target length of one W4 run in seconds; the number of products per run is sized from the warm-up.
    /// </summary>
    public double GemmRunSeconds { get; init; } = 0.05;

    /// <summary>Minimum W4 warm-up in seconds (and at least 5 products).</summary>
    public double GemmWarmupSeconds { get; init; } = 0.2;

    /// <summary>Also print the forward / backward / Adam breakdown of the W1 and W2 steps.</summary>
    public bool Profile { get; init; }

    /// <summary>
    /// The backend W1-W3 run on (null: the CPU). W4 times the CPU GEMM kernel and is skipped on another device.
    /// </summary>
    public Tensors.Backends.IBackend? Backend { get; init; }

    /// <summary>W1/W2 batch size (null: the workloads' 512 and 128).</summary>
    public int? Batch { get; init; }

    /// <summary>Width of the coupling subnets' two hidden layers in W1/W2 (null: the workloads' 128).</summary>
    public int? Width { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> when a setting is out of range.</summary>
    public void Validate()
    {
        if (Threads.Count == 0 || Threads.Any(t => t < 1 || t > 1024))
            throw new ArgumentException("Thread counts must be integers in 1..1024.");
        if (Only.Count == 0 || Only.Any(w => !AllWorkloads.Contains(w)))
            throw new ArgumentException(
                $"Workloads must be among {string.Join(", ", AllWorkloads)} (got {string.Join(", ", Only)}).");
        if (Batch is < 1)
            throw new ArgumentException($"Batch must be at least 1 (got {Batch}).");
        if (Width is < 1)
            throw new ArgumentException($"Width must be at least 1 (got {Width}).");
        if (Runs < 1 || WarmupSteps < 0 || StepsPerRun < 1 || CallsPerRun < 1)
            throw new ArgumentException("Runs, steps and calls per run must be positive (warm-up may be 0).");
        if (!(JitQuietSeconds >= 0) || !(MaxWarmupSeconds >= 0))
            throw new ArgumentException("Warm-up seconds must not be negative.");
        if (!(GemmRunSeconds > 0) || !(GemmWarmupSeconds >= 0))
            throw new ArgumentException("GEMM run and warm-up seconds must be positive.");
    }

    /// <summary>
    /// Parses <c>[--threads 1,2] [--only W1,W3] [--runs N] [--steps N] [--batch N] [--width N] [--profile]</c>
    /// (the BenchmarkDotNet project's <c>quick</c> verb; the <c>amortized bench</c> command parses the same
    /// options with System.CommandLine, --steps aside).
    /// Returns the options and the <c>--json</c> path, if any. Throws <see cref="ArgumentException"/> on bad input.
    /// </summary>
    public static (QuickOptions Options, string? JsonPath) Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new QuickOptions();
        string? json = null;
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            if (name == "--profile")
            {
                options = options with { Profile = true };
                continue;
            }
            if (i + 1 >= args.Count) throw new ArgumentException($"{name} needs a value.");
            string value = args[++i];
            options = name switch
            {
                "--threads" => options with { Threads = ParseThreads(value) },
                "--only" => options with { Only = ParseWorkloads(value) },
                "--runs" => options with { Runs = ParseInt(name, value, 1, 1000) },
                "--steps" => options with { StepsPerRun = ParseInt(name, value, 1, 100_000),
                    CallsPerRun = ParseInt(name, value, 1, 100_000) },
                "--batch" => options with { Batch = ParseInt(name, value, 1, 1 << 20) },
                "--width" => options with { Width = ParseInt(name, value, 1, 1 << 16) },
                "--json" => options,
                _ => throw new ArgumentException(
                    $"Unknown option {name}; expected --threads, --only, --runs, --steps, --batch, --width, --json " +
                    "or --profile."),
            };
            if (name == "--json") json = value;
        }
        options.Validate();
        return (options, json);
    }

    /// <summary>"1,2" -> [1, 2]: distinct thread counts in 1..1024, in the order given.</summary>
    public static IReadOnlyList<int> ParseThreads(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => ParseInt("--threads", s, 1, 1024)).Distinct()];
    }

    /// <summary>"w1,W3" -> ["W1", "W3"] in the runner's order; throws on a name outside W1..W4.</summary>
    public static IReadOnlyList<string> ParseWorkloads(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s.ToUpperInvariant()).ToHashSet();
        if (names.Count == 0 || names.Any(n => !AllWorkloads.Contains(n)))
            throw new ArgumentException(
                $"--only takes a comma-separated list of {string.Join(", ", AllWorkloads)} (got '{value}').");
        return [.. AllWorkloads.Where(names.Contains)];
    }

    private static int ParseInt(string name, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max
            ? v
            : throw new ArgumentException($"{name} must be an integer in {min}..{max} (got '{value}').");
}
