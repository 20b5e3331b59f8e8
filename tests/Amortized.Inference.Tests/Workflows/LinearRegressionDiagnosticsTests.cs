using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;
using Xunit;
using Xunit.Abstractions;

namespace Amortized.Inference.Tests.Workflows;

/// <summary>The trained linear-regression workflow, shared by the tests of one class.</summary>
public sealed class LinearRegressionFixture
{
    public BasicWorkflow Workflow { get; } = LinearRegressionModel.Train();
}

/// <summary>
/// Diagnostics for an adapter that concatenates two keys, beta (2,) and sigma (), into inference_variables: the
/// set-up whose diagnostics used to fail with "only 1 of the keys [beta, sigma] are present".
/// </summary>
public class LinearRegressionDiagnosticsTests(LinearRegressionFixture fixture, ITestOutputHelper output)
    : IClassFixture<LinearRegressionFixture>
{
    private static readonly string[] s_names = ["beta[0]", "beta[1]", "sigma"];

    [Fact]
    public void ParameterKeys_AreEveryKeyOfTheInferenceVariables() =>
        Assert.Equal(["sigma", "beta"], fixture.Workflow.ParameterKeys);   // first mention: constrain("sigma")

    [Fact]
    public void ComputeDiagnostics_NamesTheParametersAfterTheKeys_AndRecoversThem()
    {
        var report = fixture.Workflow.ComputeDiagnostics(numDatasets: 100, numSamples: 200, seed: 6);
        Assert.Equal((100, 200, 3), (report.Datasets, report.Draws, report.Parameters));
        // The concatenation order (beta, sigma), not the order of first mention in the adapter.
        Assert.Equal(s_names, report.Names);
        Assert.Contains("\"beta[1]\"", report.ToJson());
        Assert.Contains(report.Rows, r => r.Parameter == "sigma");
        output.WriteLine(report.ToString());
        // The exact posterior of beta contracts the prior by far: recovery must show it.
        Assert.All(report.Recovery.Correlation.Take(2), r => Assert.True(r > 0.8, $"recovery r = {r}"));
    }

    [Fact]
    public void PosteriorMeanOfBeta_IsNearTheExactOne()
    {
        var data = LinearRegressionModel.BuildSimulator().Sample(20, seed: 21);
        var observed = new SimulationBatch(20).Set("y", data.Get("y"), 20, LinearRegressionModel.N);
        float[] beta = fixture.Workflow.Sample(observed, numSamples: 2000, seed: 22).Get("beta");   // (20, 2000, 2)
        double worst = 0, sumSq = 0;
        for (int i = 0; i < 20; i++)
        {
            var (e0, e1) = LinearRegressionModel.PosteriorMeanOfBeta(data.Row("y", i));
            double m0 = 0, m1 = 0;
            for (int s = 0; s < 2000; s++) { m0 += beta[(i * 2000 + s) * 2]; m1 += beta[(i * 2000 + s) * 2 + 1]; }
            m0 /= 2000;
            m1 /= 2000;
            output.WriteLine($"{i}: ({m0:F3}, {m1:F3}) exact ({e0:F3}, {e1:F3})");
            worst = Math.Max(worst, Math.Max(Math.Abs(m0 - e0), Math.Abs(m1 - e1)));
            sumSq += (m0 - e0) * (m0 - e0) + (m1 - e1) * (m1 - e1);
        }
        double rmse = Math.Sqrt(sumSq / 40);
        output.WriteLine($"rmse {rmse:F3}, worst {worst:F3}");
        // Prior sd of beta is about 0.7 and its exact posterior sd 0.15 to 0.3 (E sigma^2 = 0.5).
        Assert.True(rmse < 0.1, $"rmse of the posterior mean of beta {rmse:F3}");
    }

    [Fact]
    public void UserTestData_GiveTheSameReportAsTheSameSimulations()
    {
        var workflow = fixture.Workflow;
        // The very data sets the simulated path draws (its reserved batch index), passed in by hand.
        var testData = LinearRegressionModel.BuildSimulator().Sample(60, seed: 9,
            new SampleOptions { BatchIndex = StreamRegistry.HeldOutBatch.First });
        var check = workflow.CheckHeldOut(testData, numSamples: 100, seed: 9);
        var simulated = workflow.ComputeDiagnostics(numDatasets: 60, numSamples: 100, seed: 9);
        Assert.Equal(simulated.Ranks, check.Report.Ranks);
        Assert.Equal(simulated.Truths, check.Report.Truths);
        Assert.Equal(s_names, check.Report.Names);
        // Truths (N, 3): beta's two values then sigma, row by row.
        for (int i = 0; i < 60; i++)
        {
            Assert.Equal(testData.Row("beta", i).ToArray(), check.Report.Truths.AsSpan(i * 3, 2).ToArray());
            Assert.Equal(testData.Get("sigma")[i], check.Report.Truths[i * 3 + 2]);
        }
        // The sampler saw the observations only.
        Assert.Equal(["y"], check.Data.Keys);
        Assert.Equal((60, 100, 3), (check.Draws.Datasets, check.Draws.Draws, check.Draws.Parameters));

        // One key reported, the other still withheld from the sampler.
        var sigmaOnly = workflow.ComputeDiagnostics(testData, numSamples: 100, seed: 9, parameterKeys: ["sigma"]);
        Assert.Equal(["sigma"], sigmaOnly.Names);
        Assert.Equal(check.Report.Ranks.Where((_, i) => i % 3 == 2), sigmaOnly.Ranks);
    }

    [Fact]
    public void SavedAndLoaded_GivesTheSameDiagnostics()
    {
        string path = Path.Combine(Path.GetTempPath(), $"amz-linreg-{Guid.NewGuid():N}.amz");
        try
        {
            fixture.Workflow.Save(path);
            var loaded = BasicWorkflow.Load(path, LinearRegressionModel.BuildSimulator());
            Assert.Equal(fixture.Workflow.ParameterKeys, loaded.ParameterKeys);   // traced from the adapter's JSON
            var before = fixture.Workflow.ComputeDiagnostics(numDatasets: 30, numSamples: 50, seed: 4);
            var after = loaded.ComputeDiagnostics(numDatasets: 30, numSamples: 50, seed: 4);
            Assert.Equal(before.Names, after.Names);
            Assert.Equal(before.ToJson(), after.ToJson());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void UnknownOrMissingKeys_AreNamed()
    {
        var workflow = fixture.Workflow;
        var e = Assert.Throws<ArgumentException>(() => workflow.ComputeDiagnostics(10, 20, parameterKey: "gamma"));
        Assert.Equal("parameterKey", e.ParamName);
        Assert.Contains("'gamma'", e.Message);
        Assert.Contains("[sigma, beta]", e.Message);

        var noSigma = LinearRegressionModel.BuildSimulator().Sample(10, seed: 1);
        noSigma.Remove("sigma");
        var missing = Assert.Throws<ArgumentException>(() => workflow.ComputeDiagnostics(noSigma, numSamples: 20));
        Assert.Equal("parameterKeys", missing.ParamName);
        Assert.Contains("'sigma'", missing.Message);
        Assert.Contains("[beta, y]", missing.Message);
    }
}
