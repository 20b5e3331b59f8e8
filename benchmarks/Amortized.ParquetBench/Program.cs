using System.Diagnostics;
using System.Globalization;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Amortized.Parquet;
using Amortized.Tensors;

// dotnet run -c Release --project benchmarks/Amortized.ParquetBench [-- --rows 100000 --part 10000 --runs 5]
// Rows per second read from disk (page cache warm) into SimulationBatch parts: every part of a 100k-row data set,
// npz shards of `part` rows through ShardedDataset.ReadShard, Parquet row groups of `part` rows through
// ParquetShardFormat.ReadPart (Inspect once, as a dataset reader does). Median of `runs` passes after one warm-up.
int rows = Arg("--rows", 100_000), part = Arg("--part", 10_000), runs = Arg("--runs", 5);
string root = Path.Combine(Path.GetTempPath(), "amortized-parquetbench-" + Environment.ProcessId);
Directory.CreateDirectory(root);
try
{
    Console.WriteLine($"# {rows:N0} rows, parts of {part:N0}, median of {runs}; {Environment.ProcessorCount} cores, " +
        $"AVX-512 {System.Runtime.Intrinsics.X86.Avx512F.IsSupported}");
    foreach (var (name, xLength) in new[] { ("theta 2, x 2 (two_moons)", 2), ("theta 2, x 100", 100) })
    {
        SimulationBatch batch = Make(rows, xLength);
        string npz = Path.Combine(root, $"npz-{xLength}");
        using (var writer = new ShardedDatasetWriter(npz, part)) writer.Append(batch);
        var dataset = ShardedDataset.Open(npz);
        Report(name, "npz shards (ShardedDataset.ReadShard)", Measure(() =>
        {
            for (int s = 0; s < dataset.ShardCount; s++) dataset.ReadShard(s);
        }));
        foreach (var layout in new[] { ParquetArrayLayout.Lists, ParquetArrayLayout.Columns })
        {
            string file = Path.Combine(root, $"{layout}-{xLength}.parquet");
            ParquetFiles.Write(file, batch, new ParquetWriteOptions { RowGroupSize = part, Arrays = layout });
            var format = ParquetShardFormat.Instance;
            ShardSchema schema = format.Inspect(file, ReadLimits.Default);
            Report(name, $"parquet {layout.ToString().ToLowerInvariant()} (ParquetShardFormat.ReadPart)", Measure(() =>
            {
                for (int p = 0; p < schema.PartRows.Count; p++) format.ReadPart(file, p, schema, ReadLimits.Default);
            }));
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

void Report(string rowKind, string reader, double rowsPerSecond) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{rowKind,-26} {reader,-52} {rowsPerSecond / 1e6,8:F2} M rows/s"));

static SimulationBatch Make(int rows, int xLength)
{
    var rng = new Rng(1);
    var theta = new float[rows * 2];
    var x = new float[rows * xLength];
    rng.FillNormal(theta);
    rng.FillNormal(x);
    return new SimulationBatch(rows).Set("theta", theta, rows, 2).Set("x", x, rows, xLength);
}

int Arg(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
