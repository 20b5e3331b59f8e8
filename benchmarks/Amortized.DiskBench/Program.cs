using System.Diagnostics;
using System.Globalization;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Amortized.Kernels.Cpu;
using Amortized.Parquet;
using Amortized.Tensors;
using Amortized.Workloads;

// dotnet run -c Release --project benchmarks/Amortized.DiskBench [-- --rows 100000 --part 10000 --runs 5]
// Does reading from disk keep up with training? In one run, on one machine (page cache warm):
//  1. parts: every part of a `rows`-row data set read into SimulationBatches: npz shards of `part` rows through
//     ShardedDataset.ReadShard, Parquet row groups of `part` rows through ParquetShardFormat.ReadPart (list columns
//     and x[i] columns);
//  2. stream: the batches a disk-trained run actually draws (ShardedDataset.ReadShuffled, two shards in memory)
//     over a manifest-free folder of npz shards and one of Parquet files, at W1's batch (512) and W2's (128);
//  3. consumption: W1 and W2 training steps per second on 1 thread and on every core, times their batch, as rows/s.
// Rows like W1's (theta 2, x 2) and like W2's (theta 2, a set of 100 x 2). Medians of `runs` passes after a warm-up.
int rows = Arg("--rows", 100_000), part = Arg("--part", 10_000), runs = Arg("--runs", 5);
ParquetFormat.Register();
string root = Path.Combine(Path.GetTempPath(), "amortized-diskbench-" + Environment.ProcessId);
Directory.CreateDirectory(root);
try
{
    Console.WriteLine($"# {rows:N0} rows, parts of {part:N0}, median of {runs}; {Environment.ProcessorCount} cores, " +
        $"AVX-512 {System.Runtime.Intrinsics.X86.Avx512F.IsSupported}, {System.Runtime.InteropServices.RuntimeInformation.OSArchitecture}");
    foreach (var (name, xShape, batch) in new[] { ("W1 rows: theta 2, x 2", new[] { 2 }, FlowWorkload.W1Batch),
                 ("W2 rows: theta 2, x 100x2", new[] { 100, 2 }, FlowWorkload.W2Batch) })
    {
        SimulationBatch data = Make(rows, xShape);
        string npz = Path.Combine(root, $"npz-{xShape.Length}");
        using (var writer = new ShardedDatasetWriter(npz, part)) writer.Append(data);
        var withManifest = ShardedDataset.Open(npz);
        Report(name, "parts: npz shards (ReadShard)", Measure(() =>
        {
            for (int s = 0; s < withManifest.ShardCount; s++) withManifest.ReadShard(s);
        }));
        foreach (var layout in new[] { ParquetArrayLayout.Lists, ParquetArrayLayout.Columns })
        {
            string file = Path.Combine(root, $"{layout}-{xShape.Length}.parquet");
            ParquetFiles.Write(file, data, new ParquetWriteOptions { RowGroupSize = part, Arrays = layout });
            var format = ParquetShardFormat.Instance;
            ShardSchema schema = format.Inspect(file, ReadLimits.Default);
            Report(name, $"parts: parquet {layout.ToString().ToLowerInvariant()} (ReadPart)", Measure(() =>
            {
                for (int p = 0; p < schema.PartRows.Count; p++) format.ReadPart(file, p, schema, ReadLimits.Default);
            }));
        }
        // The stream a disk-trained run reads: manifest-free folders, shuffled batches, two shards in memory.
        string npzFolder = Path.Combine(root, $"npz-folder-{xShape.Length}");
        string parquetFolder = Path.Combine(root, $"parquet-folder-{xShape.Length}");
        Directory.CreateDirectory(npzFolder);
        for (int s = 0; s * part < rows; s++)
            Npy.WriteNpz(Path.Combine(npzFolder, $"part-{s:D5}.npz"), data.Slice(s * part, Math.Min(part, rows - s * part)),
                compress: false);
        ParquetFiles.WriteShards(parquetFolder, data, (rows + part - 1) / part);
        foreach (var (label, folder) in new[] { ("npz", npzFolder), ("parquet lists", parquetFolder) })
        {
            var dataset = ShardedDataset.Open(folder);
            ulong epoch = 0;
            Report(name, $"stream: {label} folder, batches of {batch}", Measure(() =>
            {
                foreach (var _ in dataset.ReadShuffled(batch, seed: ++epoch, bufferShards: 2)) { }
            }));
        }
        bool deepSet = xShape.Length > 1;
        foreach (int threads in new[] { 1, Environment.ProcessorCount })
        {
            double steps = StepsPerSecond(deepSet, threads);
            Report(name, $"consumed: {(deepSet ? "W2" : "W1")} on {threads} thread(s), {steps:F0} steps/s x {batch}",
                steps * batch);
        }
    }
}
finally
{
    Directory.Delete(root, recursive: true);
}

double Measure(Action readAll)
{
    readAll();
    var seconds = new double[runs];
    for (int r = 0; r < runs; r++)
    {
        var clock = Stopwatch.StartNew();
        readAll();
        seconds[r] = clock.Elapsed.TotalSeconds;
    }
    Array.Sort(seconds);
    return rows / seconds[runs / 2];
}

// Median over `runs` rounds of 2 s each, after 50 warm-up steps.
double StepsPerSecond(bool deepSet, int threads)
{
    int previous = KernelThreading.MaxThreads;
    KernelThreading.MaxThreads = threads;
    try
    {
        var workload = new FlowWorkload(deepSet);
        for (int i = 0; i < 50; i++) workload.Step();
        var rates = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            var clock = Stopwatch.StartNew();
            int steps = 0;
            while (clock.Elapsed.TotalSeconds < 2) { workload.Step(); steps++; }
            rates[r] = steps / clock.Elapsed.TotalSeconds;
        }
        Array.Sort(rates);
        return rates[runs / 2];
    }
    finally { KernelThreading.MaxThreads = previous; }
}

void Report(string rowKind, string what, double rowsPerSecond) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{rowKind,-26} {what,-58} {rowsPerSecond / 1e6,8:F3} M rows/s"));

static SimulationBatch Make(int rows, int[] xShape)
{
    var rng = new Rng(1);
    int xLength = xShape.Aggregate(1, (a, b) => a * b);
    var theta = new float[rows * 2];
    var x = new float[rows * xLength];
    rng.FillNormal(theta);
    rng.FillNormal(x);
    return new SimulationBatch(rows).Set("theta", theta, rows, 2).Set("x", x, [rows, .. xShape]);
}

int Arg(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
