using ScottPlot;

namespace Amortized.Plots;

/// <summary>
/// A plottable that draws whole plots into the cells of a grid inside its host plot's data area.
/// </summary>
/// <remarks>
/// ScottPlot 5's <c>Multiplot</c> is not a <see cref="Plot"/> and cannot save SVG, while every figure here
/// must be a <see cref="Plot"/> that saves both. Rendering each panel onto the host's canvas (the same thing
/// <c>Multiplot.Render</c> does) keeps the panels vector in SVG, sizes them at save time, and needs no
/// reflection. Each panel's canvas clear is turned off, or it would wipe the cells drawn before it.
/// </remarks>
internal sealed class PanelGrid : IPlottable
{
    private const float Gap = 6;

    private readonly Plot?[] _panels;

    public PanelGrid(IReadOnlyList<Plot?> panels, int columns)
    {
        _panels = [.. panels];
        Columns = columns;
        Rows = (panels.Count + columns - 1) / columns;
        foreach (Plot? panel in _panels)
        {
            if (panel is not null)
            {
                panel.RenderManager.ClearCanvasBeforeEachRender = false;
            }
        }
    }

    public int Rows { get; }

    public int Columns { get; }

    public bool IsVisible { get; set; } = true;

    public IAxes Axes { get; set; } = new Axes();

    public IEnumerable<LegendItem> LegendItems => [];

    public AxisLimits GetAxisLimits() => new(0, 1, 0, 1);

    public void Render(RenderPack rp)
    {
        PixelRect area = rp.DataRect;
        float width = area.Width / Columns;
        float height = area.Height / Rows;
        for (int i = 0; i < _panels.Length; i++)
        {
            Plot? panel = _panels[i];
            if (panel is null)
            {
                continue;
            }
            int row = i / Columns;
            int column = i % Columns;
            float left = area.Left + column * width;
            float top = area.Top + row * height;
            var cell = new PixelRect(left + Gap / 2, left + width - Gap / 2, top + height - Gap / 2, top + Gap / 2);
            panel.Render(rp.Canvas, cell);
        }
    }
}
