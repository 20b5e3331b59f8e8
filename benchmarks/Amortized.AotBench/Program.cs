using System.Diagnostics;
using System.Runtime.CompilerServices;
using Amortized.Kernels.Cpu;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Amortized.Workloads;

// W3 of ../shared/WORKLOADS.md, one line per thread count:
//   W3 runtime=aot threads=1 sample_ms=6.512 logprob_ms=6.201 throughput_draws_per_s=171234 calls=200
// sample_ms / logprob_ms: median latency of one call (1000 draws by the inverse pass, or 1000 log densities, for one
// condition), timed call by call after a time-based warm-up (long enough for tiered JIT to reach tier 1).
// throughput: 100 conditions x 1000 draws in one inverse pass of 100 000 rows, median of several calls.
int[] threads = [1, Environment.ProcessorCount];
int calls = 200, batches = 5;
double warmupSeconds = 3;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--threads": threads = [.. args[i + 1].Split(',').Select(int.Parse)]; break;
        case "--calls": calls = int.Parse(args[i + 1]); break;
        case "--batches": batches = int.Parse(args[i + 1]); break;
        case "--warmup": warmupSeconds = double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine($"unknown option {args[i]}; expected --threads 1,2 --calls 200 --batches 5 --warmup 3");
            return 2;
    }
}

string runtime = RuntimeFeature.IsDynamicCodeCompiled ? "jit" : "aot";
var workload = new SamplingWorkload();
var throughput = new ThroughputWorkload(workload, conditions: 100, drawsPerCondition: 1000);
foreach (int t in threads.Distinct())
{
    KernelThreading.MaxThreads = t;
    var warm = Stopwatch.StartNew();
    while (warm.Elapsed.TotalSeconds < warmupSeconds)
    {
        workload.Sample();
        workload.LogProb();
    }
    throughput.Sample();
    throughput.Sample();

    var sample = new double[calls];
    var logProb = new double[calls];
    for (int i = 0; i < calls; i++)
    {
        long t0 = Stopwatch.GetTimestamp();
        workload.Sample();
        long t1 = Stopwatch.GetTimestamp();
        workload.LogProb();
        long t2 = Stopwatch.GetTimestamp();
        sample[i] = Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
        logProb[i] = Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds;
    }
    var rates = new double[batches];
    for (int i = 0; i < batches; i++)
    {
        long t0 = Stopwatch.GetTimestamp();
        throughput.Sample();
        rates[i] = throughput.Draws / Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }
    Console.WriteLine(FormattableString.Invariant(
        $"W3 runtime={runtime} threads={t} sample_ms={Median(sample):F3} logprob_ms={Median(logProb):F3} throughput_draws_per_s={Median(rates):F0} calls={calls}"));
}
return 0;

static double Median(double[] values)
{
    var sorted = (double[])values.Clone();
    Array.Sort(sorted);
    int n = sorted.Length;
    return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

/// <summary>The W3 flow drawing for many conditions at once: each condition repeated per draw, one inverse pass.</summary>
internal sealed class ThroughputWorkload
{
    private readonly SamplingWorkload _w3;
    private readonly Workspace _workspace = new();
    private readonly Tensor _conditions;
    private readonly Rng _rng = new(5);

    public ThroughputWorkload(SamplingWorkload w3, int conditions, int drawsPerCondition)
    {
        _w3 = w3;
        Draws = conditions * drawsPerCondition;
        var rng = new Rng(4);
        var values = new float[Draws * 2];
        for (int c = 0; c < conditions; c++)
        {
            float a = rng.Normal(), b = rng.Normal();
            for (int d = 0; d < drawsPerCondition; d++)
            {
                values[2 * (c * drawsPerCondition + d)] = a;
                values[2 * (c * drawsPerCondition + d) + 1] = b;
            }
        }
        _conditions = Tensor.FromArray(values, Draws, 2);
    }

    public int Draws { get; }

    public float Sample()
    {
        _workspace.Reset();
        using (_workspace.Activate())
        using (Tape.NoGrad())
        {
            var z = Tensor.RandomNormal(new Shape(Draws, 2), _rng);
            return _w3.Flow.Inverse(z, _conditions).X.Span[0];
        }
    }
}
