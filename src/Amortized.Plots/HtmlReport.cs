using System.Text;
using Amortized.Inference.FileFormats;

namespace Amortized.Plots;

/// <summary>
/// Builds one self-contained HTML file: inline CSS, no scripts, no external links, figures embedded as base64
/// PNG data URIs, so the report can be mailed or archived as a single file. All text passed in is HTML-escaped.
/// Sections appear in the order they are added; every Add method returns this report for chaining.
/// </summary>
public sealed class HtmlReport
{
    private const string Css = """
        body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1f2328; margin: 0; background: #fff; }
        main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; }
        h1 { font-size: 1.7em; border-bottom: 2px solid #d0d7de; padding-bottom: 8px; }
        h2 { font-size: 1.25em; margin-top: 2em; }
        table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.92em; }
        th, td { border: 1px solid #d0d7de; padding: 5px 10px; text-align: left; vertical-align: top; }
        th { background: #f6f8fa; }
        table.kv th { width: 16em; }
        tr.pass td.verdict { color: #116329; background: #dafbe1; font-weight: 600; }
        tr.fail td.verdict { color: #a40e26; background: #ffebe9; font-weight: 600; }
        p.summary { font-weight: 600; }
        figure { margin: 16px 0 28px; }
        figure img { max-width: 100%; height: auto; border: 1px solid #eaeef2; }
        figcaption { color: #57606a; font-size: 0.92em; margin-top: 4px; }
        tr.outside td { color: #57606a; }
        tr.outside td.verdict { font-weight: 400; }
        details { margin: 8px 0 16px; }
        summary { cursor: pointer; font-weight: 600; }
        pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: 10px 12px; overflow-x: auto; font-size: 0.85em; }
        """;

    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly string _title;
    private readonly StringBuilder _body = new();

    /// <summary>Starts a report whose page title and top heading are <paramref name="title"/>.</summary>
    public HtmlReport(string title)
    {
        ArgumentNullException.ThrowIfNull(title);
        _title = title;
    }

    /// <summary>Adds a section heading.</summary>
    public HtmlReport AddHeading(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _body.Append("<h2>").Append(Escape(text)).Append("</h2>\n");
        return this;
    }

    /// <summary>Adds a paragraph of plain text; line breaks are kept.</summary>
    public HtmlReport AddParagraph(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _body.Append("<p>").Append(Escape(text).Replace("\n", "<br>\n", StringComparison.Ordinal)).Append("</p>\n");
        return this;
    }

    /// <summary>Adds a heading and a two-column table of keys and values (run settings, data sizes).</summary>
    public HtmlReport AddKeyValues(string heading, IEnumerable<KeyValuePair<string, string>> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        AddHeading(heading);
        _body.Append("<table class=\"kv\">\n");
        foreach (KeyValuePair<string, string> item in items)
        {
            _body.Append("<tr><th>").Append(Escape(item.Key)).Append("</th><td>")
                .Append(Escape(item.Value)).Append("</td></tr>\n");
        }
        _body.Append("</table>\n");
        return this;
    }

    /// <summary>Adds a heading and a table; every row must have as many cells as <paramref name="header"/>.</summary>
    /// <exception cref="ArgumentException">A row's length differs from the header's.</exception>
    public HtmlReport AddTable(string heading, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        var html = new StringBuilder("<table>\n<tr>");
        foreach (string cell in header)
        {
            html.Append("<th>").Append(Escape(cell)).Append("</th>");
        }
        html.Append("</tr>\n");
        int index = 0;
        foreach (IReadOnlyList<string> row in rows)
        {
            ArgumentNullException.ThrowIfNull(row, nameof(rows));
            if (row.Count != header.Count)
            {
                throw new ArgumentException(
                    $"rows[{index}] has {row.Count} cells; expected {header.Count} (header.Count).", nameof(rows));
            }
            html.Append("<tr>");
            foreach (string cell in row)
            {
                html.Append("<td>").Append(Escape(cell)).Append("</td>");
            }
            html.Append("</tr>\n");
            index++;
        }
        html.Append("</table>\n");
        AddHeading(heading);
        _body.Append(html);
        return this;
    }

    /// <summary>
    /// Adds a heading, a "k of n checks passed" line and a table of metric checks whose verdict cell is green
    /// (row class <c>pass</c>) or red (row class <c>fail</c>) according to <c>Passed</c>.
    /// </summary>
    public HtmlReport AddMetricsTable(
        string heading,
        IEnumerable<(string Metric, string Parameter, string Value, string Criterion,
            bool Passed, string Verdict)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return MetricsTable(heading, rows.Select(r => (r.Metric, r.Parameter, r.Value, r.Criterion, r.Passed, r.Verdict,
            true)), showBasis: false);
    }

    /// <summary>
    /// Adds a figure from PNG bytes (for instance the return value of <see cref="FigureFiles.Save"/>),
    /// embedded as a data URI, with <paramref name="caption"/> below it and as its alt text.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="png"/> does not start with the PNG signature.</exception>
    public HtmlReport AddFigure(string caption, byte[] png)
    {
        ArgumentNullException.ThrowIfNull(caption);
        ArgumentNullException.ThrowIfNull(png);
        if (!png.AsSpan().StartsWith(PngSignature))
        {
            throw new ArgumentException(
                $"png ({png.Length} bytes) does not start with the PNG signature.", nameof(png));
        }
        string text = Escape(caption);
        _body.Append("<figure><img src=\"data:image/png;base64,").Append(Convert.ToBase64String(png))
            .Append("\" alt=\"").Append(text).Append("\"><figcaption>").Append(text).Append("</figcaption></figure>\n");
        return this;
    }

    /// <summary>Adds a heading and monospaced text kept as is (a network architecture, a configuration).</summary>
    public HtmlReport AddPreformatted(string heading, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        AddHeading(heading);
        _body.Append("<pre>").Append(Escape(text)).Append("</pre>\n");
        return this;
    }

    /// <summary>
    /// Adds <paramref name="text"/> as preformatted text in a section folded shut under <paramref name="heading"/>
    /// (an HTML <c>details</c> element): long listings such as a network architecture stay out of the way.
    /// </summary>
    public HtmlReport AddCollapsible(string heading, string text)
    {
        ArgumentNullException.ThrowIfNull(heading);
        ArgumentNullException.ThrowIfNull(text);
        _body.Append("<details><summary>").Append(Escape(heading)).Append("</summary><pre>").Append(Escape(text))
            .Append("</pre></details>\n");
        return this;
    }

    /// <summary>
    /// Adds a metrics table whose rows say whether they count toward the page's headline verdict: rows outside it
    /// are shown in grey and marked so, whatever their outcome, so a red row never contradicts the headline unseen.
    /// </summary>
    public HtmlReport AddMetricsTable(
        string heading,
        IEnumerable<(string Metric, string Parameter, string Value, string Criterion,
            bool Passed, string Verdict, bool InVerdict)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return MetricsTable(heading, rows, showBasis: true);
    }

    private HtmlReport MetricsTable(
        string heading,
        IEnumerable<(string Metric, string Parameter, string Value, string Criterion,
            bool Passed, string Verdict, bool InVerdict)> rows, bool showBasis)
    {
        var html = new StringBuilder();
        int passed = 0;
        int total = 0;
        foreach (var row in rows)
        {
            html.Append("<tr class=\"").Append(row.Passed ? "pass" : "fail").Append(row.InVerdict ? "" : " outside")
                .Append("\"><td>").Append(Escape(row.Metric))
                .Append("</td><td>").Append(Escape(row.Parameter))
                .Append("</td><td>").Append(Escape(row.Value))
                .Append("</td><td>").Append(Escape(row.Criterion));
            if (showBasis) html.Append("</td><td>").Append(row.InVerdict ? "yes" : "no (supporting)");
            html.Append("</td><td class=\"verdict\">").Append(Escape(row.Verdict)).Append("</td></tr>\n");
            passed += row.Passed ? 1 : 0;
            total++;
        }
        AddHeading(heading);
        _body.Append("<p class=\"summary\">").Append(passed).Append(" of ").Append(total).Append(" checks passed</p>\n")
            .Append("<table class=\"metrics\">\n<tr><th>Metric</th><th>Parameter</th><th>Value</th><th>Criterion</th>")
            .Append(showBasis ? "<th>In the verdict</th>" : "").Append("<th>Verdict</th></tr>\n")
            .Append(html)
            .Append("</table>\n");
        return this;
    }

    /// <summary>The complete HTML document.</summary>
    public string Render()
    {
        string title = Escape(_title);
        return new StringBuilder(_body.Length + Css.Length + 512)
            .Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(title).Append("</title>\n<style>\n").Append(Css).Append("\n</style>\n</head>\n")
            .Append("<body>\n<main>\n<h1>").Append(title).Append("</h1>\n")
            .Append(_body)
            .Append("</main>\n</body>\n</html>\n")
            .ToString();
    }

    /// <summary>
    /// Writes <see cref="Render"/> as UTF-8 (no byte-order mark) through a temporary file renamed over
    /// <paramref name="path"/>, so a browser refreshing the report never reads half a file.
    /// </summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, Render());

    /// <summary>
    /// Escapes the five characters with meaning in HTML text and attribute values. Done by hand rather than
    /// with WebUtility.HtmlEncode, which also turns every character from U+00A0 to U+00FF into a numeric entity.
    /// </summary>
    internal static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }
        var sb = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }
}
