using Amortized.Inference.Simulators;
using Xunit;

namespace Amortized.Inference.Tests.Simulators;

public sealed class ModelComparisonSimulatorTests
{
    private static Simulator Model(float offset) => Simulator.Build()
        .Prior(r => r.Set("theta", r.Normal()))
        .Likelihood(r => r.Set("x", new[] { r.Get("theta") + offset + r.Get("shared") }));

    private static readonly Simulator s_shared = Simulator.Build().Prior(r => r.Set("shared", 100f + r.Row % 2));

    [Fact]
    public void Sample_Probabilities_RespectedExactly()
    {
        var sim = new ModelComparisonSimulator([Model(0), Model(1000), Model(-1000)], [0.1, 0.6, 0.3], s_shared);
        const int n = 20_000;
        SimulationBatch batch = sim.Sample(n, 9);
        float[] onehot = batch.Get(ModelComparisonSimulator.ModelIndicesKey);
        Assert.Equal(new[] { n, 3 }, batch.Shape(ModelComparisonSimulator.ModelIndicesKey).ToArray());
        double[] p = [0.1, 0.6, 0.3];
        for (int m = 0; m < 3; m++)
        {
            double count = 0;
            for (int i = 0; i < n; i++) count += onehot[i * 3 + m];
            double se = Math.Sqrt(p[m] * (1 - p[m]) / n);
            Assert.InRange(count / n, p[m] - 5 * se, p[m] + 5 * se);
        }
    }

    [Fact]
    public void Sample_MixedBatch_RowsComeFromTheirModelAndSeeShared()
    {
        var sim = new ModelComparisonSimulator([Model(0), Model(1000)], null, s_shared);
        SimulationBatch batch = sim.Sample(200, 4);
        float[] onehot = batch.Get("model_indices"), x = batch.Get("x"), theta = batch.Get("theta"), shared = batch.Get("shared");
        for (int i = 0; i < 200; i++)
        {
            Assert.Equal(1f, onehot[2 * i] + onehot[2 * i + 1]);
            float offset = onehot[2 * i + 1] == 1 ? 1000 : 0;
            Assert.Equal(100f + i % 2, shared[i]);
            Assert.Equal(theta[i] + offset + shared[i], x[i], 3);
        }
        Assert.Equal(batch.Get("x"), sim.Sample(200, 4, new SampleOptions { MaxDegreeOfParallelism = 1 }).Get("x"));
    }

    [Fact]
    public void Sample_ModelsWithDifferentKeys_Throws()
    {
        var other = Simulator.Build().Prior(r => r.Set("other", 1f));
        var sim = new ModelComparisonSimulator([Model(0), other], null, s_shared);
        var e = Assert.Throws<InvalidOperationException>(() => sim.Sample(50, 1));
        Assert.Contains("key", e.Message);
    }

    [Fact]
    public void Constructor_ProbabilitiesNotSummingToOne_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ModelComparisonSimulator([Model(0), Model(1)], [0.5, 0.6]));
    }
}
