using Amortized.Inference.FileFormats;
using Xunit;

namespace Amortized.Cli.Tests;

/// <summary>
/// Observation and parameter CSV files are read by header name: any column order gives the same result, the
/// columns of the other role (as `simulate` writes them) are skipped, and an unknown, missing or doubled name exits 2
/// naming it.
/// </summary>
public sealed class CsvByNameTests(TrainedRunFixture run) : IClassFixture<TrainedRunFixture>
{
    private readonly string _dir = CliRunner.TempDir();

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private float[] Draws(string observation)
    {
        string output = Path.Combine(_dir, Path.GetFileNameWithoutExtension(observation) + "-draws.csv");
        var result = CliRunner.Run("sample", run.RunDir, "--observation", observation, "--samples", "20", "--out", output,
            "--seed", "3");
        Assert.True(result.ExitCode == 0, result.ToString());
        var table = Csv.ReadTable(output);
        return [.. table.Values("theta_1"), .. table.Values("theta_2")];
    }

    [Fact]
    public void Sample_ColumnsInAnyOrderOrNaming_GiveTheSameDraws()
    {
        float[] reference = Draws(Write("task-names.csv", "x_1,x_2\n0.1,-0.3\n"));
        Assert.Equal(reference, Draws(Write("swapped.csv", "x_2,x_1\n-0.3,0.1\n")));
        Assert.Equal(reference, Draws(Write("key-names.csv", "x[1],x[0]\n-0.3,0.1\n")));
        // A file written by simulate holds the parameters too: they are skipped, wherever they stand.
        Assert.Equal(reference, Draws(Write("simulated.csv", "theta[0],x[1],theta[1],x[0]\n5,-0.3,6,0.1\n")));
        // A different observation gives different draws, so the comparisons above can fail.
        Assert.NotEqual(reference, Draws(Write("other.csv", "x_1,x_2\n-0.3,0.1\n")));
    }

    [Fact]
    public void Sample_UnknownMissingOrDoubledColumn_ExitsTwoNamingIt()
    {
        string output = Path.Combine(_dir, "never.csv");
        CliRunner.Result Sample(string file) =>
            CliRunner.Run("sample", run.RunDir, "--observation", file, "--samples", "5", "--out", output);
        CommandTests.AssertBadInput(Sample(Write("unknown.csv", "x_1,x_3\n0.1,-0.3\n")),
            "column 'x_3' is not read by the model; it reads x_1, x_2 (or x[0], x[1])");
        CommandTests.AssertBadInput(Sample(Write("missing.csv", "x_1\n0.1\n")), "lacks the column 'x_2' (or 'x[1]')");
        CommandTests.AssertBadInput(Sample(Write("doubled.csv", "x_1,x[0],x_2\n0.1,0.1,0\n")),
            "columns 'x_1' and 'x[0]' both give 'x_1' (or 'x[0]')");
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void LogProb_ParameterColumnsByName_InAnyOrder()
    {
        string obs = Write("obs.csv", "x_2,x_1\n-0.2,0.1\n");
        string LogProbs(string parameters)
        {
            string output = Path.Combine(_dir, Path.GetFileNameWithoutExtension(parameters) + "-lp.csv");
            var result = CliRunner.Run("log-prob", run.RunDir, "--observation", obs, "--parameters", parameters,
                "--out", output);
            Assert.True(result.ExitCode == 0, result.ToString());
            return File.ReadAllText(output);
        }
        string reference = LogProbs(Write("theta.csv", "theta_1,theta_2\n0.1,0.2\n-0.5,0.5\n"));
        Assert.Equal(reference, LogProbs(Write("theta-swapped.csv", "theta_2,theta_1\n0.2,0.1\n0.5,-0.5\n")));
        Assert.Equal(reference, LogProbs(Write("theta-keys.csv", "x[0],theta[1],theta[0]\n9,0.2,0.1\n9,0.5,-0.5\n")));
        CommandTests.AssertBadInput(CliRunner.Run("log-prob", run.RunDir, "--observation", obs, "--parameters",
            Write("theta-bad.csv", "mu,theta_2\n0.1,0.2\n"), "--out", Path.Combine(_dir, "no.csv")),
            "column 'mu' is not read by the model");
    }
}
