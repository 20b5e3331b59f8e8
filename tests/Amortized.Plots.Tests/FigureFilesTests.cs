using Xunit;

namespace Amortized.Plots.Tests;

public sealed class FigureFilesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("amz-plots-files-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Save_WritesPngAndSvg_ReturnsPngBytes_NoTempLeft()
    {
        var plot = Figures.MmdNull([0.01, 0.02, 0.03, 0.025], 0.05, 0.2, "Saved figure");
        string stem = Path.Combine(_directory, "sub", "mmd");

        byte[] png = FigureFiles.Save(plot, stem, 640, 400);

        Assert.Equal(png, File.ReadAllBytes(stem + ".png"));
        Assert.Equal((640, 400), TestData.PngSize(png));
        string svg = File.ReadAllText(stem + ".svg");
        Assert.Contains("Saved figure", svg, StringComparison.Ordinal);
        Assert.Contains("width=\"640\"", svg, StringComparison.Ordinal);
        string[] files = Directory.GetFiles(Path.Combine(_directory, "sub")).Select(Path.GetFileName).Order().ToArray()!;
        Assert.Equal(["mmd.png", "mmd.svg"], files);
    }

    [Fact]
    public void Save_WithoutSvg_WritesOnlyPng()
    {
        string stem = Path.Combine(_directory, "loss");
        FigureFiles.Save(Figures.Loss([1, 0.5], []), stem, 300, 200, svg: false);
        Assert.Equal([stem + ".png"], Directory.GetFiles(_directory));
    }

    [Fact]
    public void Save_BadSize_Throws()
    {
        var plot = Figures.Loss([1, 0.5], []);
        Assert.Throws<ArgumentOutOfRangeException>(() => FigureFiles.Save(plot, Path.Combine(_directory, "x"), 0, 200));
        Assert.Empty(Directory.GetFiles(_directory));
    }
}
