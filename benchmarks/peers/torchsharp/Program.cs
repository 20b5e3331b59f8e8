using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

// W1-W4 of ../shared/WORKLOADS.md in TorchSharp, timed exactly as Amortized's quick runner (src/Amortized.Workloads)
// and printing the same lines (without the allocation line):
//   dotnet benchmarks/peers/torchsharp/bin/Release/net10.0/linux-x64/Amortized.Peers.TorchSharp.dll [--threads 1,2] [--only W1,W3] [--runs 5]
// The architecture, initialisation, batches, optimizer and timing procedure are those of benchmarks/peers/pytorch/workloads.py
// (see its docstring). Every step and call runs in a dispose scope, so libtorch frees its temporaries at once
// rather than when the GC finalises them.
int[] threads = [1, 2];
string[] only = ["W1", "W2", "W3", "W4"];
int runs = 5;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--threads": threads = [.. args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).Distinct()]; break;
        case "--only": only = [.. args[i + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToUpperInvariant())]; break;
        case "--runs": runs = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default:
            Console.Error.WriteLine($"unknown option {args[i]}; expected --threads 1,2 --only W1,W2,W3,W4 --runs 5");
            return 2;
    }
}
if (args.Length % 2 != 0 || threads.Length == 0 || threads.Min() < 1 || runs < 1 || only.Except(["W1", "W2", "W3", "W4"]).Any())
{
    Console.Error.WriteLine("usage: [--threads 1,2] [--only W1,W2,W3,W4] [--runs 5]");
    return 2;
}

torch.set_num_interop_threads(1);   // one op at a time, as our engine; intra-op threads are set per figure
Console.Error.WriteLine($"# torchsharp {typeof(torch).Assembly.GetName().Version} (libtorch {torch.__version__})");
foreach (int t in threads)
{
    torch.set_num_threads(t);
    foreach (string name in new[] { "W1", "W2" }.Where(only.Contains)) Runner.Training(name, t, runs);
    if (only.Contains("W3")) Runner.Sampling(t, runs);
    if (only.Contains("W4"))
    {
        foreach (var (m, k, n) in new[] { (512, 512, 512), (128, 2048, 128), (2048, 128, 128) }) Runner.Gemm(m, k, n, t, runs);
    }
}
return 0;

internal static class Runner
{
    private const int Warmup = 20, StepsPerRun = 50, CallsPerRun = 50;
    private const double GemmWarmupSeconds = 0.2, GemmRunSeconds = 0.05;

    public static void Training(string name, int threads, int runs)
    {
        using var w = new TrainingWorkload(deepSet: name == "W2");
        for (int i = 0; i < Warmup; i++) w.Step();
        var rates = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < StepsPerRun; i++) w.Step();
            rates[r] = StepsPerRun / Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        Print($"{name} threads={threads} steps_per_s={Median(rates):F1}");
    }

    public static void Sampling(int threads, int runs)
    {
        using var w = new SamplingWorkload(1000);
        for (int i = 0; i < Warmup; i++)
        {
            w.Sample();
            w.LogProb();
        }
        var sample = new double[runs];
        var logProb = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < CallsPerRun; i++) w.Sample();
            sample[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds / CallsPerRun;
            start = Stopwatch.GetTimestamp();
            for (int i = 0; i < CallsPerRun; i++) w.LogProb();
            logProb[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds / CallsPerRun;
        }
        Print($"W3 threads={threads} sample_latency_ms={Median(sample):F3} logprob_latency_ms={Median(logProb):F3}");
    }

    public static void Gemm(int m, int k, int n, int threads, int runs)
    {
        var generator = new Generator(42);
        using var a = torch.rand(m, k, generator: generator) - 0.5;
        using var b = torch.rand(k, n, generator: generator) - 0.5;
        using var c = torch.empty(m, n);
        double flops = 2.0 * m * n * k;
        long warm = Stopwatch.GetTimestamp();
        int calls = 0;
        while (calls < 5 || Stopwatch.GetElapsedTime(warm).TotalSeconds < GemmWarmupSeconds)
        {
            Product(a, b, c);
            calls++;
        }
        int inner = Math.Max(1, (int)(GemmRunSeconds / (Stopwatch.GetElapsedTime(warm).TotalSeconds / calls)));
        var rates = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < inner; i++) Product(a, b, c);
            rates[r] = flops * inner / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9;
        }
        Print($"W4 m={m} k={k} n={n} threads={threads} gflops={Median(rates):F1}");
    }

    // c = a b into the preallocated c (addmm_ with beta 0), as PyTorch's torch.mm(a, b, out=c).
    private static void Product(Tensor a, Tensor b, Tensor c) => c.addmm_(a, b, beta: 0f, alpha: 1f);

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    private static void Print(FormattableString line) => Console.WriteLine(line.ToString(CultureInfo.InvariantCulture));
}

/// <summary>Reverse the features, then x2 -> x2 exp(s) + t with (s_raw, t) from the subnet on concat(x1, c).</summary>
internal sealed class AffineCoupling
{
    private readonly int _d1, _d2;

    public AffineCoupling(int dim, int conditionDim)
    {
        _d1 = dim / 2;
        _d2 = dim - dim / 2;
        Subnet = nn.Sequential(Init(nn.Linear(_d1 + conditionDim, 128)), nn.SiLU(), Init(nn.Linear(128, 128)), nn.SiLU(),
            Init(nn.Linear(128, 2 * _d2), zero: true));
    }

    public Sequential Subnet { get; }

    /// <summary>Glorot-uniform weights (zero for the output layer), zero biases, as Amortized's Dense.</summary>
    public static Linear Init(Linear layer, bool zero = false)
    {
        using (torch.no_grad())
        {
            if (zero) nn.init.zeros_(layer.weight);
            else nn.init.xavier_uniform_(layer.weight);
            nn.init.zeros_(layer.bias);
        }
        return layer;
    }

    private (Tensor S, Tensor T) ScaleShift(Tensor x1, Tensor c)
    {
        var h = Subnet.forward(torch.cat([x1, c], 1));
        return (2.0 * torch.tanh(h.narrow(1, 0, _d2) * 0.5), h.narrow(1, _d2, _d2));
    }

    public (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor c)
    {
        x = x.flip(1);
        var x1 = x.narrow(1, 0, _d1);
        var (s, t) = ScaleShift(x1, c);
        return (torch.cat([x1, x.narrow(1, _d1, _d2) * s.exp() + t], 1), s.sum(1));
    }

    public Tensor Inverse(Tensor y, Tensor c)
    {
        var y1 = y.narrow(1, 0, _d1);
        var (s, t) = ScaleShift(y1, c);
        return torch.cat([y1, (y.narrow(1, _d1, _d2) - t) * (-s).exp()], 1).flip(1);
    }
}

/// <summary>Six affine couplings over a standard normal.</summary>
internal sealed class Flow
{
    private readonly AffineCoupling[] _couplings;
    private readonly int _dim;

    public Flow(int dim, int conditionDim)
    {
        _dim = dim;
        _couplings = [.. Enumerable.Range(0, 6).Select(_ => new AffineCoupling(dim, conditionDim))];
    }

    public IEnumerable<Parameter> Parameters() => _couplings.SelectMany(c => c.Subnet.parameters());

    public Tensor LogProb(Tensor x, Tensor c)
    {
        Tensor? logDet = null;
        foreach (var coupling in _couplings)
        {
            (x, var ld) = coupling.Forward(x, c);
            logDet = logDet is null ? ld : logDet + ld;
        }
        return -0.5 * (x * x).sum(1) - 0.5 * _dim * Math.Log(2 * Math.PI) + logDet!;
    }

    public Tensor Inverse(Tensor z, Tensor c)
    {
        for (int i = _couplings.Length - 1; i >= 0; i--) z = _couplings[i].Inverse(z, c);
        return z;
    }
}

internal sealed class TrainingWorkload : IDisposable
{
    public const int W1Parameters = 103_692;   // must equal Amortized.Workloads.FlowWorkload(W1).ParameterCount
    private readonly Flow _flow;
    private readonly Sequential? _phi, _rho;
    private readonly optim.Optimizer _adam;
    private readonly Tensor _theta, _conditions;

    public TrainingWorkload(bool deepSet)
    {
        torch.manual_seed(1);
        if (deepSet)
        {
            _phi = nn.Sequential(AffineCoupling.Init(nn.Linear(2, 64)), nn.SiLU(), AffineCoupling.Init(nn.Linear(64, 64)), nn.SiLU());
            _rho = nn.Sequential(AffineCoupling.Init(nn.Linear(64, 64)), nn.SiLU(), AffineCoupling.Init(nn.Linear(64, 8)));
        }
        _flow = new Flow(2, deepSet ? 8 : 2);
        var parameters = _flow.Parameters().Concat(_phi?.parameters() ?? []).Concat(_rho?.parameters() ?? []).ToList();
        long count = parameters.Sum(p => p.numel());
        if (!deepSet && count != W1Parameters) throw new InvalidOperationException($"W1 has {count} parameters, expected {W1Parameters}.");
        _adam = optim.Adam(parameters, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8);
        int batch = deepSet ? 128 : 512;
        _theta = torch.randn(batch, 2);
        _conditions = deepSet ? torch.randn(batch, 100, 2) : torch.randn(batch, 2);
    }

    public float Step()
    {
        using var scope = torch.NewDisposeScope();
        _adam.zero_grad();
        var c = _phi is null ? _conditions : _rho!.forward(_phi.forward(_conditions).mean([1]));
        var loss = -_flow.LogProb(_theta, c).mean();
        loss.backward();
        _adam.step();
        return loss.item<float>();
    }

    public void Dispose()
    {
        _theta.Dispose();
        _conditions.Dispose();
    }
}

internal sealed class SamplingWorkload : IDisposable
{
    private readonly Flow _flow = CreateFlow();
    private readonly Tensor _conditions, _points;
    private readonly int _draws;

    public SamplingWorkload(int draws)
    {
        _draws = draws;
        _conditions = torch.randn(1, 2).repeat(draws, 1);
        _points = torch.randn(draws, 2);
    }

    // Every parameter gets N(0, 0.05^2) noise, so no coupling is the identity.
    private static Flow CreateFlow()
    {
        torch.manual_seed(2);
        var flow = new Flow(2, 2);
        using (torch.no_grad())
        {
            foreach (var p in flow.Parameters()) p.add_(0.05 * torch.randn_like(p));
        }
        return flow;
    }

    public float Sample()
    {
        using var scope = torch.NewDisposeScope();
        using var mode = torch.inference_mode();
        return _flow.Inverse(torch.randn(_draws, 2), _conditions)[0, 0].item<float>();
    }

    public float LogProb()
    {
        using var scope = torch.NewDisposeScope();
        using var mode = torch.inference_mode();
        return _flow.LogProb(_points, _conditions)[0].item<float>();
    }

    public void Dispose()
    {
        _conditions.Dispose();
        _points.Dispose();
    }
}
