using System.Buffers.Binary;
using Amortized.Testing;
using ScottPlot;
using Xunit;

namespace Amortized.Plots.Tests;

/// <summary>Synthetic diagnostics inputs with fixed seeds, and checks on rendered images.</summary>
internal static class TestData
{
    public static Random NewRandom() => new((int)TestSeeds.Default);

    public static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    public static string[] Names(int d)
    {
        var names = new string[d];
        for (int j = 0; j < d; j++)
        {
            names[j] = $"theta_{j}";
        }
        return names;
    }

    public static double[] Uniform(Random rng, int count)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = rng.NextDouble();
        }
        return values;
    }

    public static double[] Normals(Random rng, int count, double scale = 1, double shift = 0)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = shift + scale * Normal(rng);
        }
        return values;
    }

    public static float[] NormalFloats(Random rng, int count, double scale = 1)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(scale * Normal(rng));
        }
        return values;
    }

    /// <summary>A band of the right shape (not the exact simultaneous band; the figure draws what it is given).</summary>
    public static (double[] Z, double[] Lower, double[] Upper) Band(int numDatasets)
    {
        var z = new double[51];
        var lower = new double[51];
        var upper = new double[51];
        for (int k = 0; k < z.Length; k++)
        {
            z[k] = k / 50.0;
            double half = 2.5 * Math.Sqrt(z[k] * (1 - z[k]) / numDatasets);
            lower[k] = -half;
            upper[k] = half;
        }
        return (z, lower, upper);
    }

    /// <summary>(width, height) from a PNG's IHDR chunk, after checking the signature.</summary>
    public static (int Width, int Height) PngSize(byte[] png)
    {
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        Assert.True(png.Length > 24, $"PNG has only {png.Length} bytes.");
        Assert.True(png.AsSpan(0, 8).SequenceEqual(signature), "missing PNG signature");
        // Bytes 8..15: length and type of the first chunk, which the PNG spec requires to be IHDR.
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        int width = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4));
        int height = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20, 4));
        return (width, height);
    }

    /// <summary>
    /// Renders <paramref name="plot"/> at its suggested size and checks the PNG (signature, IHDR size, more than a
    /// few KB, which an empty white canvas compresses far below) and the SVG (contains each expected text).
    /// </summary>
    public static void AssertRenders(Plot plot, params string[] expectedTexts)
    {
        (int width, int height) = Figures.SuggestedSize(plot);
        byte[] png = FigureFiles.Png(plot, width, height);
        Assert.Equal((width, height), PngSize(png));
        Assert.True(png.Length > 8_000, $"PNG of {width} x {height} is only {png.Length} bytes; nothing drawn?");
        string svg = FigureFiles.Svg(plot, width, height);
        Assert.StartsWith("<?xml", svg, StringComparison.Ordinal);
        foreach (string text in expectedTexts)
        {
            Assert.Contains(text, svg, StringComparison.Ordinal);
        }
    }
}
