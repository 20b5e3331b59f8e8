using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Xunit;

namespace Amortized.Inference.Tests.Workflows;

/// <summary>
/// Networks whose loss value does not rank fits (the free-form flow's surrogate, the consistency model's curriculum)
/// keep their last epoch. Found as a user would: a straight line y_i = a + b t_i + N(0, 0.3^2) with a, b ~ N(0, 1),
/// whose posterior is exactly Gaussian; keeping the lowest-loss epoch kept a near-identity free-form flow whose
/// draws had sd 0.6 against the exact 0.094.
/// </summary>
public class NonRankingLossTests
{
    private static readonly float[] s_times = [.. Enumerable.Range(0, 10).Select(i => i / 9f * 2f - 1f)];
    private const float Noise = 0.3f;

    [Fact]
    public void FreeFormFlow_ThroughTheWorkflow_LearnsTheExactLinePosterior_AndKeepsItsLastEpoch()
    {
        var simulator = Simulator.Build()
            .Prior(r => r.Set("a", r.Normal(0, 1)).Set("b", r.Normal(0, 1)))
            .Likelihood(r => r.Set("y", [.. s_times.Select(t => r.Get("a") + r.Get("b") * t + r.Normal(0, Noise))]));
        var adapter = new Adapter().Concatenate(["a", "b"], Keys.InferenceVariables).Concatenate(["y"], Keys.InferenceConditions);
        var workflow = new BasicWorkflow(adapter, new ApproximatorSpec
        {
            Inference = InferenceNetworkKind.FreeFormFlow,
            FreeFormFlow = new FreeFormFlowOptions { Widths = [64, 64] },
            Seed = 1,
        }, simulator);
        var history = workflow.FitOnline(new TrainingOptions { Epochs = 20, BatchesPerEpoch = 100, Seed = 1, ValidationSimulations = 256 });
        Assert.Equal(history.Epochs[^1].Epoch, history.BestEpoch);

        float[] observed = [.. s_times.Select(t => 0.4f - 0.7f * t + 0.1f * MathF.Sin(7 * t))];
        // Exact posterior: precision P = I + X'X / s^2 with X = [1, t], mean P^-1 X'y / s^2.
        double s2 = Noise * Noise, p11 = 1 + s_times.Length / s2, p12 = s_times.Sum() / s2, p22 = 1 + s_times.Sum(t => t * t) / s2;
        double r1 = observed.Sum() / s2, r2 = s_times.Zip(observed, (t, y) => t * y).Sum() / s2, det = p11 * p22 - p12 * p12;
        double meanA = (p22 * r1 - p12 * r2) / det, meanB = (p11 * r2 - p12 * r1) / det;
        double sdA = Math.Sqrt(p22 / det), sdB = Math.Sqrt(p11 / det);
        var draws = workflow.Sample(new Dictionary<string, float[]> { ["y"] = observed }, numSamples: 4000, seed: 2);
        foreach (var (key, mean, sd) in new[] { ("a", meanA, sdA), ("b", meanB, sdB) })
        {
            float[] v = draws.Get(key);
            double m = v.Average(), s = Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Length - 1));
            Assert.True(Math.Abs(m - mean) < 0.4 * sd && Math.Abs(s / sd - 1) < 0.25,
                $"{key}: draws {m:F3} +- {s:F3}, exact {mean:F3} +- {sd:F3}");
        }
    }
}
