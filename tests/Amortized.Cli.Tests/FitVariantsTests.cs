using System.Globalization;
using System.Text;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Serialization;
using Amortized.Inference.Simulators;
using Xunit;

namespace Amortized.Cli.Tests;

/// <summary>The other ways to fit: offline budgets, data files, other networks, the likelihood, sets, resuming.</summary>
public sealed class FitVariantsTests
{
    private static readonly string[] Tiny = ["--epochs", "1", "--batches-per-epoch", "8", "--batch-size", "32", "--threads", "1",
        "--diagnostic-datasets", "12", "--diagnostic-samples", "40"];

    private static CliRunner.Result Fit(params string[] args) => CliRunner.Run(["fit", .. args, .. Tiny]);

    [Theory]
    [InlineData("spline")]
    [InlineData("flow-matching")]
    public void OtherInferenceNetworks_TrainSaveAndSample(string network)
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        var fit = Fit("two_moons", "--out", dir, "--inference-network", network);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        var approximator = ApproximatorFile.Load(Path.Combine(dir, "model.amz"));
        Assert.Contains(network == "spline" ? "Spline" : "FlowMatching", approximator.InferenceNetwork.ToString());
        string obs = Path.Combine(dir, "obs.csv"), draws = Path.Combine(dir, "draws.csv");
        File.WriteAllText(obs, "x_1,x_2\n0.0,0.0\n");
        Assert.Equal(0, CliRunner.Run("sample", dir, "--observation", obs, "--samples", "20", "--out", draws).ExitCode);
        Assert.Equal(20, Csv.ReadTable(draws).RowCount);
    }

    [Fact]
    public void ConditionalAffine_IsInTheSavedModel_AndFittedBeforeTraining()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        var fit = Fit("gaussian_linear", "--out", dir, "--simulations", "2000", "--conditional-affine");
        Assert.True(fit.ExitCode == 0, fit.ToString());
        var approximator = ApproximatorFile.Load(Path.Combine(dir, "model.amz"));
        Assert.True(approximator.Spec!.CouplingFlow!.ConditionalAffine);
        Assert.Contains("ConditionalAffine(10, conditions 10", approximator.InferenceNetwork.ToString());
        // One epoch of 8 small steps cannot learn gaussian_linear's posterior; the least-squares start already has it.
        var kernel = approximator.Store.Find("inference.conditional_affine.map.kernel")!.ToArray();
        Assert.Contains(kernel, v => MathF.Abs(v) > 0.1f);

        var flowMatching = Fit("gaussian_linear", "--out", Path.Combine(CliRunner.TempDir(), "fm"), "--inference-network", "flow-matching", "--conditional-affine");
        Assert.Equal(2, flowMatching.ExitCode);
        Assert.Contains("--conditional-affine", flowMatching.Error);
    }

    [Fact]
    public void OfflineBudget_SplitsValidation_AndRecordsTheBudget()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        var fit = Fit("gaussian_linear", "--out", dir, "--simulations", "400");
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.Contains("offline on 360 simulations", fit.Output);   // 10% held out for validation
        var history = Csv.ReadTable(Path.Combine(dir, "history.csv"));
        Assert.All(history.Values("validation_loss"), v => Assert.True(float.IsFinite(v)));
        Assert.Contains("\"simulations\": 400", File.ReadAllText(Path.Combine(dir, "run.json")));
    }

    [Fact]
    public void SeveralDataFiles_SameKeysStackByRows_DisjointKeysMerge_OtherwiseExitTwo()
    {
        string root = CliRunner.TempDir();
        string a = Path.Combine(root, "a.npz"), b = Path.Combine(root, "b.npz");
        Assert.Equal(0, CliRunner.Run("simulate", "two_moons", "--n", "300", "--out", a, "--seed", "2").ExitCode);
        Assert.Equal(0, CliRunner.Run("simulate", "two_moons", "--n", "300", "--out", b, "--seed", "3").ExitCode);
        // Shards of one data set: 600 rows, of which a tenth is held out.
        string stacked = Path.Combine(root, "stacked");
        var fit = Fit("--data", a, b, "--inference-variables", "theta", "--inference-conditions", "x", "--out", stacked);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.Contains("\"simulations\": 540", File.ReadAllText(Path.Combine(stacked, "run.json")));

        // The same rows split by key into two CSV files: merged side by side.
        var sims = Npy.ReadBatch(a);
        string theta = Path.Combine(root, "theta.csv"), x = Path.Combine(root, "x.csv");
        Csv.Write(theta, new SimulationBatch(300).Set("theta", sims.Get("theta"), 300, 2));
        Csv.Write(x, new SimulationBatch(300).Set("x", sims.Get("x"), 300, 2));
        string merged = Path.Combine(root, "merged");
        fit = Fit("--data", theta, x, "--inference-variables", "theta", "--inference-conditions", "x", "--out", merged);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.Contains("\"simulations\": 270", File.ReadAllText(Path.Combine(merged, "run.json")));

        // Same keys, another per-row shape; keys shared but not all; disjoint keys with other row counts.
        string wide = Path.Combine(root, "wide.csv"), thetaMore = Path.Combine(root, "theta-more.csv");
        Csv.Write(wide, new SimulationBatch(2).Set("theta", [1, 2, 3, 4, 5, 6], 2, 3).Set("x", [1, 2, 3, 4], 2, 2));
        Csv.Write(thetaMore, new SimulationBatch(5).Set("theta", new float[10], 5, 2));
        string[] keys = ["--inference-variables", "theta", "--inference-conditions", "x", "--out", Path.Combine(root, "r")];
        CommandTests.AssertBadInput(Fit(["--data", a, wide, .. keys]), "key 'theta' has shape (3,) per row");
        CommandTests.AssertBadInput(Fit(["--data", a, theta, .. keys]), "shares key 'theta' with the files before it");
        CommandTests.AssertBadInput(Fit(["--data", thetaMore, x, .. keys]), "has 300 rows; the files before it have 5");
    }

    [Fact]
    public void DataFiles_TrainOnAnNpzFromSimulate_AndDiagnoseOnTheHeldOutSplit()
    {
        string root = CliRunner.TempDir();
        string data = Path.Combine(root, "sims.npz"), dir = Path.Combine(root, "run");
        Assert.Equal(0, CliRunner.Run("simulate", "two_moons", "--n", "300", "--out", data, "--seed", "2").ExitCode);
        var fit = Fit("--data", data, "--inference-variables", "theta", "--inference-conditions", "x", "--out", dir);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.True(File.Exists(Path.Combine(dir, "heldout.npz")));
        Assert.True(File.Exists(Path.Combine(dir, "report.html")));
        string obs = Path.Combine(root, "obs.csv"), draws = Path.Combine(root, "draws.csv");
        File.WriteAllText(obs, "x[0],x[1]\n0.1,0.1\n");
        var sample = CliRunner.Run("sample", dir, "--observation", obs, "--samples", "10", "--out", draws);
        Assert.True(sample.ExitCode == 0, sample.ToString());
        Assert.Equal(["theta[0]", "theta[1]"], Csv.ReadTable(draws).ColumnNames);
        Assert.Equal(0, CliRunner.Run("diagnose", dir, "--datasets", "20", "--samples", "30").ExitCode);
    }

    [Fact]
    public void ShardedFolder_StreamsFromDisk()
    {
        string root = CliRunner.TempDir();
        string shards = Path.Combine(root, "shards"), dir = Path.Combine(root, "run");
        var task = new Amortized.Inference.Tasks.TwoMoons();
        using (var writer = new ShardedDatasetWriter(shards, rowsPerShard: 100))
            for (int i = 0; i < 4; i++) writer.Append(task.Sample(100, (ulong)i + 10));
        var fit = Fit("--data", shards, "--inference-variables", "theta", "--inference-conditions", "x", "--out", dir);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.True(File.Exists(Path.Combine(dir, "model.amz")));
        Assert.True(File.Exists(Path.Combine(dir, "report.html")));
    }

    [Fact]
    public void DataFiles_UnknownKeyOrMissingFile_ExitTwo()
    {
        string root = CliRunner.TempDir();
        string data = Path.Combine(root, "sims.npz");
        Assert.Equal(0, CliRunner.Run("simulate", "two_moons", "--n", "50", "--out", data).ExitCode);
        CommandTests.AssertBadInput(Fit("--data", data, "--inference-variables", "phi", "--inference-conditions", "x", "--out", Path.Combine(root, "r")), "phi");
        CommandTests.AssertBadInput(Fit("--data", Path.Combine(root, "none.npz"), "--inference-variables", "theta", "--inference-conditions", "x", "--out", Path.Combine(root, "r")), "none.npz");
        CommandTests.AssertBadInput(Fit("two_moons", "--data", data, "--out", Path.Combine(root, "r")), "not both");
    }

    [Fact]
    public void SetTask_UsesADeepSet_AndSamplesFromACsvWithEveryInput()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        var fit = Fit("gaussian-mean-sets", "--out", dir);
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.Contains("deepset", fit.Output);
        // One data set: n, x[0..99], observed[0..99] (the mask hides the padding).
        var header = new StringBuilder("n");
        var row = new StringBuilder("20");
        for (int i = 0; i < 100; i++) { header.Append(CultureInfo.InvariantCulture, $",x[{i}]"); row.Append(i < 20 ? ",0.5" : ",0"); }
        for (int i = 0; i < 100; i++) { header.Append(CultureInfo.InvariantCulture, $",observed[{i}]"); row.Append(i < 20 ? ",1" : ",0"); }
        string obs = Path.Combine(dir, "obs.csv"), draws = Path.Combine(dir, "draws.csv");
        File.WriteAllText(obs, $"{header}\n{row}\n");
        var sample = CliRunner.Run("sample", dir, "--observation", obs, "--samples", "25", "--out", draws);
        Assert.True(sample.ExitCode == 0, sample.ToString());
        Assert.Equal(["mu"], Csv.ReadTable(draws).ColumnNames);
    }

    [Fact]
    public void Likelihood_TrainsNle_AndSamplesTheposteriorByMcmc()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        var fit = CliRunner.Run("fit", "two_moons", "--method", "likelihood", "--out", dir, "--epochs", "1", "--batches-per-epoch", "8",
            "--batch-size", "32", "--threads", "1", "--diagnostic-datasets", "3", "--diagnostic-samples", "40");
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.Contains("MCMC", fit.Output);
        string obs = Path.Combine(dir, "obs.csv"), draws = Path.Combine(dir, "draws.csv");
        File.WriteAllText(obs, "x_1,x_2\n0.0,0.0\n");
        var sample = CliRunner.Run("sample", dir, "--observation", obs, "--samples", "40", "--out", draws);
        Assert.True(sample.ExitCode == 0, sample.ToString());
        var table = Csv.ReadTable(draws);
        Assert.Equal(40, table.RowCount);
        // The prior's support bounds the MCMC chains (the log prior is -inf outside U(-1, 1)).
        Assert.All(table.Values("theta_1"), t => Assert.InRange(t, -1f, 1f));
        string theta = Path.Combine(dir, "theta.csv"), lp = Path.Combine(dir, "lp.csv");
        File.WriteAllText(theta, "theta_1,theta_2\n0.1,0.2\n");
        Assert.Equal(0, CliRunner.Run("log-prob", dir, "--observation", obs, "--parameters", theta, "--out", lp).ExitCode);
        Assert.Equal(["row", "log_likelihood"], Csv.ReadTable(lp).ColumnNames);
    }

    [Fact]
    public void Resume_ContinuesFromTheCheckpoint()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        string[] common = ["two_moons", "--out", dir, "--batches-per-epoch", "5", "--batch-size", "32", "--threads", "1", "--no-report", "--seed", "5"];
        Assert.Equal(0, CliRunner.Run(["fit", .. common, "--epochs", "2"]).ExitCode);
        var resumed = CliRunner.Run(["fit", .. common, "--epochs", "3", "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("resumed from", resumed.Output);
        Assert.Equal(3, Csv.ReadTable(Path.Combine(dir, "history.csv")).RowCount);
        Assert.DoesNotContain("epoch 1/3", resumed.Output);
        Assert.Contains("epoch 3/3", resumed.Output);
    }

    [Fact]
    public void OutOfDistributionObservation_WarnsOnStderr_ButStillSamples()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        Assert.Equal(0, Fit("two_moons", "--out", dir).ExitCode);
        string obs = Path.Combine(dir, "far.csv"), draws = Path.Combine(dir, "draws.csv");
        File.WriteAllText(obs, "x_1,x_2\n40,-40\n");
        var result = CliRunner.Run("sample", dir, "--observation", obs, "--samples", "10", "--out", draws);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("warning: possible model misspecification", result.Error);
        Assert.Matches(@"misspecification check: squared MMD \S+ against 1000 reference simulations, p = 0\.00", result.Output);
        // An in-distribution observation gives no warning.
        string near = Path.Combine(dir, "near.csv");
        File.WriteAllText(near, "x_1,x_2\n0.1,-0.1\n");
        var quiet = CliRunner.Run("sample", dir, "--observation", near, "--samples", "10", "--out", draws);
        Assert.Equal(0, quiet.ExitCode);
        Assert.DoesNotContain("warning", quiet.Error);
    }

    [Fact]
    public void TimeBudget_StopsTraining()
    {
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        var fit = CliRunner.Run("fit", "two_moons", "--out", dir, "--epochs", "100000", "--batches-per-epoch", "5", "--batch-size", "16",
            "--threads", "1", "--time-budget", "2s", "--no-report");
        Assert.True(fit.ExitCode == 0, fit.ToString());
        Assert.Contains("time budget", fit.Output);
    }

    [Fact]
    public void HistoryCsv_IsWrittenAfterEveryEpoch_WhileTraining()
    {
        // Read at the end of each epoch, from inside the run: the file on disk must already hold every epoch so far.
        // While it trains, the run's files are staged in .pending (the folder keeps the previous run until the
        // commit), and that is where the live history is.
        string dir = Path.Combine(CliRunner.TempDir(), "run");
        string history = Path.Combine(dir, ".pending", "history.csv");
        var rowsSeen = new List<(int Epochs, int Rows)>();
        void Read(string path, Amortized.Inference.Workflows.TrainingHistory h)
        {
            if (path == history) rowsSeen.Add((h.Epochs.Count, Csv.ReadTable(path).RowCount));
        }
        FitRunner.AfterHistoryWritten += Read;
        try
        {
            var fit = CliRunner.Run("fit", "two_moons", "--out", dir, "--epochs", "4", "--batches-per-epoch", "4",
                "--batch-size", "32", "--threads", "1", "--no-report");
            Assert.True(fit.ExitCode == 0, fit.ToString());
        }
        finally
        {
            FitRunner.AfterHistoryWritten -= Read;
        }
        Assert.Equal([(1, 1), (2, 2), (3, 3), (4, 4)], rowsSeen);
        Assert.Equal(4, Csv.ReadTable(Path.Combine(dir, "history.csv")).RowCount);
    }
}
