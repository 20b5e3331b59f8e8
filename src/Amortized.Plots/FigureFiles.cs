using Amortized.Inference.FileFormats;
using ScottPlot;

namespace Amortized.Plots;

/// <summary>Renders figures to PNG and SVG and writes them atomically.</summary>
public static class FigureFiles
{
    /// <summary>
    /// Renders <paramref name="plot"/> at <paramref name="width"/> x <paramref name="height"/> pixels and writes
    /// <c>{pathWithoutExtension}.png</c> and, when <paramref name="svg"/>, <c>{pathWithoutExtension}.svg</c>.
    /// Each file is written to a temporary file beside it and renamed into place, so a reader never sees a
    /// partial image. Missing directories are created.
    /// </summary>
    /// <returns>The PNG bytes, e.g. for <see cref="HtmlReport.AddFigure"/>.</returns>
    public static byte[] Save(Plot plot, string pathWithoutExtension, int width, int height, bool svg = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(pathWithoutExtension);
        byte[] png = Png(plot, width, height);
        string? directory = Path.GetDirectoryName(Path.GetFullPath(pathWithoutExtension));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        AtomicFile.WriteAllBytes(pathWithoutExtension + ".png", png);
        if (svg)
        {
            AtomicFile.WriteAllText(pathWithoutExtension + ".svg", Svg(plot, width, height));
        }
        return png;
    }

    /// <summary>Renders <paramref name="plot"/> to PNG bytes in memory.</summary>
    public static byte[] Png(Plot plot, int width, int height)
    {
        CheckArguments(plot, width, height);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>Renders <paramref name="plot"/> to an SVG document (text stays text, so it is searchable).</summary>
    public static string Svg(Plot plot, int width, int height)
    {
        CheckArguments(plot, width, height);
        return plot.GetSvgXml(width, height);
    }

    private static void CheckArguments(Plot plot, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(plot);
        // 16384 is far beyond any figure and keeps a typo from asking Skia for gigabytes.
        if (width < 1 || width > 16384)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width,
                $"width must lie in [1, 16384] pixels; it is {width}.");
        }
        if (height < 1 || height > 16384)
        {
            throw new ArgumentOutOfRangeException(nameof(height), height,
                $"height must lie in [1, 16384] pixels; it is {height}.");
        }
    }
}
