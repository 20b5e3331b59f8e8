using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.FileFormats;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Xunit;

namespace Amortized.Inference.Tests.Workflows;

/// <summary>
/// The trainer's data-dependent initialisation: a flow with a ConditionalAffine layer is set to the least-squares
/// Gaussian before the first step, in every training mode. On gaussian_linear that is already the exact posterior
/// family, so a run whose steps barely move the weights (learning rate 1e-12) must give N(x/2, 0.05 I).
/// </summary>
public class DataInitializationTests
{
    private static ContinuousApproximator Build(bool conditionalAffine = true) => ContinuousApproximator.Build(new ApproximatorSpec
    {
        VariableDim = 10,
        ConditionDim = 10,
        Seed = 4,
        CouplingFlow = new CouplingFlowOptions { Depth = 1, SubnetWidths = [8, 8], ConditionalAffine = conditionalAffine },
    }, new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions));

    private static TrainingOptions Options => new() { Epochs = 1, BatchSize = 64, BatchesPerEpoch = 2, LearningRate = 1e-12f, Seed = 8 };

    /// <summary>Largest |posterior mean - x/2| and |variance / 0.05 - 1| over 5 data sets, from 4000 draws each.</summary>
    private static (double Mean, double Variance) WorstErrors(ContinuousApproximator approximator)
    {
        var test = new GaussianLinear().Sample(5, seed: 31);
        var x = test.Get("x");
        const int n = 4000;
        var theta = approximator.Sample(new SimulationBatch(5).Set("x", x, 5, 10), n, seed: 2).Get("theta");
        double worstMean = 0, worstVariance = 0;
        for (int b = 0; b < 5; b++)
            for (int j = 0; j < 10; j++)
            {
                double mean = 0, sq = 0;
                for (int s = 0; s < n; s++) mean += theta[(b * n + s) * 10 + j] / n;
                for (int s = 0; s < n; s++) sq += Math.Pow(theta[(b * n + s) * 10 + j] - mean, 2) / (n - 1);
                worstMean = Math.Max(worstMean, Math.Abs(mean - x[b * 10 + j] / 2));
                worstVariance = Math.Max(worstVariance, Math.Abs(sq / 0.05 - 1));
            }
        return (worstMean, worstVariance);
    }

    private static void AssertLeastSquaresPosterior(ContinuousApproximator approximator)
    {
        // 8000+ rows: the fitted mean is off by about 0.01 at most, the variance by a few percent (plus 3 % Monte Carlo).
        var (mean, variance) = WorstErrors(approximator);
        Assert.True(mean < 0.04, $"largest |posterior mean - x/2| = {mean:F4}");
        Assert.True(variance < 0.12, $"largest |variance / 0.05 - 1| = {variance:F3}");
    }

    [Fact]
    public void FitOffline_InitialisesFromTheTrainingRows()
    {
        var approximator = Build();
        new Trainer(approximator, Options with { ValidationFraction = 0.1 }).FitOffline(new GaussianLinear().Sample(9000, seed: 1));
        AssertLeastSquaresPosterior(approximator);
    }

    [Fact]
    public void AnInitialisationBetterThanEveryEpoch_IsKept()
    {
        // Two epochs at a learning rate far too high for this budget end worse on the held-out rows than the
        // least-squares start, so the trainer keeps the start (BestEpoch -1) and its posterior.
        var approximator = Build();
        var history = new Trainer(approximator, Options with { Epochs = 2, LearningRate = 0.05f, ValidationFraction = 0.1 })
            .FitOffline(new GaussianLinear().Sample(4000, seed: 1));
        Assert.All(history.Epochs, e => Assert.True(e.ValidationLoss is { } v && v > -1e9));
        Assert.Equal(-1, history.BestEpoch);
        AssertLeastSquaresPosterior(approximator);
    }

    [Fact]
    public void FitOnline_InitialisesFromFreshSimulations()
    {
        var approximator = Build();
        new Trainer(approximator, Options with { DataInitializationRows = 8192 }).FitOnline(new GaussianLinear());
        AssertLeastSquaresPosterior(approximator);
    }

    [Fact]
    public void FitDisk_InitialisesFromTheDataset()
    {
        var dir = Directory.CreateTempSubdirectory("amortized-init-").FullName;
        try
        {
            var task = new GaussianLinear();
            using (var writer = new ShardedDatasetWriter(dir, rowsPerShard: 2048))
                for (int i = 0; i < 4; i++) writer.Append(task.Sample(2500, seed: (ulong)i + 10));
            var approximator = Build();
            new Trainer(approximator, Options).FitDisk(ShardedDataset.Open(dir));
            AssertLeastSquaresPosterior(approximator);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ASecondTrainer_ContinuesFromTheTrainedWeights()
    {
        // Fine-tuning with a new Trainer must not reset the layer to a fresh least-squares fit (nor touch the
        // statistics): only an untouched layer is initialised.
        var approximator = Build();
        var data = new GaussianLinear().Sample(2000, seed: 1);
        new Trainer(approximator, Options with { LearningRate = 1e-3f }).FitOffline(data);
        var trained = approximator.Store.Values.ToArray();
        double count = approximator.VariableStandardizer!.Count;
        Assert.False(approximator.HasDataInitialization);
        new Trainer(approximator, Options with { LearningRate = 1e-30f, WarmupFraction = 0 }).FitOffline(data.Slice(0, 64));
        Assert.Equal(count + 64, approximator.VariableStandardizer!.Count);
        var after = approximator.Store.Values.ToArray();
        for (int i = 0; i < trained.Length; i++) Assert.True(Math.Abs(trained[i] - after[i]) <= 1e-6f * (1 + Math.Abs(trained[i])), $"weight {i}: {trained[i]} -> {after[i]}");
    }

    [Fact]
    public void InitializationRows_AreExactlyTheLimit()
    {
        // 100 rows from batches of 64: one whole batch and 36 rows of the next, absorbed by the statistics once;
        // then one training step of 64.
        var approximator = Build();
        new Trainer(approximator, Options with { DataInitializationRows = 100, BatchesPerEpoch = 1 }).FitOnline(new GaussianLinear());
        Assert.Equal(164, approximator.VariableStandardizer!.Count);
    }

    /// <summary>Every row has a NaN parameter, as a broken simulator's would.</summary>
    private sealed class NaNSimulator : ISimulator
    {
        public SimulationBatch Sample(int batchSize, ulong seed, SampleOptions? options = null)
        {
            var batch = new GaussianLinear().Sample(batchSize, seed, options);
            var theta = batch.Get("theta").ToArray();
            Array.Fill(theta, float.NaN);
            return new SimulationBatch(batchSize).Set("theta", theta, batchSize, 10).Set("x", batch.Get("x").ToArray(), batchSize, 10);
        }
    }

    [Fact]
    public void NonFiniteSimulations_EndTheInitialisation()
    {
        // Dropped rows count towards the limit, so the initialisation ends instead of simulating for ever; with no
        // finite row the layer stays untouched, and training reports the dropped rows as it always does.
        var approximator = Build();
        var history = new Trainer(approximator, Options with { DataInitializationRows = 256 }).FitOnline(new NaNSimulator());
        Assert.True(approximator.HasDataInitialization);
        Assert.Equal(0, approximator.VariableStandardizer!.Count);
        Assert.Equal(2 * 64, history.Epochs[0].DroppedRows);
        Assert.Equal(2, history.Epochs[0].SkippedSteps);
    }

    [Fact]
    public void ZeroInitializationRows_LeavesTheLayerAtTheIdentity()
    {
        // The control for the tests above: without the initialisation the same run is nowhere near the posterior.
        var approximator = Build();
        new Trainer(approximator, Options with { DataInitializationRows = 0 }).FitOffline(new GaussianLinear().Sample(2000, seed: 1));
        Assert.All(approximator.Store.Find("inference.conditional_affine.map.kernel")?.ToArray() ?? throw new Xunit.Sdk.XunitException("no layer"),
            v => Assert.True(Math.Abs(v) < 1e-6f, $"kernel value {v}"));
        var (mean, variance) = WorstErrors(approximator);
        Assert.True(mean > 0.1 || variance > 0.5, $"uninitialised: mean error {mean:F3}, variance error {variance:F3}");
    }

    [Fact]
    public void NetworksWithoutAnInitialisation_TrainAsBefore()
    {
        // No ConditionalAffine layer: nothing is simulated or read for initialisation, and statistics are untouched.
        var approximator = Build(conditionalAffine: false);
        Assert.False(approximator.HasDataInitialization);
        new Trainer(approximator, Options).FitOffline(new GaussianLinear().Sample(128, seed: 1));
        Assert.Equal(128, approximator.VariableStandardizer!.Count);
    }
}
