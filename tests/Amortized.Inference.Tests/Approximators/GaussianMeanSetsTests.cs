using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Networks;
using Amortized.Networks.Flows;
using Amortized.Networks.Summaries;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Inference.Tests.Approximators;

/// <summary>Varying set sizes with a DeepSet and masks: posterior N(sum x / (n + 1), 1 / (n + 1)).</summary>
public class GaussianMeanSetsTests
{
    [Fact]
    public void FitOnline_DeepSetWithMask_MatchesAnalyticPosterior()
    {
        var task = new GaussianMeanSets();
        var adapter = new Adapter()
            .ExpandDims("x", -1)
            .Sqrt("n")
            .Concatenate(["mu"], into: Keys.InferenceVariables)
            .Concatenate(["n"], into: Keys.InferenceConditions)
            .Rename("x", Keys.SummaryVariables)
            .Rename("observed", Keys.SummaryMask);
        var store = new ParameterStore();
        var rng = new Rng(5);
        var summary = new DeepSet(store, "deepset", 1, new DeepSetOptions { SummaryDim = 4, Depth = 1, EquivariantWidths = [16, 16], InvariantInnerWidths = [16, 16], InvariantOuterWidths = [16], InvariantLastWidths = [16, 16], Dropout = 0f }, rng);
        // BayesFlow's softplus-asinh scale grows only like log|a|, so posterior widths that vary 3x with n are slow
        // to learn; the bounded exp(2 tanh(a/2)) scale learns them in a few hundred steps.
        // Mean pooling cannot count the observed elements, so n enters directly (as sqrt n, BayesFlow's example).
        var flow = new CouplingFlow(store, "flow", 1, 4 + 1, new CouplingFlowOptions { Depth = 2, SubnetWidths = [32, 32], Dropout = 0f, AffineScale = AffineScale.TanhExp }, rng);
        var approximator = new ContinuousApproximator(adapter, flow, summary, store);
        new Trainer(approximator, new TrainingOptions { Epochs = 14, BatchesPerEpoch = 100, BatchSize = 32, LearningRate = 1e-3f, Seed = 6 }).FitOnline(task);

        foreach (int n in new[] { 10, 50, 100 })
        {
            // Build one observation with exactly n points (the rest padding with garbage that the mask hides).
            var r = new Rng((ulong)n);
            float mu = 0.7f;
            var x = new float[100];
            var observed = new float[100];
            double sum = 0;
            for (int i = 0; i < 100; i++)
            {
                if (i < n) { x[i] = mu + r.Normal(); observed[i] = 1f; sum += x[i]; }
                else x[i] = 1e3f;
            }
            var batch = new SimulationBatch(1).Set("x", x, 1, 100).Set("observed", observed, 1, 100).Set("n", [n], 1);
            var estimate = approximator.Estimate(batch, 2000, seed: 7)["mu"];
            double mean = sum / (n + 1), sd = Math.Sqrt(1.0 / (n + 1));
            Assert.True(Math.Abs(estimate.Mean[0] - mean) < 0.1 * Math.Abs(mean),
                $"n = {n}: posterior mean {estimate.Mean[0]:F3}, analytic {mean:F3}");
            Assert.True(Math.Abs(estimate.Std[0] / sd - 1) < 0.1, $"n = {n}: posterior sd {estimate.Std[0]:F3}, analytic {sd:F3}");
        }
    }
}
