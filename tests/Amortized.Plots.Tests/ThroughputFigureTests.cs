using Xunit;

namespace Amortized.Plots.Tests;

/// <summary>
/// The throughput-as-work-grows figure: renders ours and a peer at two thread counts with a missing point to PNG
/// and SVG with every legend entry, and rejects bad input with a message that names the argument.
/// </summary>
public sealed class ThroughputFigureTests : IDisposable
{
    private static readonly int[] Batches = [64, 128, 256, 512, 1024, 2048, 4096];

    private readonly string _directory = Directory.CreateTempSubdirectory("amz-plots-throughput-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static List<(string, double[])> Series() =>
    [
        ("Amortized 1 thread", Batches.Select(b => 400.0 * b / (1 + b / 512.0)).ToArray()),
        ("Amortized 2 threads", Batches.Select(b => 600.0 * b / (1 + b / 512.0)).ToArray()),
        ("PyTorch 1 thread", Batches.Select(b => b == 4096 ? double.NaN : 200.0 * b / (1 + b / 512.0)).ToArray()),
        ("PyTorch 2 threads", Batches.Select(b => 250.0 * b / (1 + b / 512.0)).ToArray()),
    ];

    [Fact]
    public void Throughput_RendersPngAndSvgWithEveryLegendEntry()
    {
        var plot = Figures.Throughput("W1 throughput", "batch size", "samples / s", Batches, Series());
        string path = Path.Combine(_directory, "scaling-batch");
        byte[] png = FigureFiles.Save(plot, path, 900, 560);
        Assert.True(png.Length > 1000);
        Assert.True(File.Exists(path + ".png"));
        string svg = File.ReadAllText(path + ".svg");
        foreach (string name in new[] { "Amortized 1 thread", "Amortized 2 threads", "PyTorch 1 thread", "4096" })
            Assert.Contains(name, svg);
    }

    [Fact]
    public void Throughput_BadInput_ThrowsNamingTheArgument()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Figures.Throughput("t", "x", "y", [64, 64], Series()));
        Assert.Equal("sizes", e.ParamName);
        e = Assert.Throws<ArgumentException>(() =>
            Figures.Throughput("t", "x", "y", Batches, [("ours", new double[3])]));
        Assert.Contains("3 values for 7 sizes", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            Figures.Throughput("t", "x", "y", Batches, [("ours", Batches.Select(_ => -1.0).ToArray())]));
        Assert.Contains("positive or NaN", e.Message);
    }
}
