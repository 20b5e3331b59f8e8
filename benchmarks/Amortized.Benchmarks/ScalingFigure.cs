using System.Globalization;
using System.Text;
using Amortized.Inference.FileFormats;
using Amortized.Plots;

namespace Amortized.Benchmarks;

/// <summary>
/// Draws the cost-as-work-grows results of benchmarks/scaling.sh: DIR/scaling-batch and DIR/scaling-width
/// (samples per second against batch size and against subnet width, ours and PyTorch, per thread count) and
/// DIR/scaling.md (every cell with the ratio ours / PyTorch).
/// </summary>
internal static class ScalingFigure
{
    private sealed record Row(string Side, int Threads, int Batch, int Width, double StepsPerSecond);

    public static int Run(string[] args)
    {
        if (args.Length != 2)
        {
            Console.Error.WriteLine("usage: scaling-figure CSV DIR");
            return 2;
        }
        List<Row> rows;
        try
        {
            rows = Read(args[0]);
        }
        catch (Exception e) when (e is IOException or FormatException or InvalidDataException)
        {
            Console.Error.WriteLine($"scaling-figure: {e.Message}");
            return 2;
        }
        string dir = args[1];
        int[] batches = [.. rows.Where(r => r.Width == 128).Select(r => r.Batch).Distinct().Order()];
        int[] widths = [.. rows.Where(r => r.Batch == 512).Select(r => r.Width).Distinct().Order()];
        int[] threads = [.. rows.Select(r => r.Threads).Distinct().Order()];
        var batchSeries = Series(rows, threads, batches, b => (b, 128));
        var widthSeries = Series(rows, threads, widths, w => (512, w));
        FigureFiles.Save(Figures.Throughput("W1 training throughput as the batch grows (subnet width 128)",
            "batch size", "samples / s (steps / s x batch)", batches, batchSeries), Path.Combine(dir, "scaling-batch"),
            900, 560);
        FigureFiles.Save(Figures.Throughput("W1 training throughput as the subnets widen (batch 512)",
            "hidden width of the coupling subnets", "samples / s (steps / s x batch)", widths, widthSeries),
            Path.Combine(dir, "scaling-width"), 900, 560);
        AtomicFile.WriteAllText(Path.Combine(dir, "scaling.md"), Table(rows, threads, batches, widths));
        Console.WriteLine($"scaling-figure: wrote scaling-batch, scaling-width (.png, .svg) and scaling.md to {dir}");
        return 0;
    }

    private static List<Row> Read(string path)
    {
        var rows = new List<Row>();
        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != "side,threads,batch,width,steps_per_s")
            throw new InvalidDataException(
                $"{path}: expected the header 'side,threads,batch,width,steps_per_s', got '{lines.FirstOrDefault()}'.");
        for (int i = 1; i < lines.Length; i++)
        {
            string[] f = lines[i].Split(',');
            if (f.Length != 5)
                throw new InvalidDataException($"{path} line {i + 1}: expected 5 fields, got {f.Length}.");
            // A run that failed leaves the value empty: that cell is not drawn.
            double rate = f[4].Length == 0 ? double.NaN : double.Parse(f[4], CultureInfo.InvariantCulture);
            rows.Add(new Row(f[0], int.Parse(f[1], CultureInfo.InvariantCulture),
                int.Parse(f[2], CultureInfo.InvariantCulture), int.Parse(f[3], CultureInfo.InvariantCulture), rate));
        }
        return rows;
    }

    private static double Rate(List<Row> rows, string side, int threads, int batch, int width) =>
        rows.Where(r => r.Side == side && r.Threads == threads && r.Batch == batch && r.Width == width)
            .Select(r => r.StepsPerSecond).DefaultIfEmpty(double.NaN).First();

    private static List<(string Name, double[] Values)> Series(List<Row> rows, int[] threads, int[] sizes,
        Func<int, (int Batch, int Width)> config)
    {
        var series = new List<(string, double[])>();
        foreach ((string side, string label) in new[] { ("ours", "Amortized"), ("pytorch", "PyTorch") })
        {
            foreach (int t in threads)
            {
                double[] values = sizes.Select(s =>
                {
                    (int b, int w) = config(s);
                    return Rate(rows, side, t, b, w) * b;
                }).ToArray();
                series.Add(($"{label} {t} thread{(t == 1 ? "" : "s")}", values));
            }
        }
        return series;
    }

    private static string Table(List<Row> rows, int[] threads, int[] batches, int[] widths)
    {
        var md = new StringBuilder();
        md.AppendLine("| batch | width | threads | ours steps/s | PyTorch steps/s | ours samples/s | ours / PyTorch |");
        md.AppendLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var configs = batches.Select(b => (b, 128)).Concat(widths.Where(w => w != 128).Select(w => (512, w)));
        foreach ((int b, int w) in configs)
        {
            foreach (int t in threads)
            {
                double ours = Rate(rows, "ours", t, b, w), peer = Rate(rows, "pytorch", t, b, w);
                md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {b} | {w} | {t} | {ours:F1} | {peer:F1} | {ours * b:F0} | {ours / peer:F2} |"));
            }
        }
        return md.ToString();
    }
}
