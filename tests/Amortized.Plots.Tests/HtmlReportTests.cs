using Xunit;

namespace Amortized.Plots.Tests;

public sealed class HtmlReportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("amz-plots-html-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static byte[] SmallPng() => FigureFiles.Png(Figures.Loss([3, 2, 1.5], []), 200, 150);

    [Fact]
    public void Render_EscapesEveryUserText()
    {
        string hostile = "<script>alert('x')</script> & \"q\"";
        string html = new HtmlReport(hostile)
            .AddParagraph(hostile)
            .AddKeyValues(hostile, [new(hostile, hostile)])
            .AddTable(hostile, [hostile], [[hostile]])
            .AddMetricsTable(hostile, [(hostile, hostile, hostile, hostile, true, hostile)])
            .AddFigure(hostile, SmallPng())
            .AddPreformatted(hostile, hostile)
            .Render();

        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("\"q\"", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;", html, StringComparison.Ordinal);
        Assert.Contains("<title>&lt;script&gt;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_IsSelfContained_WithEmbeddedPng()
    {
        byte[] png = SmallPng();
        string html = new HtmlReport("Run 1").AddFigure("Loss", png).Render();

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("<img src=\"data:image/png;base64," + Convert.ToBase64String(png) + "\" alt=\"Loss\">", html, StringComparison.Ordinal);
        Assert.Contains("<figcaption>Loss</figcaption>", html, StringComparison.Ordinal);
        Assert.Contains("<style>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<link", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }

    [Fact]
    public void AddMetricsTable_StylesVerdictsAndCountsPasses()
    {
        string html = new HtmlReport("Checks")
            .AddMetricsTable("Calibration", [
                ("ECE", "mu", "0.012", "< 0.05", true, "pass"),
                ("ECE", "sigma", "0.081", "< 0.05", false, "FAIL"),
                ("NRMSE", "mu", "0.10", "< 0.2", true, "pass"),
            ])
            .Render();

        Assert.Contains("<p class=\"summary\">2 of 3 checks passed</p>", html, StringComparison.Ordinal);
        Assert.Contains("<tr class=\"pass\"><td>ECE</td><td>mu</td><td>0.012</td><td>&lt; 0.05</td><td class=\"verdict\">pass</td></tr>", html, StringComparison.Ordinal);
        Assert.Contains("<tr class=\"fail\"><td>ECE</td><td>sigma</td>", html, StringComparison.Ordinal);
        Assert.Contains("tr.pass td.verdict", html, StringComparison.Ordinal);
        Assert.Contains("tr.fail td.verdict", html, StringComparison.Ordinal);
    }

    [Fact]
    public void AddTable_RowOfWrongLength_ThrowsAndLeavesReportUnchanged()
    {
        var report = new HtmlReport("T");
        string before = report.Render();
        var e = Assert.Throws<ArgumentException>(() => report.AddTable("h", ["a", "b"], [["1", "2"], ["3"]]));
        Assert.Equal("rows", e.ParamName);
        Assert.Contains("rows[1] has 1 cells; expected 2", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, report.Render());
    }

    [Fact]
    public void AddFigure_NotPng_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new HtmlReport("T").AddFigure("x", [1, 2, 3]));
        Assert.Equal("png", e.ParamName);
    }

    [Fact]
    public void Save_WritesAtomically_NoTempFileLeft_OverwritesExisting()
    {
        string path = Path.Combine(_directory, "report.html");
        File.WriteAllText(path, "old");
        var report = new HtmlReport("Ünïcode µσ report").AddParagraph("line one\nline two").AddFigure("fig", SmallPng());

        report.Save(path);

        Assert.Equal([path], Directory.GetFiles(_directory));
        byte[] bytes = File.ReadAllBytes(path);
        Assert.False(bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]), "UTF-8 BOM written");
        string text = File.ReadAllText(path);
        Assert.Equal(report.Render(), text);
        Assert.Contains("Ünïcode µσ report", text, StringComparison.Ordinal);
        Assert.Contains("line one<br>\nline two", text, StringComparison.Ordinal);
    }
}
