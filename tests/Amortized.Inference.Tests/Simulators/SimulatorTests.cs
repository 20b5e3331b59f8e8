using Amortized.Inference.Simulators;
using Amortized.Testing;
using Xunit;

namespace Amortized.Inference.Tests.Simulators;

public sealed class SimulatorTests
{
    private static Simulator SetsSimulator() => Simulator.Build()
        .Context(r => r.Set("n", r.Integer(10, 101)))
        .Prior(r => r.Set("mu", r.Normal(0, 1)))
        .Likelihood(r =>
        {
            int n = r.GetInt("n");
            float mu = r.Get("mu");
            var x = new float[100];
            var observed = new float[100];
            for (int i = 0; i < n; i++) { x[i] = r.Normal(mu, 1); observed[i] = 1; }
            r.Set("x", x);
            r.Set("observed", observed);
        });

    [Fact]
    public void Sample_DesignSketch_StacksRowsAndBroadcastsContext()
    {
        SimulationBatch batch = SetsSimulator().Sample(64, seed: 1);
        Assert.Equal(new[] { 64 }, batch.Shape("n").ToArray()); // scalars stack to (B,)
        Assert.Equal(new[] { 64 }, batch.Shape("mu").ToArray());
        Assert.Equal(new[] { 64, 100 }, batch.Shape("x").ToArray());
        Assert.True(batch.IsInteger("n"));
        int[] n = batch.GetIntegers("n");
        for (int row = 0; row < 64; row++)
        {
            Assert.Equal(n[0], n[row]);
            float observed = 0;
            foreach (float o in batch.Row("observed", row)) observed += o;
            Assert.Equal(n[0], (int)observed);
        }
    }

    [Fact]
    public void Sample_AnyThreadCount_IdenticalBatches()
    {
        var sim = SetsSimulator();
        SimulationBatch one = sim.Sample(200, 7, new SampleOptions { MaxDegreeOfParallelism = 1 });
        SimulationBatch two = sim.Sample(200, 7, new SampleOptions { MaxDegreeOfParallelism = 2 });
        SimulationBatch all = sim.Sample(200, 7);
        foreach (string key in one.Keys)
        {
            Assert.Equal(one.Get(key), two.Get(key));
            Assert.Equal(one.Get(key), all.Get(key));
        }
    }

    [Fact]
    public void Sample_DifferentBatchIndex_DifferentRows()
    {
        var sim = SetsSimulator();
        var a = sim.Sample(8, 7);
        var b = sim.Sample(8, 7, new SampleOptions { BatchIndex = 1 });
        Assert.NotEqual(a.Get("mu"), b.Get("mu"));
    }

    [Fact]
    public void Sample_Chunked_EqualsOneBatch()
    {
        var sim = SetsSimulator();
        SimulationBatch whole = sim.Sample(50, 3);
        SimulationBatch chunked = sim.Sample(50, 3, new SampleOptions { ChunkSize = 16 });
        SimulationBatch streamed = SimulationBatch.Concatenate(sim.SampleChunks(50, 7, 3).ToList());
        foreach (string key in whole.Keys)
        {
            Assert.Equal(whole.Get(key), chunked.Get(key));
            Assert.Equal(whole.Get(key), streamed.Get(key));
        }
    }

    [Fact]
    public void Sample_FixedValues_OverrideDraws()
    {
        var options = new SampleOptions
        {
            FixedValues = new Dictionary<string, FixedValue> { ["mu"] = 2.5f, ["design"] = new float[] { 1, 2, 3 } },
        };
        SimulationBatch batch = SetsSimulator().Sample(100, 5, options);
        Assert.All(batch.Get("mu"), v => Assert.Equal(2.5f, v));
        Assert.Equal(new[] { 100, 3 }, batch.Shape("design").ToArray());
        Assert.Equal(new float[] { 1, 2, 3 }, batch.Row("design", 99).ToArray());
        double sum = 0, count = 0;
        float[] x = batch.Get("x"), obs = batch.Get("observed");
        for (int i = 0; i < x.Length; i++) if (obs[i] == 1) { sum += x[i]; count++; }
        Assert.InRange(sum / count, 2.3, 2.7);
    }

    [Fact]
    public void Sample_Rejection_AllRowsAcceptedAndDeterministic()
    {
        var sim = Simulator.Build().Prior(r => r.Set("mu", r.Normal(0, 1)));
        var options = new SampleOptions { Accept = row => row.Get("mu") > 1 };
        SimulationBatch a = sim.Sample(100, 11, options);
        SimulationBatch b = sim.Sample(100, 11, options with { MaxDegreeOfParallelism = 1 });
        Assert.All(a.Get("mu"), v => Assert.True(v > 1));
        Assert.Equal(a.Get("mu"), b.Get("mu"));
        Assert.True(a.Report!.Rejected > 100);
    }

    [Fact]
    public void Sample_RejectionNeverAccepts_Throws()
    {
        var sim = Simulator.Build().Prior(r => r.Set("mu", r.Uniform(0, 1)));
        var e = Assert.Throws<InvalidOperationException>(() => sim.Sample(4, 1, new SampleOptions { Accept = _ => false, MaxAttempts = 5 }));
        Assert.Contains("5 attempts", e.Message);
    }

    private static Simulator NanEveryThirdRow() => Simulator.Build()
        .Prior(r => r.Set("theta", r.Normal()))
        .Likelihood(r => r.Set("x", new[] { r.Row % 3 == 0 ? float.NaN : 1f, r.Row == 4 ? float.PositiveInfinity : 0f }));

    [Fact]
    public void Sample_NonFiniteKeep_CountedPerKey()
    {
        SimulationBatch batch = NanEveryThirdRow().Sample(10, 1);
        Assert.Equal(10, batch.BatchSize);
        Assert.Equal(5, batch.Report!.NonFiniteRows["x"]); // rows 0, 3, 6, 9 and 4
        Assert.False(batch.Report.NonFiniteRows.ContainsKey("theta"));
    }

    [Fact]
    public void Sample_NonFiniteDrop_RemovesRowsAndReports()
    {
        SimulationBatch batch = NanEveryThirdRow().Sample(10, 1, new SampleOptions { NonFinite = NonFiniteHandling.Drop });
        Assert.Equal(5, batch.BatchSize);
        Assert.Equal(5, batch.Report!.Dropped);
        Assert.All(batch.Get("x"), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Sample_NonFiniteThrow_NamesKeyAndRow()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            NanEveryThirdRow().Sample(10, 1, new SampleOptions { NonFinite = NonFiniteHandling.Throw }));
        Assert.Contains("'x'", e.Message);
        Assert.Contains("row 0", e.Message);
    }

    [Fact]
    public void Sample_RowWithWrongShape_NamesKeyRowExpectedActual()
    {
        var sim = Simulator.Build().Likelihood(r => r.Set("x", new float[r.Row == 3 ? 4 : 5]));
        var e = Assert.Throws<InvalidOperationException>(() => sim.Sample(8, 1));
        Assert.Contains("'x'", e.Message);
        Assert.Contains("row 3", e.Message);
        Assert.Contains("(4,)", e.Message);
        Assert.Contains("expected (5,)", e.Message);
    }

    [Fact]
    public void Sample_RowMissingKey_NamesKeyAndRow()
    {
        var sim = Simulator.Build().Likelihood(r => { if (r.Row != 2) r.Set("y", 1f); });
        var e = Assert.Throws<InvalidOperationException>(() => sim.Sample(4, 1));
        Assert.Contains("'y'", e.Message);
        Assert.Contains("row 2", e.Message);
    }

    [Fact]
    public void Sample_FunctionThrows_LowestRowReported()
    {
        var sim = Simulator.Build().Likelihood(r => { if (r.Row >= 5) throw new InvalidOperationException($"boom {r.Row}"); r.Set("y", 1f); });
        var e = Assert.Throws<InvalidOperationException>(() => sim.Sample(64, 1));
        Assert.Equal("boom 5", e.Message);
    }

    [Fact]
    public void Sample_BatchedFunction_SeesRowsAndAddsArrays()
    {
        var sim = Simulator.Build()
            .Prior(r => r.Set("mu", r.Normal()))
            .Batched(b =>
            {
                float[] mu = b.Batch.Get("mu");
                var twice = new float[mu.Length];
                for (int i = 0; i < mu.Length; i++) twice[i] = 2 * mu[i];
                b.Set("twice", twice, b.BatchSize, 1);
            })
            .Likelihood(r => r.Set("sum", r.Get("mu") + r.Get("twice")));
        SimulationBatch batch = sim.Sample(16, 2);
        for (int i = 0; i < 16; i++) Assert.Equal(3 * batch.Get("mu")[i], batch.Get("sum")[i], 5);
    }

    [Fact]
    public void Sample_Given_SeenByRowsAndKept()
    {
        var given = new SimulationBatch(3).Set("mu", [10, 20, 30], 3);
        var sim = Simulator.Build().Prior(r => r.Set("mu", r.Normal())).Likelihood(r => r.Set("x", r.Get("mu") + 1));
        SimulationBatch batch = sim.Sample(3, 1, new SampleOptions { Given = given });
        Assert.Equal(new float[] { 10, 20, 30 }, batch.Get("mu"));
        Assert.Equal(new float[] { 11, 21, 31 }, batch.Get("x"));
    }

    [Fact]
    public void Context_AfterPrior_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => Simulator.Build().Prior(_ => { }).Context(_ => { }));
    }

    [Fact]
    public void Get_MissingKey_ListsAvailable()
    {
        var sim = Simulator.Build().Prior(r => r.Set("a", 1f)).Likelihood(r => r.Get("b"));
        var e = Assert.Throws<KeyNotFoundException>(() => sim.Sample(2, TestSeeds.Default));
        Assert.Contains("'b'", e.Message);
        Assert.Contains("a", e.Message);
    }
}
