using Amortized.Inference.Simulators;
using System.Text.Json;
using Amortized.Inference.Diagnostics;
using Amortized.Inference.Tasks;
using Amortized.Inference.Tests.Approximators;
using Amortized.Inference.Workflows;
using Xunit;

namespace Amortized.Inference.Tests.Diagnostics;

public class DiagnosticsReportTests
{
    private static readonly string[] s_calibrationMetrics = ["sbc_ecdf_band", "log_gamma", "calibration_error", "tarp"];

    private static readonly Lazy<DiagnosticsReport> s_exact = new(() =>
    {
        var (draws, truths) = GaussianLinearPosteriors.Exact.Value;
        return DiagnosticsReport.Compute(draws, truths, GaussianLinearPosteriors.PriorSds(), new DiagnosticsOptions { Seed = 1 });
    });

    [Fact]
    public void Compute_ExactPosterior_HoldsEveryArrayWithItsShape()
    {
        DiagnosticsReport r = s_exact.Value;
        Assert.Equal((200, 1000, 10), (r.Datasets, r.Draws, r.Parameters));
        Assert.Equal("theta_1", r.Names[0]);
        Assert.Equal(2000, r.Ranks.Length);
        Assert.Equal(2000, r.FractionalRanks.Length);
        Assert.Equal(200, r.Band.Points);
        Assert.Equal(10 * 200, r.Ecdf.Length);
        Assert.Equal(10, r.WithinBand.Length);
        Assert.Equal(20 * 10, r.Coverage.Coverage.Length);
        Assert.Equal(2000, r.ZScores.Length);
        Assert.Equal(2000, r.Contraction.Length);
        Assert.Equal(2000, r.Recovery.Medians.Length);
        Assert.Equal(200, r.Tarp.Coverage.Length);
        // Rows: six per-parameter metrics for 10 parameters, plus the joint TARP row.
        Assert.Equal(61, r.Rows.Count);
        Assert.Single(r.Rows, row => row.Metric == "tarp");
        Assert.Equal(r.Ranks[5] / 1000.0, r.FractionalRanks[5]);
    }

    [Fact]
    public void Compute_ExactPosterior_CalibrationRowsPass()
    {
        DiagnosticsReport r = s_exact.Value;
        // Thirty-one checks at the 5% level or stricter (calibration error: about 1%): a few chance failures are
        // possible; more than 3 of the 31 has probability below 0.06 even if the checks were independent.
        var failed = r.Rows.Where(row => s_calibrationMetrics.Contains(row.Metric) && !row.Passed).ToList();
        Assert.True(failed.Count <= 3, string.Join("; ", failed.Select(f => $"{f.Metric} {f.Parameter} {f.Value:F3}")));
        Assert.All(r.Rows.Where(row => row.Metric is "contraction" or "recovery_r" or "nrmse"), row => Assert.True(row.Passed, $"{row.Metric}: {row.Verdict}"));
        Assert.Contains(r.Rows, row => row.Verdict == "calibrated at the 95% band");

        // With Bonferroni levels (5% / 10 parameters) every calibration row passes: a 95% event.
        var (draws, truths) = GaussianLinearPosteriors.Exact.Value;
        var strict = DiagnosticsReport.Compute(draws, truths, GaussianLinearPosteriors.PriorSds(),
            new DiagnosticsOptions { Seed = 1, Confidence = 0.995, LogGammaQuantile = 0.005 });
        Assert.True(strict.Calibrated, string.Join("; ", strict.Rows.Where(row => !row.Passed).Select(row => $"{row.Metric} {row.Parameter}: {row.Verdict}")));
    }

    [Fact]
    public void Compute_OverConfidentPosterior_EveryCalibrationRowFails()
    {
        var (draws, truths) = GaussianLinearPosteriors.OverConfident.Value;
        var r = DiagnosticsReport.Compute(draws, truths, GaussianLinearPosteriors.PriorSds(), new DiagnosticsOptions { Seed = 1 });
        Assert.False(r.Calibrated);
        var calibration = r.Rows.Where(row => s_calibrationMetrics.Contains(row.Metric)).ToList();
        Assert.Equal(31, calibration.Count);
        Assert.All(calibration, row =>
        {
            Assert.False(row.Passed, $"{row.Metric} {row.Parameter} passed: {row.Verdict}");
            Assert.StartsWith("not calibrated", row.Verdict);
        });
        Assert.Contains(r.Rows, row => row.Verdict == "not calibrated: ECDF leaves the 95% band");
        Assert.All(r.Rows.Where(row => row.Metric == "calibration_error"), row => Assert.Contains("over-confident", row.Verdict));
        Assert.All(r.WithinBand, Assert.False);
        Assert.All(r.LogGamma, v => Assert.True(v < 0));
    }

    [Fact]
    public void ToJson_WritesRowsAndSummariesOnly()
    {
        DiagnosticsReport r = s_exact.Value;
        string json = r.ToJson();
        using var doc = JsonDocument.Parse(json);
        JsonElement root = doc.RootElement;
        Assert.Equal(200, root.GetProperty("datasets").GetInt32());
        Assert.Equal(10, root.GetProperty("parameters").GetInt32());
        Assert.Equal(r.Calibrated, root.GetProperty("calibrated").GetBoolean());
        JsonElement rows = root.GetProperty("rows");
        Assert.Equal(r.Rows.Count, rows.GetArrayLength());
        Assert.Equal(r.Rows[0].Metric, rows[0].GetProperty("metric").GetString());
        Assert.Equal(r.Rows[0].Value, rows[0].GetProperty("value").GetDouble());
        JsonElement first = root.GetProperty("parameter_summaries")[0];
        Assert.Equal("theta_1", first.GetProperty("name").GetString());
        Assert.Equal(r.LogGamma[0], first.GetProperty("log_gamma").GetDouble());
        Assert.Equal(r.Recovery.Correlation[0], first.GetProperty("recovery_r").GetDouble());
        Assert.Equal(r.Tarp.Atc, root.GetProperty("tarp").GetProperty("atc").GetDouble());
        Assert.False(root.TryGetProperty("ranks", out _));
        Assert.True(json.Length < 40_000, $"{json.Length} characters");
    }

    [Fact]
    public void ToJson_NaNValues_AreWrittenAsStrings()
    {
        // Every draw equal: recovery r and z-scores are NaN, which plain JSON numbers cannot hold.
        var draws = new PosteriorDraws(new float[3 * 2 * 1], 3, 2, 1);
        var r = DiagnosticsReport.Compute(draws, [0f, 1f, 2f], [1.0]);
        Assert.True(double.IsNaN(r.Recovery.Correlation[0]));
        using var doc = JsonDocument.Parse(r.ToJson());
        Assert.Equal("NaN", doc.RootElement.GetProperty("parameter_summaries")[0].GetProperty("recovery_r").GetString());
    }

    [Fact]
    public void Compute_InvalidInput_NamesArgumentAndShapes()
    {
        var draws = new PosteriorDraws(new float[4 * 2 * 3], 4, 2, 3);
        var truths = Assert.Throws<ArgumentException>(() => DiagnosticsReport.Compute(draws, new float[11], [1.0, 1.0, 1.0]));
        Assert.Equal("truths", truths.ParamName);
        Assert.Contains("(N, D) = (4, 3)", truths.Message);
        var prior = Assert.Throws<ArgumentException>(() => DiagnosticsReport.Compute(draws, new float[12], [1.0, 1.0]));
        Assert.Equal("priorSd", prior.ParamName);
        Assert.Contains("D = 3", prior.Message);
    }

    [Fact]
    public void Run_UntrainedApproximator_SimulatesSamplesAndFlagsIt()
    {
        // An untrained flow is (close to) the identity of a standard normal: draws of sd 1 around 0 against a prior
        // of sd 0.32. The run must wire simulation, sampling and the prior correctly and call it what it is.
        var task = new GaussianLinear();
        var approximator = GaussianLinearNpeTests.Build(seed: 2);
        approximator.Adapter.Forward(task.Sample(4, seed: 0));   // an adapter learns its split sizes on a first Forward
        var r = HeldOutDiagnostics.Run(approximator, task, "theta", numDatasets: 60, numSamples: 200, seed: 7);
        Assert.Equal((60, 200, 10), (r.Datasets, r.Draws, r.Parameters));
        Assert.Equal(task.ParameterNames, r.Names);
        // Fresh data: the reserved batch index, not batch 0, which training with the same seed would have seen.
        Assert.Equal(task.Sample(60, seed: 7, new SampleOptions { BatchIndex = StreamRegistry.HeldOutBatch.First }).Get("theta"), r.Truths);
        Assert.NotEqual(task.Sample(60, seed: 7).Get("theta"), r.Truths);
        Assert.All(r.PriorSd, sd => Assert.InRange(sd, Math.Sqrt(0.1) * 0.97, Math.Sqrt(0.1) * 1.03));   // 10^4 prior draws
        Assert.False(r.Calibrated);
        Assert.All(r.Rows.Where(row => row.Metric == "contraction"), row => Assert.Equal("posterior wider than the prior", row.Verdict));
    }

    [Fact]
    public void Run_MissingKey_NamesTheKeys()
    {
        var ex = Assert.Throws<ArgumentException>(() => HeldOutDiagnostics.Run(GaussianLinearNpeTests.Build(seed: 2), new GaussianLinear(), "mu", numDatasets: 4, numSamples: 4));
        Assert.Equal("parameterKey", ex.ParamName);
        Assert.Contains("'mu'", ex.Message);
        Assert.Contains("theta", ex.Message);
    }
}
