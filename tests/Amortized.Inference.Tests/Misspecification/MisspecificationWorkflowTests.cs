using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Amortized.Networks.Summaries;
using Xunit;
using Xunit.Abstractions;

namespace Amortized.Inference.Tests.Misspecification;

/// <summary>
/// End to end: train briefly, store a reference of simulated summaries, then sample with the automatic check for
/// observations from the simulator (no warning) and for observations shifted by 10 standard deviations (warning).
/// </summary>
public sealed class MisspecificationWorkflowTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("amortized-misspecification-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>two_moons, no summary network: the summary space is the standardised x (B, 2).</summary>
    private static BasicWorkflow TrainedTwoMoons()
    {
        var workflow = new BasicWorkflow(
            new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions),
            new ApproximatorSpec { Seed = 3, CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [32, 32], Dropout = 0f } },
            new TwoMoons());
        workflow.FitOnline(new TrainingOptions { Epochs = 2, BatchesPerEpoch = 25, BatchSize = 64, Seed = 1 });
        return workflow;
    }

    /// <summary>The x of <paramref name="count"/> fresh simulations, optionally shifted by 10 sd per feature.</summary>
    private static SimulationBatch Observations(int count, ulong seed, float[]? shift = null)
    {
        var x = new TwoMoons().Sample(count, seed).Get("x");
        if (shift is not null)
            for (int i = 0; i < x.Length; i++) x[i] += shift[i % 2];
        return new SimulationBatch(count).Set("x", x, count, 2);
    }

    /// <summary>10 standard deviations of each x feature, estimated from simulations.</summary>
    private static float[] TenSd()
    {
        var x = new TwoMoons().Sample(2000, seed: 77).Get("x");
        var shift = new float[2];
        for (int f = 0; f < 2; f++)
        {
            double sum = 0, sumSq = 0;
            for (int i = f; i < x.Length; i += 2) { sum += x[i]; sumSq += (double)x[i] * x[i]; }
            double mean = sum / 2000;
            shift[f] = (float)(10 * Math.Sqrt(sumSq / 2000 - mean * mean));
        }
        return shift;
    }

    [Fact]
    public void SampleChecked_TwoMoons_WarnsOnlyForShiftedDataAndSurvivesSaveLoad()
    {
        var workflow = TrainedTwoMoons();
        var reference = workflow.ComputeMisspecificationReference(numDatasets: 500, seed: 5);
        Assert.Equal(500, reference.Count);
        Assert.Equal(2, reference.Dim);

        var inDistribution = Observations(5, seed: 11);
        var fine = workflow.SampleChecked(inDistribution, numSamples: 100, seed: 2);
        Assert.True(fine.MisspecificationChecked);
        Assert.True(fine.Misspecification!.PValue > 0.05, $"in-distribution p = {fine.Misspecification.PValue}");
        Assert.Null(fine.Warning);
        Assert.Equal(workflow.Sample(inDistribution, 100, seed: 2).Get("theta"), fine.Draws.Get("theta"));

        var shifted = Observations(5, seed: 12, TenSd());
        var flagged = workflow.SampleChecked(shifted, numSamples: 100, seed: 2);
        output.WriteLine($"two_moons: in-distribution MMD^2 {fine.Misspecification.Mmd:G4} p {fine.Misspecification.PValue:G3}; " +
            $"shifted MMD^2 {flagged.Misspecification!.Mmd:G4} p {flagged.Misspecification.PValue:G3}");
        output.WriteLine(flagged.Warning);
        Assert.True(flagged.Misspecification!.PValue < 0.05, $"shifted p = {flagged.Misspecification.PValue}");
        Assert.NotNull(flagged.Warning);
        Assert.Contains("5 observed data sets", flagged.Warning);
        Assert.Contains("MMD", flagged.Warning);
        Assert.Contains($"p = {flagged.Misspecification.PValue:G3}", flagged.Warning);
        Assert.Equal(5, flagged.Misspecification.ObservedCount);

        // A single shifted data set is enough.
        var one = workflow.SampleChecked(Observations(1, seed: 13, TenSd()), numSamples: 10, seed: 2);
        Assert.True(one.Misspecification!.PValue < 0.05, $"one shifted data set: p = {one.Misspecification.PValue}");
        Assert.Contains("1 observed data set differs", one.Warning);

        // The reference travels with the model: the loaded model gives the same test.
        string path = Path.Combine(_dir, "model.amz");
        workflow.Save(path);
        var loaded = BasicWorkflow.Load(path);
        var again = loaded.SampleChecked(shifted, numSamples: 100, seed: 2);
        Assert.Equal(flagged.Misspecification.Mmd, again.Misspecification!.Mmd);
        Assert.Equal(flagged.Misspecification.PValue, again.Misspecification.PValue);
        Assert.Equal(flagged.Draws.Get("theta"), again.Draws.Get("theta"));

        // Further training moves the summary space, so it drops the reference.
        workflow.FitOnline(new TrainingOptions { Epochs = 1, BatchesPerEpoch = 1, BatchSize = 8, Seed = 2 });
        Assert.Null(workflow.Approximator!.MisspecificationReference);
        Assert.False(workflow.SampleChecked(shifted, 10).MisspecificationChecked);
    }

    [Fact]
    public void SampleChecked_DeepSetSummaries_WarnsOnlyForShiftedSets()
    {
        // gaussian_mean_sets draws its set size n once per batch; the reference simulates one data set per batch,
        // so the observations (also one per batch here) and the reference share the marginal over n.
        var task = new GaussianMeanSets();
        var workflow = new BasicWorkflow(task.DefaultAdapter(summary: SummaryNetworkKind.DeepSet), new ApproximatorSpec
        {
            Seed = 4,
            Summary = SummaryNetworkKind.DeepSet,
            DeepSet = new DeepSetOptions
            {
                SummaryDim = 4, Depth = 1, EquivariantWidths = [16], InvariantInnerWidths = [16], InvariantOuterWidths = [16],
                InvariantLastWidths = [16], Dropout = 0f,
            },
            CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [16], Dropout = 0f },
        }, task);
        workflow.FitOnline(new TrainingOptions { Epochs = 2, BatchesPerEpoch = 20, BatchSize = 32, Seed = 6 });
        var reference = workflow.ComputeMisspecificationReference(numDatasets: 300, seed: 7);
        Assert.Equal(4, reference.Dim);

        SimulationBatch Sets(ulong seed, float shift)
        {
            var sets = new SimulationBatch[5];
            for (int i = 0; i < sets.Length; i++)
            {
                var one = task.Sample(1, seed, new SampleOptions { BatchIndex = (ulong)i });
                one.Remove("mu");   // observations carry data only
                var x = one.Get("x");   // the batch's own array: shifted in place
                for (int j = 0; j < x.Length; j++) x[j] += shift;
                sets[i] = one;
            }
            return SimulationBatch.Concatenate(sets);
        }

        var fine = workflow.SampleChecked(Sets(seed: 21, shift: 0f), numSamples: 50, seed: 8);
        Assert.True(fine.Misspecification!.PValue > 0.05, $"in-distribution p = {fine.Misspecification.PValue}");
        Assert.Null(fine.Warning);

        // x_i ~ N(mu, 1) with mu ~ N(0, 1): the marginal sd of x is sqrt(2); shift by 10 of them.
        var flagged = workflow.SampleChecked(Sets(seed: 22, shift: 10 * MathF.Sqrt(2)), numSamples: 50, seed: 8);
        output.WriteLine($"deep set: in-distribution MMD^2 {fine.Misspecification.Mmd:G4} p {fine.Misspecification.PValue:G3}; " +
            $"shifted MMD^2 {flagged.Misspecification!.Mmd:G4} p {flagged.Misspecification.PValue:G3}");
        Assert.True(flagged.Misspecification!.PValue < 0.05, $"shifted p = {flagged.Misspecification.PValue}");
        Assert.Contains("5 observed data sets", flagged.Warning);
    }
}
