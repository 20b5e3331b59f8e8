using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Amortized.Gpu;
using Amortized.Tensors.Backends;
using Amortized.Workloads;
using Xunit;
using Xunit.Sdk;

// amortized-gpubench: the GPU backend's checks and timings on a machine with an accelerator and no .NET SDK.
//   test  [--device cuda]                         run the GPU test assemblies (xunit facts and theories) by reflection
//   bench [--device cuda] [--batch 512,4096] [--runs 5]   W1, W2 (per batch) and W3 steps/s and latencies
//   devices                                       list what ILGPU sees
// Timing follows src/Amortized.Workloads/QuickRunner and benchmarks/peers/pytorch/workloads.py: 20 untimed steps,
// then --runs runs of 50 steps (median steps/s); W3 20 untimed calls, then runs of 50 calls (median mean latency).
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
string mode = args.Length > 0 ? args[0] : "bench";
string device = Option("--device", "cuda");
return mode switch
{
    "devices" => Devices(),
    "test" => Test(device),
    "bench" => Bench(device, Option("--batch", "512,4096").Split(',').Select(int.Parse).ToArray(), int.Parse(Option("--runs", "5"), CultureInfo.InvariantCulture)),
    _ => Usage(),
};

string Option(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Amortized.GpuBench devices | test [--device cuda|cpu] | bench [--device cuda|cpu] [--batch 512,4096] [--runs 5]");
    return 2;
}

static int Devices()
{
    foreach (var d in GpuBackend.ListDevices()) Console.WriteLine(d);
    return 0;
}

static int Test(string device)
{
    // The tests pick their device from this variable (GpuTestDevice / TestAccelerators).
    Environment.SetEnvironmentVariable("AMORTIZED_GPU_TEST_DEVICE", device == "cpu" ? null : device);
    int passed = 0, failed = 0, skipped = 0;
    var total = Stopwatch.StartNew();
    foreach (var assembly in new[] { typeof(Amortized.Gpu.Tests.GpuTestDevice).Assembly, typeof(Amortized.Kernels.Gpu.Tests.TestAccelerators).Assembly })
    {
        foreach (var type in assembly.GetExportedTypes().Where(t => t.IsClass && !t.IsAbstract).OrderBy(t => t.FullName))
        {
            var methods = type.GetMethods().Where(m => m.GetCustomAttributes<FactAttribute>(true).Any()).ToList();
            if (methods.Count == 0) continue;
            var fixtures = new List<object>();
            var ctor = type.GetConstructors().Single();
            object[] ctorArgs;
            try
            {
                ctorArgs = ctor.GetParameters().Select(p => { var f = Activator.CreateInstance(p.ParameterType)!; fixtures.Add(f); return f; }).ToArray();
            }
            catch (Exception e)
            {
                Console.WriteLine($"FAIL {type.Name} (fixture): {Inner(e).Message}");
                failed += methods.Count;
                continue;
            }
            foreach (var method in methods)
            {
                var fact = method.GetCustomAttributes<FactAttribute>(true).First();
                if (fact.Skip is not null)
                {
                    skipped++;
                    Console.WriteLine($"skip {type.Name}.{method.Name}: {fact.Skip}");
                    continue;
                }
                var cases = fact is TheoryAttribute
                    ? method.GetCustomAttributes<DataAttribute>(true).SelectMany(d => d.GetData(method)).ToList()
                    : [Array.Empty<object>()];
                foreach (var data in cases)
                {
                    string name = $"{type.Name}.{method.Name}({string.Join(", ", data)})";
                    var sw = Stopwatch.StartNew();
                    try
                    {
                        object instance = ctor.Invoke(ctorArgs);
                        method.Invoke(instance, data);
                        (instance as IDisposable)?.Dispose();
                        passed++;
                        if (sw.Elapsed.TotalSeconds > 2) Console.WriteLine($"pass {name} [{sw.Elapsed.TotalSeconds:F1} s]");
                    }
                    catch (Exception e)
                    {
                        failed++;
                        Console.WriteLine($"FAIL {name}: {Inner(e).GetType().Name}: {Inner(e).Message}");
                    }
                }
            }
            foreach (var f in fixtures) (f as IDisposable)?.Dispose();
        }
    }
    Console.WriteLine($"device={device} {passed} passed, {failed} failed, {skipped} skipped in {total.Elapsed.TotalSeconds:F1} s");
    return failed == 0 ? 0 : 1;
}

static Exception Inner(Exception e) => e is TargetInvocationException { InnerException: { } inner } ? inner : e;

static int Bench(string device, int[] batches, int runs)
{
    using var gpu = GpuBackend.Create(device);
    Console.WriteLine($"# backend ilgpu-{gpu.Kind.ToString().ToLowerInvariant()} device '{gpu.Name}'");
    foreach (int batch in batches)
    {
        foreach (bool deepSet in new[] { false, true })
        {
            int b = batch;   // the issue times W1 and W2 at the same batch sizes (W2: data sets of 100 points)
            var w = new FlowWorkload(deepSet, seed: 1, b, gpu);
            for (int i = 0; i < 20; i++) w.Step();
            var rates = new List<double>();
            for (int r = 0; r < runs; r++)
            {
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < 50; i++) w.Step();
                rates.Add(50 / sw.Elapsed.TotalSeconds);
            }
            long allocations = gpu.AllocationCount;
            w.Step();
            Console.WriteLine($"{w.Name} batch={b} steps_per_s={Median(rates):F1} device_allocations_per_step={gpu.AllocationCount - allocations}");
        }
    }
    var s = new SamplingWorkload(1000, 2, gpu);
    for (int i = 0; i < 20; i++) { s.Sample(); s.LogProb(); s.SampleToHost(); }
    var sample = new List<double>(); var logProb = new List<double>(); var toHost = new List<double>();
    for (int r = 0; r < runs; r++)
    {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 50; i++) s.Sample();
        sample.Add(sw.Elapsed.TotalMilliseconds / 50);
        sw.Restart();
        for (int i = 0; i < 50; i++) s.LogProb();
        logProb.Add(sw.Elapsed.TotalMilliseconds / 50);
        sw.Restart();
        for (int i = 0; i < 50; i++) s.SampleToHost();
        toHost.Add(sw.Elapsed.TotalMilliseconds / 50);
    }
    Console.WriteLine($"W3 sample_latency_ms={Median(sample):F3} logprob_latency_ms={Median(logProb):F3} sample_to_host_latency_ms={Median(toHost):F3}");
    return 0;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);
}
