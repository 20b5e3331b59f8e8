using System.Collections.Concurrent;
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Xunit;

namespace Amortized.Inference.Tests.Workflows;

/// <summary>
/// The reserved batch indices and stream tags: no two uses of one family share a value, and the runs that draw
/// from them stay inside their own range (the held-out diagnostics batch once lay among the initialisation batches).
/// </summary>
public class StreamRegistryTests
{
    public static TheoryData<string> Families => new() { "batch indices", "simulator tags", "training tags", "seed salts" };

    [Theory]
    [MemberData(nameof(Families))]
    public void RangesOfOneFamily_AreDisjoint(string family)
    {
        IReadOnlyList<ReservedRange> ranges = family switch
        {
            "batch indices" => StreamRegistry.BatchIndices,
            "simulator tags" => StreamRegistry.SimulatorTags,
            "training tags" => StreamRegistry.TrainingTags,
            _ => StreamRegistry.SeedSalts,
        };
        Assert.True(ranges.Count >= 4, $"{family}: only {ranges.Count} ranges");
        for (int i = 0; i < ranges.Count; i++)
        {
            Assert.True(ranges[i].First <= ranges[i].Last, $"{ranges[i].Name}: first {ranges[i].First} > last {ranges[i].Last}");
            for (int j = i + 1; j < ranges.Count; j++)
                Assert.False(ranges[i].Overlaps(ranges[j]), $"{family}: {ranges[i]} overlaps {ranges[j]}");
        }
    }

    [Fact]
    public void ReservedRange_CountsInsideItself()
    {
        var range = new ReservedRange("r", 10, 12);
        Assert.Equal(3UL, range.Count);
        Assert.Equal(11UL, range.Up(1));
        Assert.Equal(10UL, range.Down(2));
        var ex = Assert.Throws<InvalidOperationException>(() => range.Down(3));
        Assert.Contains("r reserves 3 values", ex.Message);
        Assert.True(range.Overlaps(new ReservedRange("s", 12, 20)));
        Assert.False(range.Overlaps(new ReservedRange("s", 13, 20)));
    }

    [Fact]
    public void OnlineRun_WithDefaultInitialisation_NeverSimulatesTheHeldOutOrReferenceBatches()
    {
        // The default 16,384 initialisation rows in batches of 64 are 256 batches counted down from 2^64 - 2; the
        // held-out diagnostics batch used to be 2^64 - 8, the seventh of them.
        var simulator = new RecordingSimulator(new GaussianLinear());
        var approximator = ContinuousApproximator.Build(new ApproximatorSpec
        {
            VariableDim = 10, ConditionDim = 10, Seed = 4,
            CouplingFlow = new CouplingFlowOptions { Depth = 1, SubnetWidths = [8, 8], ConditionalAffine = true },
        }, new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions));
        new Trainer(approximator, new TrainingOptions
        {
            Epochs = 1, BatchSize = 64, BatchesPerEpoch = 2, ValidationSimulations = 64, Seed = 8,
        }).FitOnline(simulator);

        var indices = simulator.BatchIndices.ToArray();
        int initialisation = indices.Count(StreamRegistry.InitializationBatches.Contains);
        Assert.Equal(16_384 / 64, initialisation);
        Assert.Contains(StreamRegistry.ValidationBatch.First, indices);
        Assert.All(indices, i => Assert.True(
            StreamRegistry.InitializationBatches.Contains(i) || StreamRegistry.TrainingBatches.Contains(i)
            || StreamRegistry.ValidationBatch.Contains(i), $"batch index {i} is outside the training run's ranges"));
        Assert.DoesNotContain(StreamRegistry.HeldOutBatch.First, indices);
    }

    [Fact]
    public void HeldOutDiagnostics_SimulateTheHeldOutBatchOnly()
    {
        var simulator = new RecordingSimulator(new GaussianLinear());
        var approximator = Untrained();
        HeldOutDiagnostics.Run(approximator, simulator, "theta", numDatasets: 4, numSamples: 8, seed: 3);
        Assert.Equal([StreamRegistry.HeldOutBatch.First], simulator.BatchIndices.ToArray());
    }

    private static ContinuousApproximator Untrained() => ContinuousApproximator.Build(
        new ApproximatorSpec { Seed = 1, CouplingFlow = new CouplingFlowOptions { Depth = 1, SubnetWidths = [8, 8] } },
        new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions),
        new GaussianLinear().Sample(4, seed: 1));

    /// <summary>Passes every call through and records the batch index it asked for (from any thread).</summary>
    private sealed class RecordingSimulator(ISimulator inner) : ISimulator
    {
        public ConcurrentQueue<ulong> BatchIndices { get; } = new();

        public SimulationBatch Sample(int batchSize, ulong seed, SampleOptions? options = null)
        {
            BatchIndices.Enqueue((options ?? new SampleOptions()).BatchIndex);
            return inner.Sample(batchSize, seed, options);
        }
    }
}
