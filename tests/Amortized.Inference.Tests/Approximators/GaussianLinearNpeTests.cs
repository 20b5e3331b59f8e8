using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Networks;
using Amortized.Networks.Flows;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Inference.Tests.Approximators;

/// <summary>End to end: neural posterior estimation on gaussian_linear, whose posterior is N(x/2, 0.05 I).</summary>
/// <remarks>
/// The flow has a <see cref="ConditionalAffine"/> layer, initialised by least squares on the training rows before the
/// first step; the held-out loss then decides whether any epoch beats that start. Without the layer the same flow and
/// budget reach a worst mean error of 0.075-0.11 and a worst variance error of 24-39 % over three seeds (the
/// couplings fit the linear posterior mean with nonlinear units, and with 9000 training rows they fit noise doing
/// so); with it 0.025-0.035 and 5-9 % over five seeds (10 000 draws per set).
/// The two runs asserted below: 0.035 and 9.2 %; 0.028 and 5.3 %.
/// </remarks>
public class GaussianLinearNpeTests
{
    internal static ContinuousApproximator Build(ulong seed, CouplingFlowOptions? flow = null)
    {
        var adapter = new Adapter()
            .Concatenate(["theta"], into: Keys.InferenceVariables)
            .Concatenate(["x"], into: Keys.InferenceConditions);
        var store = new ParameterStore();
        var network = new CouplingFlow(store, "flow", 10, 10, flow ?? new CouplingFlowOptions { Depth = 2, SubnetWidths = [32, 32], ConditionalAffine = true }, new Rng(seed));
        return new ContinuousApproximator(adapter, network, null, store);
    }

    // Two independent runs (simulations, initial weights, training order): the criteria hold for each, not for one
    // lucky draw.
    [Theory]
    [InlineData(2UL, 1UL, 3UL)]
    [InlineData(3UL, 101UL, 4UL)]
    public void FitOffline_10kSimulations_RecoversAnalyticPosterior(ulong networkSeed, ulong dataSeed, ulong trainingSeed)
    {
        var task = new GaussianLinear();
        var data = task.Sample(10_000, seed: dataSeed);
        var approximator = Build(networkSeed);
        var history = new Trainer(approximator, new TrainingOptions
        {
            Epochs = 40, BatchSize = 64, LearningRate = 5e-4f, WeightDecay = 1e-2f, Seed = trainingSeed, ValidationFraction = 0.1, EarlyStoppingPatience = 5,
        }).FitOffline(data);
        Assert.True(history.Epochs[^1].TrainLoss < history.Epochs[0].TrainLoss);

        var test = task.Sample(20, seed: 99);
        var observed = new SimulationBatch(20).Set("x", test.Get("x"), 20, 10);
        // 10^4 draws per set, so the Monte Carlo error of each variance (1.4 %) is small next to the 20 % criterion.
        const int n = 10_000;
        var draws = approximator.Sample(observed, n, seed: 4);
        var theta = draws.Get("theta");
        Assert.Equal(new[] { 20, n, 10 }, draws.Shape("theta").ToArray());
        var x = test.Get("x");
        double worstMean = 0, worstVarRatio = 0, meanError = 0;
        for (int b = 0; b < 20; b++)
        {
            for (int j = 0; j < 10; j++)
            {
                double mean = 0, sq = 0;
                for (int s = 0; s < n; s++) mean += theta[(b * n + s) * 10 + j];
                mean /= n;
                for (int s = 0; s < n; s++) { double d = theta[(b * n + s) * 10 + j] - mean; sq += d * d; }
                double variance = sq / (n - 1);
                worstMean = Math.Max(worstMean, Math.Abs(mean - x[b * 10 + j] / 2));
                meanError += Math.Abs(mean - x[b * 10 + j] / 2) / 200;
                worstVarRatio = Math.Max(worstVarRatio, Math.Abs(variance / 0.05 - 1));
            }
        }
        // The criteria, for every parameter of every one of the 20 data sets.
        Assert.True(worstMean < 0.05, $"largest |posterior mean - x/2| = {worstMean:F4} (average {meanError:F4})");
        Assert.True(worstVarRatio < 0.2, $"largest |variance / 0.05 - 1| = {worstVarRatio:F3}");

        // The density agrees with the analytic one on average (log N(theta; x/2, 0.05 I)).
        var evaluation = new SimulationBatch(20).Set("x", test.Get("x"), 20, 10).Set("theta", test.Get("theta"), 20, 10);
        var logq = approximator.LogProb(evaluation);
        double gap = 0;
        for (int b = 0; b < 20; b++)
        {
            double logp = 0;
            for (int j = 0; j < 10; j++)
            {
                double d = test.Get("theta")[b * 10 + j] - x[b * 10 + j] / 2;
                logp += -0.5 * d * d / 0.05 - 0.5 * Math.Log(2 * Math.PI * 0.05);
            }
            gap += (logq[b] - logp) / 20;
        }
        Assert.True(Math.Abs(gap) < 0.5, $"mean log q - log p = {gap:F3}");
    }
}
