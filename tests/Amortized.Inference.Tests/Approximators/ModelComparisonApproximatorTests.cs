using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;
using Amortized.Networks;
using Amortized.Networks.Summaries;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;
using Xunit;
using Xunit.Abstractions;

namespace Amortized.Inference.Tests.Approximators;

/// <summary>Model comparison between x_i ~ N(0, 1) and x_i ~ N(0, 1.5^2), i = 1..10, with equal prior probabilities.</summary>
public class ModelComparisonApproximatorTests(ITestOutputHelper output)
{
    private const int N = 10;
    private static readonly float[] s_scales = [1f, 1.5f];

    private static Simulator Gaussian(float scale) => Simulator.Build().Prior(r =>
    {
        var x = new float[N];
        for (int i = 0; i < N; i++) x[i] = r.Normal(0f, scale);
        r.Set("x", x);
    });

    private static ModelComparisonSimulator Mixture() => new([Gaussian(s_scales[0]), Gaussian(s_scales[1])]);

    private static ModelComparisonApproximator Build(ulong seed) => new(
        new Adapter().Concatenate(["x"], into: Keys.InferenceConditions), 2, N, null, new ParameterStore(), new Rng(seed),
        new ModelComparisonApproximatorOptions { Classifier = new MlpOptions { Widths = [64, 64] } });

    /// <summary>The exact p(model 2 | x) with equal prior probabilities: a logistic function of the log Bayes factor.</summary>
    private static double ExactSecondModel(ReadOnlySpan<float> x)
    {
        double sumSquares = 0;
        foreach (float v in x) sumSquares += v * v;
        double logLikelihood0 = -N * Math.Log(s_scales[0]) - sumSquares / (2 * s_scales[0] * s_scales[0]);
        double logLikelihood1 = -N * Math.Log(s_scales[1]) - sumSquares / (2 * s_scales[1] * s_scales[1]);
        return 1 / (1 + Math.Exp(logLikelihood0 - logLikelihood1));
    }

    [Fact]
    public void FitOnline_TwoGaussianModels_CalibratedProbabilities()
    {
        var simulator = Mixture();
        var approximator = Build(1);
        var history = new Trainer(approximator, new TrainingOptions { Epochs = 40, BatchesPerEpoch = 100, BatchSize = 128, LearningRate = 1e-3f, Seed = 2 })
            .FitOnline(simulator);
        Assert.True(history.Epochs[^1].TrainLoss < history.Epochs[0].TrainLoss);

        var test = simulator.Sample(2000, seed: 77);
        var probabilities = approximator.PredictProbabilities(new SimulationBatch(2000).Set("x", test.Get("x"), 2000, N));
        var targets = test.Get(ModelComparisonSimulator.ModelIndicesKey);
        Assert.Equal(4000, probabilities.Length);
        var ece = ModelComparisonMetrics.ExpectedCalibrationError(probabilities, targets, 2);
        double accuracy = ModelComparisonMetrics.Accuracy(probabilities, targets, 2);
        var confusion = ModelComparisonMetrics.ConfusionMatrix(probabilities, targets, 2);
        var exact = new float[4000];
        double gap = 0, worstGap = 0;
        for (int b = 0; b < 2000; b++)
        {
            double p = ExactSecondModel(test.Get("x").AsSpan(b * N, N));
            exact[2 * b] = (float)(1 - p);
            exact[2 * b + 1] = (float)p;
            gap += Math.Abs(probabilities[2 * b + 1] - p) / 2000;
            worstGap = Math.Max(worstGap, Math.Abs(probabilities[2 * b + 1] - p));
        }
        double exactAccuracy = ModelComparisonMetrics.Accuracy(exact, targets, 2);
        var exactEce = ModelComparisonMetrics.ExpectedCalibrationError(exact, targets, 2);
        output.WriteLine($"ECE {ece[0]:F4} / {ece[1]:F4} (exact posterior: {exactEce[0]:F4} / {exactEce[1]:F4}); accuracy {accuracy:F3} " +
            $"(exact posterior {exactAccuracy:F3}); |p - p_exact| average {gap:F4}, worst {worstGap:F4}; " +
            $"confusion [[{confusion[0, 0]}, {confusion[0, 1]}], [{confusion[1, 0]}, {confusion[1, 1]}]]");
        Assert.True(ece[0] < 0.05 && ece[1] < 0.05, $"expected calibration error {ece[0]:F4} / {ece[1]:F4}");
        Assert.True(accuracy > 0.75, $"accuracy {accuracy:F3}");
        Assert.True(gap < 0.05, $"average |p - p_exact| = {gap:F4}");
        Assert.Equal(2000, confusion[0, 0] + confusion[0, 1] + confusion[1, 0] + confusion[1, 1]);
    }

    private static (ModelComparisonApproximator Approximator, SimulationBatch Adapted) BuildWithSummary()
    {
        var store = new ParameterStore();
        var rng = new Rng(3);
        var summary = new DeepSet(store, "deepset", 1, new DeepSetOptions { SummaryDim = 4, Depth = 1, EquivariantWidths = [8], InvariantInnerWidths = [8], InvariantOuterWidths = [8], InvariantLastWidths = [8] }, rng);
        var approximator = new ModelComparisonApproximator(new Adapter(), 3, 2, summary, store, rng,
            new ModelComparisonApproximatorOptions { Classifier = new MlpOptions { Widths = [16] } });
        var data = new Rng(4);
        var x = new float[6 * 7];
        var conditions = new float[6 * 2];
        data.FillNormal(x, 0f, 1f);
        data.FillNormal(conditions, 0f, 1f);
        var models = new float[6 * 3];
        for (int b = 0; b < 6; b++) models[b * 3 + b % 3] = 1f;
        var adapted = new SimulationBatch(6)
            .Set(Keys.SummaryVariables, x, 6, 7, 1)
            .Set(Keys.InferenceConditions, conditions, 6, 2)
            .Set("model_indices", models, 6, 3);
        return (approximator, adapted);
    }

    [Fact]
    public void Loss_SummaryNetworkAndConditions_GradientReachesEveryParameter()
    {
        var (approximator, adapted) = BuildWithSummary();
        approximator.Store.ZeroGrad();
        var tape = new Tape();
        using (tape.Record())
        {
            var loss = approximator.Loss(adapted, updateStatistics: true);
            // Cross-entropy of K = 3 classes starts near log 3.
            Assert.InRange(loss.Item(), 0.3f, 3f);
            tape.Backward(loss);
        }
        foreach (var p in approximator.Store.Parameters)
        {
            bool any = false;
            foreach (float g in p.Grad!.Span) any |= g != 0f;
            Assert.True(any, $"parameter '{p.Name}' {p.Shape} got no gradient");
        }
        var probabilities = approximator.PredictProbabilities(adapted);
        Assert.Equal(18, probabilities.Length);
        for (int b = 0; b < 6; b++) Assert.Equal(1.0, probabilities[3 * b] + probabilities[3 * b + 1] + probabilities[3 * b + 2], 5);
    }

    [Fact]
    public void Loss_CrossEntropy_MatchesLogSoftmaxOracle()
    {
        var (approximator, adapted) = BuildWithSummary();
        float loss;
        float[] logits;
        using (Tape.NoGrad())
        {
            loss = approximator.Loss(adapted, updateStatistics: true).Item();
            logits = approximator.Logits(adapted, updateStatistics: false).ToArray();
        }
        double expected = 0;
        var models = adapted.Get("model_indices");
        for (int b = 0; b < 6; b++)
        {
            double max = Math.Max(logits[3 * b], Math.Max(logits[3 * b + 1], logits[3 * b + 2])), sum = 0;
            for (int k = 0; k < 3; k++) sum += Math.Exp(logits[3 * b + k] - max);
            for (int k = 0; k < 3; k++) expected -= models[3 * b + k] * (logits[3 * b + k] - max - Math.Log(sum)) / 6;
        }
        Assert.Equal(expected, loss, 5);
    }

    [Fact]
    public void Loss_WrongShapedModelIndices_ThrowsNamingKeyAndShapes()
    {
        var (approximator, adapted) = BuildWithSummary();
        adapted.Set("model_indices", new float[6 * 2], 6, 2);
        var e = Assert.Throws<ArgumentException>(() => approximator.Loss(adapted, updateStatistics: false));
        Assert.Contains("'model_indices' has shape (6, 2); expected (6, 3)", e.Message);
        adapted.Remove("model_indices");
        var missing = Assert.Throws<KeyNotFoundException>(() => approximator.Loss(adapted, updateStatistics: false));
        Assert.Contains("'model_indices' is missing", missing.Message);
    }

    [Fact]
    public void PredictProbabilities_WrongWidthData_ThrowsNamingKeyAndShapes()
    {
        var approximator = Build(1);
        var e = Assert.Throws<ArgumentException>(() => approximator.PredictProbabilities(new SimulationBatch(3).Set("x", new float[3 * 9], 3, 9)));
        Assert.Contains("'inference_conditions' has shape (3, 9); expected (3, 10)", e.Message);
    }

    [Fact]
    public void Options_CustomModelIndicesKey_IsUsed()
    {
        var (_, adapted) = BuildWithSummary();
        var approximator = new ModelComparisonApproximator(new Adapter(), 3, 2, null, new ParameterStore(), new Rng(1),
            new ModelComparisonApproximatorOptions { ModelIndicesKey = "which", Classifier = new MlpOptions { Widths = [8] } });
        adapted.Set("which", adapted.Get("model_indices"), 6, 3).Remove("model_indices");
        using (Tape.NoGrad()) Assert.True(float.IsFinite(approximator.Loss(adapted, updateStatistics: true).Item()));
    }

    [Fact]
    public void ExpectedCalibrationError_HandComputedBins()
    {
        // Model 1 probabilities 0.05, 0.15, 0.95, 0.95 with outcomes 0, 1, 1, 0: bins 0, 1 and 9 with gaps
        // |0 - 0.05|, |1 - 0.15|, |0.5 - 0.95|, weighted 1/4, 1/4, 2/4.
        float[] probabilities = [0.95f, 0.05f, 0.85f, 0.15f, 0.05f, 0.95f, 0.05f, 0.95f];
        float[] targets = [1, 0, 0, 1, 0, 1, 1, 0];
        var ece = ModelComparisonMetrics.ExpectedCalibrationError(probabilities, targets, 2);
        Assert.Equal(0.25 * 0.05 + 0.25 * 0.85 + 0.5 * 0.45, ece[1], 5);
        Assert.Equal(ece[1], ece[0], 5);   // two models: the same bins mirrored
        var confusion = ModelComparisonMetrics.ConfusionMatrix(probabilities, targets, 2);
        Assert.Equal(new[,] { { 1, 1 }, { 1, 1 } }, confusion);
        Assert.Equal(0.5, ModelComparisonMetrics.Accuracy(probabilities, targets, 2));
        Assert.Throws<ArgumentException>(() => ModelComparisonMetrics.ExpectedCalibrationError(probabilities, targets.AsSpan(0, 6), 2));
    }
}
