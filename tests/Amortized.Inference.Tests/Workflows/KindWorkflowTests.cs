using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Diagnostics;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Networks;
using Amortized.Networks.Flows;
using Xunit;
using Xunit.Abstractions;
using static Amortized.Inference.Tests.Serialization.KindModelFiles;

namespace Amortized.Inference.Tests.Workflows;

/// <summary>
/// BasicWorkflow with a point or model-comparison spec: fit (online, offline, disk), inference, each kind's own
/// diagnostics, save and load, and clear errors for the other kinds' methods.
/// </summary>
public sealed class KindWorkflowTests(ITestOutputHelper output) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("amortized-kind-workflow-");

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>Mean and 10/50/90% quantiles with the least-squares baseline, on gaussian_linear.</summary>
    private static BasicWorkflow GaussianLinearPoint(GaussianLinear task) => new(task.DefaultAdapter(),
        new PointApproximatorSpec
        {
            Rules = [ScoringRuleSpec.Mean(), ScoringRuleSpec.Quantiles(0.1f, 0.5f, 0.9f)],
            Seed = 2,
            Approximator = new PointApproximatorOptions { Subnet = new MlpOptions { Widths = [32] }, LinearBaseline = true },
        }, task);

    private static readonly TrainingOptions s_pointTraining =
        new() { Epochs = 6, BatchesPerEpoch = 50, BatchSize = 128, LearningRate = 1e-3f, Seed = 3 };

    [Fact]
    public void Point_FitOnline_EstimatesNearTheExactPosterior_DiagnosticsMatchTheAnalyticValues()
    {
        // gaussian_linear's posterior is N(x/2, 0.05 I): mean x/2, quantiles x/2 -+ 1.2816 sqrt(0.05) = x/2 -+ 0.287.
        var task = new GaussianLinear();
        var workflow = GaussianLinearPoint(task);
        Assert.Equal(ApproximatorKind.Point, workflow.Kind);
        workflow.FitOnline(s_pointTraining);
        Assert.Equal(10, workflow.PointSpec!.VariableDim);

        var test = task.Sample(50, seed: 99);
        float[] x = test.Get("x");
        test.Remove("theta");
        var estimates = workflow.EstimatePoints(test);
        float[] mean = estimates["mean"].Values.Get("theta");
        float[] quantiles = estimates["quantiles"].Values.Get("theta");   // (50, 3, 10)
        double meanError = 0, lowError = 0, highError = 0;
        double halfWidth = 1.2815515655446004 * Math.Sqrt(0.05);
        for (int b = 0; b < 50; b++)
            for (int d = 0; d < 10; d++)
            {
                double exact = x[b * 10 + d] / 2.0;
                meanError += Math.Abs(mean[b * 10 + d] - exact) / 500;
                lowError += Math.Abs(quantiles[(b * 3) * 10 + d] - (exact - halfWidth)) / 500;
                highError += Math.Abs(quantiles[(b * 3 + 2) * 10 + d] - (exact + halfWidth)) / 500;
            }
        output.WriteLine($"average |error|: mean {meanError:F4}, q0.1 {lowError:F4}, q0.9 {highError:F4}");
        Assert.True(meanError < 0.03, $"mean error {meanError:F4}");
        Assert.True(lowError < 0.05 && highError < 0.05, $"quantile errors {lowError:F4} / {highError:F4}");

        var report = workflow.ComputePointDiagnostics(numDatasets: 400, seed: 7);
        Assert.Equal((400, 10), (report.Datasets, report.Parameters));
        Assert.Equal(["mean", "quantiles@0.5"], report.Recovery.Select(r => r.Estimate));
        Assert.Equal("theta_1", report.Names[0]);   // the task's own names
        // The exact mean explains 1 - 0.05 / 0.1 = 0.5 of the prior variance (r = sqrt(0.5) = 0.71); the 10-90%
        // interval covers 80% of the truths.
        double rSquared = report.Recovery[0].RSquared.Average(), r = report.Recovery[0].Correlation.Average();
        var coverage = report.Coverage.Single();
        Assert.Equal(0.8, coverage.Nominal.Single(), 6);
        double covered = Enumerable.Range(0, 10).Average(d => coverage.At(0, d));
        output.WriteLine($"R^2 {rSquared:F3}, r {r:F3}, NRMSE {report.Recovery[0].Nrmse.Average():F3}, " +
            $"coverage of the 80% interval {covered:F3}");
        Assert.InRange(rSquared, 0.42, 0.58);
        Assert.InRange(r, 0.65, 0.77);
        Assert.InRange(covered, 0.76, 0.84);
        Assert.Contains("\"nominal\": 0.8", report.ToJson());
    }

    [Fact]
    public void Point_SaveLoad_SameEstimates_AndFitDiskTrainsFromShards()
    {
        var task = new GaussianLinear();
        string shards = Path.Combine(_dir.FullName, "shards");
        using (var writer = new ShardedDatasetWriter(shards, rowsPerShard: 1000))
            for (int i = 0; i < 3; i++) writer.Append(task.Sample(1000, seed: (ulong)i + 10));
        var workflow = GaussianLinearPoint(task);
        var history = workflow.FitDisk(ShardedDataset.Open(shards), s_pointTraining with { Epochs = 3 });
        Assert.Equal(3, history.Epochs.Count);
        string path = Path.Combine(_dir.FullName, "point.amz");
        workflow.Save(path);
        var loaded = BasicWorkflow.Load(path, task);
        Assert.Equal(ApproximatorKind.Point, loaded.Kind);
        var test = task.Sample(20, seed: 5);
        float[] x = test.Get("x");
        test.Remove("theta");
        float[] mean = workflow.EstimatePoints(test)["mean"].Values.Get("theta");
        Assert.Equal(mean, loaded.EstimatePoints(test)["mean"].Values.Get("theta"));
        double error = 0;
        for (int i = 0; i < mean.Length; i++) error += Math.Abs(mean[i] - x[i] / 2.0) / mean.Length;
        Assert.True(error < 0.05, $"mean error after disk training {error:F4}");
        // The loaded workflow keeps its simulator, so it can be checked too.
        Assert.Equal(50, loaded.ComputePointDiagnostics(numDatasets: 50).Datasets);
    }

    [Fact]
    public void Point_FitOffline_SameSeedSameEstimates()
    {
        var task = new GaussianLinear();
        var data = task.Sample(2000, seed: 1);
        var test = task.Sample(5, seed: 2);
        test.Remove("theta");
        float[] Run()
        {
            var workflow = GaussianLinearPoint(task);
            workflow.FitOffline(data, s_pointTraining with { Epochs = 2 });
            return workflow.EstimatePoints(test)["quantiles"].Values.Get("theta");
        }
        Assert.Equal(Run(), Run());
    }

    /// <summary>p(wide | x) with equal prior probabilities: a logistic function of the log Bayes factor.</summary>
    private static float[] ExactProbabilities(float[] x, int rows)
    {
        var result = new float[2 * rows];
        for (int b = 0; b < rows; b++)
        {
            double sumSquares = 0;
            for (int i = 0; i < SetSize; i++) sumSquares += x[b * SetSize + i] * x[b * SetSize + i];
            double logNarrow = -sumSquares / 2, logWide = -SetSize * Math.Log(1.5) - sumSquares / (2 * 1.5 * 1.5);
            double wide = 1 / (1 + Math.Exp(logNarrow - logWide));
            (result[2 * b], result[2 * b + 1]) = ((float)(1 - wide), (float)wide);
        }
        return result;
    }

    [Fact]
    public void ModelComparison_FitOnline_AccurateAndCalibrated_SavesAndLoads()
    {
        var simulator = TwoGaussians();
        var workflow = new BasicWorkflow(new Adapter().Concatenate(["x"], into: Keys.InferenceConditions),
            new ModelComparisonSpec
            {
                ModelNames = ["narrow", "wide"],
                Seed = 1,
                Approximator = new ModelComparisonApproximatorOptions { Classifier = new MlpOptions { Widths = [32, 32] } },
            }, simulator);
        workflow.FitOnline(new TrainingOptions { Epochs = 30, BatchesPerEpoch = 100, BatchSize = 128, LearningRate = 1e-3f, Seed = 2 });
        Assert.Equal(2, workflow.ModelComparisonSpec!.ModelCount);

        var report = workflow.ComputeModelComparisonDiagnostics(numDatasets: 2000, seed: 9);
        var held = simulator.Sample(2000, 9, new SampleOptions { BatchIndex = StreamRegistry.HeldOutBatch.First });
        var observations = GaussianObservations();
        float[] exactProbabilities = ExactProbabilities(held.Get("x"), 2000);
        double exactAccuracy = ModelComparisonDiagnostics.Accuracy(exactProbabilities, report.Targets, 2);
        var exactEce = ModelComparisonDiagnostics.Calibration(exactProbabilities, report.Targets, 2, 1).ExpectedCalibrationError;
        Assert.Equal(held.Get(ModelComparisonSimulator.ModelIndicesKey), report.Targets);
        output.WriteLine($"accuracy {report.Accuracy:F3} (exact posterior {exactAccuracy:F3}); ECE " +
            $"{report.Calibration[0].ExpectedCalibrationError:F4} / {report.Calibration[1].ExpectedCalibrationError:F4} " +
            $"(exact {exactEce:F4}); confusion [[{report.Confusion[0, 0]}, {report.Confusion[0, 1]}], " +
            $"[{report.Confusion[1, 0]}, {report.Confusion[1, 1]}]]");
        Assert.Equal(["narrow", "wide"], report.ModelNames);
        Assert.True(report.Accuracy > exactAccuracy - 0.03, $"accuracy {report.Accuracy:F3}, exact {exactAccuracy:F3}");
        Assert.All(report.Calibration, c => Assert.True(c.ExpectedCalibrationError < 0.05,
            $"ECE of {report.ModelNames[c.Model]}: {c.ExpectedCalibrationError:F4}"));
        Assert.Equal(2000, report.Confusion[0, 0] + report.Confusion[0, 1] + report.Confusion[1, 0] + report.Confusion[1, 1]);
        Assert.Equal(2000, report.Calibration[1].Counts.Sum());
        Assert.Contains("\"accuracy\"", report.ToJson());

        string path = Path.Combine(_dir.FullName, "mc.amz");
        workflow.Save(path);
        var loaded = BasicWorkflow.Load(path);
        Assert.Equal(workflow.PredictModelProbabilities(observations), loaded.PredictModelProbabilities(observations));
    }

    [Fact]
    public void MethodsOfAnotherKind_ThrowNamingTheWorkflowsKind()
    {
        var task = new GaussianLinear();
        var point = GaussianLinearPoint(task);
        point.FitOnline(s_pointTraining with { Epochs = 1, BatchesPerEpoch = 2 });
        var data = task.Sample(3, seed: 1);
        var e = Assert.Throws<InvalidOperationException>(() => point.Sample(data, 10));
        Assert.Equal("BasicWorkflow: this workflow holds a point approximator; sampling, log densities, posterior " +
            "diagnostics and misspecification checks need a continuous one (use EstimatePoints and " +
            "ComputePointDiagnostics).", e.Message);
        Assert.Null(point.Approximator);
        Assert.Throws<InvalidOperationException>(() => point.Spec);
        var m = Assert.Throws<InvalidOperationException>(() => point.PredictModelProbabilities(data));
        Assert.StartsWith("BasicWorkflow.PredictModelProbabilities: this workflow holds a point approximator;", m.Message);

        var continuous = new BasicWorkflow(task.DefaultAdapter(),
            new ApproximatorSpec { CouplingFlow = new CouplingFlowOptions { Depth = 1, SubnetWidths = [8] } }, task);
        var c = Assert.Throws<InvalidOperationException>(() => continuous.EstimatePoints(data));
        Assert.Equal("BasicWorkflow.EstimatePoints: this workflow holds a continuous approximator; point estimates " +
            "need a point workflow (a PointApproximatorSpec).", c.Message);
    }
    private sealed class Inline(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    public static TheoryData<string> Kinds => ["point", "model-comparison"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void StoppedInsideAnEpoch_ResumesToTheUninterruptedWeightsBitwise(string kind)
    {
        var task = new GaussianLinear();
        BasicWorkflow Fresh() => kind == "point" ? GaussianLinearPoint(task) : new BasicWorkflow(
            new Adapter().Concatenate(["x"], into: Keys.InferenceConditions),
            new ModelComparisonSpec { Seed = 3, Approximator = new ModelComparisonApproximatorOptions
                { Classifier = new MlpOptions { Widths = [16], Dropout = 0.1f } } }, TwoGaussians());
        var options = new TrainingOptions { Epochs = 3, BatchesPerEpoch = 12, BatchSize = 32, Seed = 5,
            ValidationSimulations = 64, LearningRate = 1e-3f };
        var uninterrupted = Fresh();
        uninterrupted.FitOnline(options);

        string checkpoint = Path.Combine(_dir.FullName, $"{kind}.amzc");
        using var cancel = new CancellationTokenSource();
        var stopped = Fresh().FitOnline(options with
        {
            CheckpointPath = checkpoint,
            Cancellation = cancel.Token,
            Progress = new Inline(p => { if (p.Epoch == 1 && p.Batch == 6) cancel.Cancel(); }),
        });
        Assert.Equal("cancelled", stopped.StopReason);

        var resumed = Fresh();
        resumed.BuildApproximator(resumed.Simulator!.Sample(4, 1));
        Assert.Equal(1, resumed.Resume(checkpoint));
        resumed.FitOnline(options with { CheckpointPath = checkpoint });
        var expected = (uninterrupted.PointApproximator as Approximator ?? uninterrupted.ModelComparisonApproximator)!;
        var actual = (resumed.PointApproximator as Approximator ?? resumed.ModelComparisonApproximator)!;
        Assert.Equal(expected.Store.Values.ToArray(), actual.Store.Values.ToArray());
    }
}
