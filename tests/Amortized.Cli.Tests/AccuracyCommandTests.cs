using System.Text.Json;
using Xunit;

namespace Amortized.Cli.Tests;

/// <summary>
/// <c>amortized accuracy</c> as a user runs it: the smoke version of the benchmark (two tasks at 10^3 simulations,
/// two observations) and its usage errors.
/// </summary>
public sealed class AccuracyCommandTests
{
    [Fact]
    public void TwoTasksAtOneThousand_WriteTheTable_AndBeatChanceAndSbi()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "acc");
        var run = CliRunner.Run("accuracy", "two_moons", "gaussian_linear", "--budgets", "1000", "--observations",
            "2", "--draws", "1000", "--threads", "1", "--out", dir);
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (string file in new[] { "accuracy.md", "accuracy.csv", "accuracy.json", "figures/accuracy.png",
            "figures/accuracy.svg" })
            Assert.True(File.Exists(Path.Combine(dir, file)), file);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(dir, "references")).Length);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "accuracy.json")));
        var cells = json.RootElement.GetProperty("cells").EnumerateArray().ToList();
        Assert.Equal(2, cells.Count);
        foreach (var cell in cells)
        {
            double c2st = cell.GetProperty("mean_c2st").GetDouble();
            double sbi = cell.GetProperty("sbi_npe").GetDouble();
            // A trained posterior: well below a classifier's perfect separation, and (with margin for two
            // observations) not worse than sbi NPE's published figure at this budget.
            Assert.InRange(c2st, 0.45, sbi + 0.05);
        }
        string table = File.ReadAllText(Path.Combine(dir, "accuracy.md"));
        Assert.Contains("| two_moons |", table);
        Assert.Contains("0.725", table);   // sbi NPE, two_moons, 10^3

        // The table grows: a later run at another budget keeps the earlier cells and adds a column.
        string before = cells.Single(c => c.GetProperty("task").GetString() == "two_moons").ToString();
        var more = CliRunner.Run("accuracy", "gaussian_linear", "--budgets", "100", "--observations", "2",
            "--draws", "1000", "--threads", "1", "--out", dir);
        Assert.True(more.ExitCode == 0, more.ToString());
        Assert.Contains("keeping 2 of the 2 cells", more.Output);
        using var grown = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "accuracy.json")));
        var all = grown.RootElement.GetProperty("cells").EnumerateArray().ToList();
        Assert.Equal(["two_moons@1000", "gaussian_linear@1000", "gaussian_linear@100"],
            all.Select(c => $"{c.GetProperty("task").GetString()}@{c.GetProperty("simulations").GetInt32()}"));
        Assert.Equal(before, all[0].ToString());
        Assert.Equal(2, grown.RootElement.GetProperty("references").GetArrayLength());
        string header = File.ReadAllLines(Path.Combine(dir, "accuracy.md")).First(l => l.StartsWith("| task |"));
        Assert.Equal("| task | 100 ours | sbi NPE | train s | ms/1k | 1k ours | sbi NPE | train s | ms/1k |", header);
        Assert.All(all, c => Assert.True(c.GetProperty("latency1000_seconds").GetDouble() > 0));

        // Other settings would mix figures that do not compare: refused before any training, the table untouched.
        string saved = File.ReadAllText(Path.Combine(dir, "accuracy.json"));
        var other = CliRunner.Run("accuracy", "two_moons", "--budgets", "1000", "--observations", "3", "--out", dir);
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("--observations 2", other.Error);
        Assert.Contains("--observations 3", other.Error);
        Assert.Equal(saved, File.ReadAllText(Path.Combine(dir, "accuracy.json")));
        var family = CliRunner.Run("accuracy", "two_moons", "--budgets", "1000", "--observations", "2", "--draws", "1000",
            "--inference-network", "flow-matching", "--out", dir);
        Assert.Equal(2, family.ExitCode);
        Assert.Contains("flow-matching", family.Error);
        Assert.Equal(saved, File.ReadAllText(Path.Combine(dir, "accuracy.json")));
    }

    [Fact]
    public void InferenceNetwork_TrainsThatFamily_AndNamesItInTheTable()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "acc-fm");
        var run = CliRunner.Run("accuracy", "gaussian_linear", "--budgets", "200", "--observations", "1", "--draws", "500",
            "--threads", "1", "--inference-network", "flow-matching", "--out", dir);
        Assert.True(run.ExitCode == 0, run.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "accuracy.json")));
        Assert.Equal("flow-matching", json.RootElement.GetProperty("inference_network").GetString());
        var cell = json.RootElement.GetProperty("cells").EnumerateArray().Single();
        // Trained on 180 rows: better than a classifier's perfect separation, not a converged posterior.
        Assert.InRange(cell.GetProperty("mean_c2st").GetDouble(), 0.5, 0.97);
        Assert.Contains("inference network: flow-matching", File.ReadAllText(Path.Combine(dir, "accuracy.md")));
    }

    [Fact]
    public void OutHoldingAnotherJson_ExitsTwo_NamingTheFile()
    {
        string dir = CliRunner.TempDir();
        File.WriteAllText(Path.Combine(dir, "accuracy.json"), "{\"not\": [1, 2");
        var run = CliRunner.Run("accuracy", "two_moons", "--out", dir);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("accuracy.json", run.Error);
        Assert.Contains("not an accuracy table", run.Error);
    }

    [Theory]
    [InlineData("--budgets", "10000,1000", "must increase")]
    [InlineData("--budgets", "1k", "not a whole number")]
    public void BadBudgets_ExitTwo_WithTheReason(string option, string value, string reason)
    {
        var run = CliRunner.Run("accuracy", "two_moons", option, value, "--out", CliRunner.TempDir());
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(reason, run.Error);
    }

    [Fact]
    public void TaskWithoutReference_ExitsTwo_NamingIt()
    {
        var run = CliRunner.Run("accuracy", "inverse_kinematics", "--out", CliRunner.TempDir());
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("inverse_kinematics", run.Error);
    }
}
