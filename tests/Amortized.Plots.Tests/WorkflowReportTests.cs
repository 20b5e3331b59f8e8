using System.Text.Json.Nodes;
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Xunit;

namespace Amortized.Plots.Tests;

/// <summary>A trained linear regression with two parameter keys, beta (2,) and sigma (), shared by the tests.</summary>
public sealed class RegressionWorkflowFixture
{
    public RegressionWorkflowFixture()
    {
        Simulator = Inference.Simulators.Simulator.Build()
            .Prior(r => r.Set("beta", [r.Normal(0, 1), r.Normal(0, 1)]).Set("sigma", r.Uniform(0.2f, 1f)))
            .Likelihood(r =>
            {
                float[] beta = r.GetArray("beta").ToArray();
                float sigma = r.Get("sigma");
                r.Set("y", [.. Enumerable.Range(0, 8).Select(i => beta[0] + beta[1] * (i - 3.5f) / 3.5f + sigma * r.Normal())]);
            });
        var adapter = new Adapter().Constrain("sigma", 0.2, 1).Concatenate(["beta", "sigma"], Keys.InferenceVariables)
            .Concatenate(["y"], Keys.InferenceConditions);
        Workflow = new BasicWorkflow(adapter, new ApproximatorSpec
        {
            CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [32, 32], Dropout = 0f },
            Seed = 3,
        }, Simulator);
        Workflow.FitOnline(new TrainingOptions { Epochs = 4, BatchesPerEpoch = 40, BatchSize = 64, LearningRate = 1e-3f, Seed = 4 });
    }

    public Simulator Simulator { get; }

    public BasicWorkflow Workflow { get; }
}

public sealed class WorkflowReportTests(RegressionWorkflowFixture fixture) : IClassFixture<RegressionWorkflowFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("amz-workflow-report-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly string[] s_figures = ["loss", "calibration_ecdf", "rank_histograms", "recovery", "z_score_contraction", "pairs"];

    [Fact]
    public void WriteReport_WritesTheCommandLinesReport_NamedAfterTheKeys()
    {
        var options = new WorkflowReportOptions { Title = "regression", Datasets = 40, Samples = 100, Seed = 5 };
        string html = fixture.Workflow.WriteReport(_directory, options);
        Assert.Equal(Path.Combine(_directory, PosteriorReport.HtmlFile), html);
        string page = File.ReadAllText(html);
        Assert.Contains("regression", page);
        Assert.Contains("beta[1]", page);
        foreach (string figure in s_figures)
        {
            Assert.True(File.Exists(Path.Combine(_directory, "figures", figure + ".png")), figure);
            Assert.True(File.Exists(Path.Combine(_directory, "figures", figure + ".svg")), figure);
        }
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(_directory, PosteriorReport.MetricsFile)))!;
        Assert.Equal("posterior", (string?)metrics["method"]);
        Assert.Equal("beta,sigma", (string?)metrics["parameter_keys"]);
        // The same checks as ComputeDiagnostics with the same sizes and seed, bit for bit.
        var report = fixture.Workflow.ComputeDiagnostics(numDatasets: 40, numSamples: 100, seed: 5);
        Assert.Equal(["beta[0]", "beta[1]", "sigma"], report.Names);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(report.ToJson()), metrics["diagnostics"]));
    }

    [Fact]
    public void WriteReport_OfAPointWorkflow_ChecksEveryKeysEstimates()
    {
        // The same two-key regression with mean and quantile estimates instead of a posterior.
        var adapter = new Adapter().Concatenate(["beta", "sigma"], Keys.InferenceVariables)
            .Concatenate(["y"], Keys.InferenceConditions);
        var workflow = new BasicWorkflow(adapter, new PointApproximatorSpec { Seed = 6 }, fixture.Simulator);
        workflow.FitOnline(new TrainingOptions { Epochs = 4, BatchesPerEpoch = 40, BatchSize = 64, LearningRate = 1e-3f, Seed = 7 });

        var report = workflow.ComputePointDiagnostics(numDatasets: 400, seed: 8);
        Assert.Equal(["beta[0]", "beta[1]", "sigma"], report.Names);
        var mean = Assert.Single(report.Recovery, r => r.Estimate == "mean");
        // beta is well identified by 8 points (prior sd 1, noise sd at most 1): its mean estimates track the truths.
        Assert.All(mean.Correlation[..2], r => Assert.True(r > 0.8, $"recovery r of beta {r:F3}"));
        var coverage = Assert.Single(report.Coverage);
        for (int l = 0; l < coverage.Nominal.Length; l++)
            for (int p = 0; p < 3; p++)
                Assert.True(Math.Abs(coverage.At(l, p) - coverage.Nominal[l]) < 0.12,
                    $"interval {l} of {report.Names[p]}: coverage {coverage.At(l, p):F3}, nominal {coverage.Nominal[l]:F3}");

        string html = workflow.WriteReport(_directory, new WorkflowReportOptions { Datasets = 400, Seed = 8 });
        string page = File.ReadAllText(html);
        Assert.Contains("beta[1]", page);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(_directory, PosteriorReport.MetricsFile)))!;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(report.ToJson()), metrics["diagnostics"]),
            metrics.ToJsonString());
    }

    [Fact]
    public void ReportContent_TakesTheLossHistoryDrawsAndPrior()
    {
        var content = fixture.Workflow.ReportContent(new WorkflowReportOptions { Datasets = 30, Samples = 50, Seed = 2 });
        var history = fixture.Workflow.History!;
        Assert.Equal(history.Epochs.Select(e => e.TrainLoss), content.TrainLoss!);
        Assert.Equal(50 * 3, content.FirstDatasetDraws!.Length);
        // A simulator without a prior density: the held-out truths are the prior draws.
        Assert.Equal(content.Diagnostics.Truths, content.PriorDraws);
        Assert.Contains(content.Run, r => r.Key == "parameters" && r.Value == "beta[0], beta[1], sigma");

        // A simulator that is an IPrior: its own prior draws (10^4, seed + 2) go under the pairs plot.
        var task = new GaussianLinear();
        var workflow = new BasicWorkflow(task.DefaultAdapter(), new ApproximatorSpec { CouplingFlow = new CouplingFlowOptions { Depth = 1, SubnetWidths = [8] } }, task);
        workflow.FitOnline(new TrainingOptions { Epochs = 1, BatchesPerEpoch = 2, BatchSize = 16 });
        var taskContent = workflow.ReportContent(new WorkflowReportOptions { Datasets = 10, Samples = 20, Seed = 7 });
        Assert.Equal(task.SamplePrior(10_000, 9).Get("theta"), taskContent.PriorDraws);
        Assert.Equal(task.ParameterNames, taskContent.Diagnostics.Names);
    }

    [Fact]
    public void WriteFigures_WithTestData_WritesTheFiguresOnly()
    {
        var testData = fixture.Simulator.Sample(25, seed: 11);
        var figures = fixture.Workflow.WriteFigures(_directory, new WorkflowReportOptions { TestData = testData, Samples = 60, Seed = 1 });
        Assert.Equal(s_figures, figures.Select(f => f.Name));
        Assert.All(figures, f => Assert.Equal(f.Png, File.ReadAllBytes(f.Path + ".png")));
        Assert.False(File.Exists(Path.Combine(_directory, PosteriorReport.HtmlFile)));
        Assert.False(File.Exists(Path.Combine(_directory, PosteriorReport.MetricsFile)));
        // The figures of a report alone: the four diagnostics figures.
        var check = fixture.Workflow.CheckHeldOut(testData, numSamples: 60, seed: 1);
        Assert.Equal(25, check.Report.Datasets);
        var only = Figures.WriteDefault(Path.Combine(_directory, "bare"), check.Report);
        Assert.Equal(["calibration_ecdf", "rank_histograms", "recovery", "z_score_contraction"], only.Select(f => f.Name));
        Assert.Equal(figures[1].Png, only[0].Png);   // the same data give the same figure
    }
}
