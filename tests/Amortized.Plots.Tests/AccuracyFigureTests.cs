using Xunit;

namespace Amortized.Plots.Tests;

/// <summary>
/// The C2ST accuracy benchmark figure: renders a full 8-task benchmark with gaps to PNG and SVG, draws the peer
/// only when one is given, and rejects bad input before rendering with a message that names the argument.
/// </summary>
public sealed class AccuracyFigureTests : IDisposable
{
    private static readonly string[] Tasks =
    [
        "gaussian_linear", "gaussian_mixture", "two_moons", "slcp",
        "bernoulli_glm", "sir", "lotka_volterra", "gaussian_linear_uniform",
    ];

    private static readonly int[] Budgets = [1_000, 10_000, 100_000];

    private readonly string _directory = Directory.CreateTempSubdirectory("amz-plots-accuracy-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>(8 x 3) C2ST falling with the budget, with NaN where a cell was not run or not published.</summary>
    private static (double[] Ours, double[] Peer, double[] Low, double[] High) Benchmark()
    {
        var rng = TestData.NewRandom();
        int n = Tasks.Length * Budgets.Length;
        var ours = new double[n];
        var peer = new double[n];
        var low = new double[n];
        var high = new double[n];
        for (int t = 0; t < Tasks.Length; t++)
        {
            double start = 0.75 + 0.2 * rng.NextDouble();
            for (int b = 0; b < Budgets.Length; b++)
            {
                int i = t * Budgets.Length + b;
                ours[i] = 0.5 + (start - 0.5) * Math.Pow(0.55, b);
                peer[i] = Math.Min(1, ours[i] + 0.03 * rng.NextDouble());
                low[i] = Math.Max(0.5, ours[i] - 0.04);
                high[i] = Math.Min(1, ours[i] + 0.04);
            }
        }
        ours[2 * 3 + 2] = double.NaN;   // two_moons at 100k not run
        low[2 * 3 + 2] = double.NaN;
        high[2 * 3 + 2] = double.NaN;
        peer[5 * 3 + 0] = double.NaN;   // sir at 1k not published
        for (int b = 0; b < 3; b++)
        {
            peer[7 * 3 + b] = double.NaN; // no published values at all for the last task
        }
        return (ours, peer, low, high);
    }

    private static void AssertRejects(string paramName, string[] messageParts, Action call)
    {
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(call);
        Assert.Equal(paramName, e.ParamName);
        foreach (string part in messageParts)
        {
            Assert.Contains(part, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void EightTasksThreeBudgetsWithNaN_SavesPngAndSvg()
    {
        (double[] ours, double[] peer, double[] low, double[] high) = Benchmark();
        var plot = Figures.Accuracy(Tasks, Budgets, ours, peer, "sbi NPE", low, high);
        (int width, int height) = Figures.SuggestedSize(plot);
        // 4 columns x 2 rows of panels: wider than the 520 minimum, taller than one row.
        Assert.True(width >= 4 * 300 && height >= 2 * 250, $"suggested size {width} x {height}");

        string stem = Path.Combine(_directory, "accuracy");
        byte[] png = FigureFiles.Save(plot, stem, width, height);

        Assert.Equal((width, height), TestData.PngSize(File.ReadAllBytes(stem + ".png")));
        Assert.True(png.Length > 8_000, $"PNG is only {png.Length} bytes; nothing drawn?");
        string svg = File.ReadAllText(stem + ".svg");
        Assert.StartsWith("<?xml", svg, StringComparison.Ordinal);
        string[] expected =
        [
            .. Tasks, "Posterior accuracy (C2ST, lower is better)", "Amortized", "sbi NPE", "Amortized spread",
            "simulation budget", "C2ST accuracy", "1k", "10k", "100k",
        ];
        foreach (string text in expected)
        {
            Assert.Contains(text, svg, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void PeerLegend_OnlyWhenPeerGiven()
    {
        (double[] ours, double[] peer, _, _) = Benchmark();
        string withPeer = FigureFiles.Svg(Figures.Accuracy(Tasks, Budgets, ours, peer, "NPE (Lueckmann 2021)"), 1360, 700);
        string withoutPeer = FigureFiles.Svg(Figures.Accuracy(Tasks, Budgets, ours, null, "NPE (Lueckmann 2021)"), 1360, 700);

        Assert.Contains("NPE (Lueckmann 2021)", withPeer, StringComparison.Ordinal);
        Assert.DoesNotContain("NPE (Lueckmann 2021)", withoutPeer, StringComparison.Ordinal);
        Assert.DoesNotContain("Amortized spread", withPeer, StringComparison.Ordinal);
        // The peer adds a line per task (dashes and square markers): the SVG grows.
        Assert.True(withPeer.Length > withoutPeer.Length + 1000,
            $"SVG with peer {withPeer.Length} chars, without {withoutPeer.Length}");
    }

    [Fact]
    public void OneTaskOneBudget_AndOutOfDecadeBudgets_Render()
    {
        TestData.AssertRenders(Figures.Accuracy(["slcp"], [5_000], [0.8], null), "slcp", "5k");
        TestData.AssertRenders(Figures.Accuracy(["slcp", "sir"], [2_000, 5_000], [0.8, 0.7, 0.9, double.NaN],
            [double.NaN, 0.75, 1, 1], title: "Small budgets"), "Small budgets", "2k", "5k", "sbi NPE");
        // Data below 0.45 widens the axis rather than being cut off.
        TestData.AssertRenders(Figures.Accuracy(["a"], [100, 1_000, 10_000], [0.3, 0.5, 0.6], null), "100", "10k");
    }

    [Fact]
    public void SuggestedSize_FourColumnsAtMost()
    {
        double[] Values(int t) => Enumerable.Repeat(0.7, t * 3).ToArray();
        (int w4, int h4) = Figures.SuggestedSize(Figures.Accuracy(Tasks[..4], Budgets, Values(4), null));
        (int w8, int h8) = Figures.SuggestedSize(Figures.Accuracy(Tasks, Budgets, Values(8), null));
        (int w5, int h5) = Figures.SuggestedSize(Figures.Accuracy(Tasks[..5], Budgets, Values(5), null));
        Assert.Equal(w4, w8);        // 4 columns, then a second row
        Assert.True(h8 > h4, $"4 tasks {w4} x {h4}, 8 tasks {w8} x {h8}");
        Assert.True(w5 < w4, $"5 tasks lay out 3 + 2, not 4 + 1: {w5} x {h5}");
    }

    [Fact]
    public void WrongLengths_Rejected()
    {
        double[] ok = new double[6];
        string[] two = ["a", "b"];
        AssertRejects("ours", ["5 values", "expected 6 (tasks.Count x budgets.Count = 2 x 3)"],
            () => Figures.Accuracy(two, Budgets, new double[5], null));
        AssertRejects("peer", ["7 values", "expected 6"], () => Figures.Accuracy(two, Budgets, ok, new double[7]));
        AssertRejects("oursHigh", ["4 values", "expected 6"],
            () => Figures.Accuracy(two, Budgets, ok, null, oursLow: ok, oursHigh: new double[4]));
        AssertRejects("oursHigh", ["give both"], () => Figures.Accuracy(two, Budgets, ok, null, oursLow: ok));
        AssertRejects("tasks", ["empty"], () => Figures.Accuracy([], Budgets, [], null));
        AssertRejects("budgets", ["empty"], () => Figures.Accuracy(two, [], [], null));
    }

    [Fact]
    public void OutOfRangeValues_Rejected()
    {
        string[] two = ["a", "b"];
        AssertRejects("ours", ["ours[4] (task 1, budget 1)", "1.2", "[0, 1]"],
            () => Figures.Accuracy(two, Budgets, [0.9, 0.8, 0.7, 0.9, 1.2, 0.7], null));
        AssertRejects("peer", ["peer[0] (task 0, budget 0)", "-0.1"],
            () => Figures.Accuracy(two, Budgets, new double[6], [-0.1, 0.8, 0.7, 0.9, 0.8, 0.7]));
        AssertRejects("ours", ["Infinity"],
            () => Figures.Accuracy(two, Budgets, [0.9, double.PositiveInfinity, 0.7, 0.9, 0.8, 0.7], null));
        double[] mid = Enumerable.Repeat(0.7, 6).ToArray();
        AssertRejects("oursHigh", ["oursLow[2] (task 0, budget 2) is 0.8", "above oursHigh = 0.6"],
            () => Figures.Accuracy(two, Budgets, mid, null, oursLow: [0.6, 0.6, 0.8, 0.6, 0.6, 0.6],
                oursHigh: Enumerable.Repeat(0.6, 6).ToArray()));
        AssertRejects("oursLow", ["oursLow[1]", "NaN", "both ends or neither"],
            () => Figures.Accuracy(two, Budgets, mid, null, oursLow: [0.6, double.NaN, 0.6, 0.6, 0.6, 0.6],
                oursHigh: mid));
    }

    [Fact]
    public void BadBudgets_Rejected()
    {
        AssertRejects("budgets", ["budgets[2] is 10000", "not above budgets[1] = 10000", "strictly increasing"],
            () => Figures.Accuracy(["a"], [1_000, 10_000, 10_000], [0.9, 0.8, 0.7], null));
        AssertRejects("budgets", ["budgets[1] is 500", "not above budgets[0] = 1000"],
            () => Figures.Accuracy(["a"], [1_000, 500], [0.9, 0.8], null));
        AssertRejects("budgets", ["budgets[0] is 0", "positive"],
            () => Figures.Accuracy(["a"], [0, 500], [0.9, 0.8], null));
    }

    [Fact]
    public void Compact_BudgetLabels()
    {
        Assert.Equal(["500", "1k", "2.5k", "10k", "100k", "1M"],
            new double[] { 500, 1_000, 2_500, 10_000, 100_000, 1_000_000 }.Select(Figures.Compact).ToArray());
    }
}
