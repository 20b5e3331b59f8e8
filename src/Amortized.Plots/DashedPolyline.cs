using ScottPlot;
using SkiaSharp;

namespace Amortized.Plots;

/// <summary>
/// A polyline drawn as dashes (or dots) that are separate plain line segments in pixel space.
/// </summary>
/// <remarks>
/// ScottPlot's <c>LinePattern</c> is a Skia path effect, which Skia's SVG backend cannot write: it draws the
/// line solid and prints "Unsupported path effect in addPaint." once per segment (see <see cref="FigureStyle"/>).
/// Cutting the pattern into segments here keeps it dashed in PNG and SVG alike, and the dash length stays the
/// same in pixels whatever size the figure is rendered at.
/// </remarks>
internal sealed class DashedPolyline : IPlottable
{
    private readonly double[] _xs;
    private readonly double[] _ys;

    /// <param name="xs">X coordinates of the vertices, in data units.</param>
    /// <param name="ys">Y coordinates of the vertices, in data units; as many as <paramref name="xs"/>.</param>
    /// <param name="color">Colour of the dashes.</param>
    /// <param name="lineWidth">Width of the dashes, in pixels.</param>
    /// <param name="on">Length of each dash, in pixels.</param>
    /// <param name="off">Length of each gap, in pixels.</param>
    public DashedPolyline(double[] xs, double[] ys, Color color, float lineWidth, float on, float off)
    {
        if (xs.Length != ys.Length)
        {
            throw new ArgumentException($"xs has {xs.Length} values and ys {ys.Length}; they must match.", nameof(ys));
        }
        _xs = xs;
        _ys = ys;
        Color = color;
        LineWidth = lineWidth;
        On = on;
        Off = off;
    }

    public Color Color { get; }

    public float LineWidth { get; }

    public float On { get; }

    public float Off { get; }

    public bool IsVisible { get; set; } = true;

    public IAxes Axes { get; set; } = new Axes();

    public IEnumerable<LegendItem> LegendItems => [];

    public AxisLimits GetAxisLimits()
    {
        if (_xs.Length == 0)
        {
            return AxisLimits.NoLimits;
        }
        return new AxisLimits(_xs.Min(), _xs.Max(), _ys.Min(), _ys.Max());
    }

    public void Render(RenderPack rp)
    {
        if (_xs.Length < 2)
        {
            return;
        }
        using var paint = new SKPaint
        {
            Color = Color.ToSKColor(),
            StrokeWidth = LineWidth,
            IsAntialias = true,
            Style = SKPaintStyle.Stroke,
            StrokeCap = SKStrokeCap.Butt,
        };
        // The pattern carries on across vertices, so a bend does not restart it with a fresh dash.
        float phase = 0;
        float period = On + Off;
        for (int i = 1; i < _xs.Length; i++)
        {
            Pixel a = Axes.GetPixel(new Coordinates(_xs[i - 1], _ys[i - 1]));
            Pixel b = Axes.GetPixel(new Coordinates(_xs[i], _ys[i]));
            float dx = b.X - a.X;
            float dy = b.Y - a.Y;
            float length = MathF.Sqrt(dx * dx + dy * dy);
            if (!(length > 0))
            {
                continue;
            }
            float t = 0;
            while (t < length)
            {
                bool drawing = phase < On;
                float step = Math.Min(drawing ? On - phase : period - phase, length - t);
                if (drawing)
                {
                    float from = t / length;
                    float to = (t + step) / length;
                    rp.Canvas.DrawLine(a.X + dx * from, a.Y + dy * from, a.X + dx * to, a.Y + dy * to, paint);
                }
                t += step;
                phase = (phase + step) % period;
            }
        }
    }
}
