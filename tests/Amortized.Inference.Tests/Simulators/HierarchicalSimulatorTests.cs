using Amortized.Inference.Simulators;
using Xunit;

namespace Amortized.Inference.Tests.Simulators;

/// <summary>Shapes, parent visibility and seeding of <see cref="HierarchicalSimulator"/>.</summary>
public sealed class HierarchicalSimulatorTests
{
    private const int G = 3, N = 4;

    /// <summary>mu per data set, theta_g ~ N(mu, 1) per group, x ~ N(theta_g, 0.1) per observation.</summary>
    private static HierarchicalSimulator Model() =>
        HierarchicalSimulator.Build(r => r.Set("mu", r.Normal(0, 1)))
            .Level(G, r => r.Set("theta", r.Normal(r.Get("mu"), 1)))
            .Level(N, r => r.Set("x", [r.Normal(r.Get("theta"), 0.1f), r.Get("mu")]));

    [Fact]
    public void Sample_GivesLevelShapes_AndEveryItemSeesItsOwnAncestors()
    {
        var batch = Model().Sample(5, seed: 1);
        Assert.Equal([G, N], Model().Counts);
        Assert.Equal([5], batch.Shape("mu").ToArray());
        Assert.Equal([5, G], batch.Shape("theta").ToArray());
        Assert.Equal([5, G, N, 2], batch.Shape("x").ToArray());
        float[] mu = batch.Get("mu"), theta = batch.Get("theta"), x = batch.Get("x");
        for (int b = 0; b < 5; b++)
            for (int g = 0; g < G; g++)
                for (int n = 0; n < N; n++)
                {
                    int at = ((b * G + g) * N + n) * 2;
                    Assert.Equal(mu[b], x[at + 1]);
                    Assert.InRange(x[at] - theta[b * G + g], -0.6f, 0.6f);
                }
        // Groups of one data set differ (each draws its own theta), and so do data sets.
        Assert.NotEqual(theta[0], theta[1]);
        Assert.NotEqual(mu[0], mu[1]);
    }

    [Fact]
    public void Sample_DataSetsDependOnlyOnSeedBatchAndRow()
    {
        var all = Model().Sample(6, seed: 2, new SampleOptions { BatchIndex = 7 });
        var serial = Model().Sample(6, seed: 2, new SampleOptions { BatchIndex = 7, MaxDegreeOfParallelism = 1 });
        var firstFour = Model().Sample(4, seed: 2, new SampleOptions { BatchIndex = 7 });
        foreach (string key in new[] { "mu", "theta", "x" })
        {
            Assert.Equal(all.Get(key), serial.Get(key));
            Assert.Equal(firstFour.Get(key), all.Slice(0, 4).Get(key));
        }
        Assert.NotEqual(all.Get("x"), Model().Sample(6, seed: 2, new SampleOptions { BatchIndex = 8 }).Get("x"));
        Assert.NotEqual(all.Get("x"), Model().Sample(6, seed: 3, new SampleOptions { BatchIndex = 7 }).Get("x"));
    }

    [Fact]
    public void Sample_WithAcceptFixedValuesAndThen_Behaves()
    {
        // Accept redraws whole data sets: every kept mu is positive.
        var accepted = Model().Sample(8, seed: 4, new SampleOptions { Accept = r => r.Get("mu") > 0 });
        Assert.All(accepted.Get("mu"), v => Assert.True(v > 0));
        Assert.True(accepted.Report!.Rejected > 0);
        // A fixed mu is seen by every group and observation.
        var fixedMu = Model().Sample(3, seed: 5, new SampleOptions
        {
            FixedValues = new Dictionary<string, FixedValue> { ["mu"] = 10f },
        });
        Assert.All(fixedMu.Get("mu"), v => Assert.Equal(10f, v));
        Assert.All(fixedMu.Get("theta"), v => Assert.InRange(v, 5f, 15f));
        // Then adds a function to the last level that sees what the earlier one set.
        var then = Model().Then(r => r.Set("y", r.GetArray("x")[0] * 2)).Sample(2, seed: 6);
        Assert.Equal([2, G, N], then.Shape("y").ToArray());
        for (int i = 0; i < 2 * G * N; i++) Assert.Equal(then.Get("x")[2 * i] * 2, then.Get("y")[i]);
    }

    [Fact]
    public void BadUse_FailsWithClearMessages()
    {
        var twice = HierarchicalSimulator.Build(r => r.Set("a", 1f)).Level(2, r => r.Set("a", 2f));
        Assert.Contains("key 'a'", Assert.Throws<InvalidOperationException>(() => twice.Sample(2, 1)).Message);
        var ragged = HierarchicalSimulator.Build(r => r.Set("a", 1f))
            .Level(2, r => r.Set("b", new float[r.Integer(1, 3)]));
        var shape = Assert.Throws<InvalidOperationException>(() => ragged.Sample(8, 1));
        Assert.Contains("key 'b'", shape.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Model().Level(0, _ => { }));
        var given = Assert.Throws<ArgumentException>(() =>
            Model().Sample(2, 1, new SampleOptions { Given = new SimulationBatch(2) }));
        Assert.Contains("Given", given.Message);
    }
}
