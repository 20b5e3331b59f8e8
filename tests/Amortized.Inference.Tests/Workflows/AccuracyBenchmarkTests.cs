using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Xunit;

namespace Amortized.Inference.Tests.Workflows;

/// <summary>The accuracy benchmark's fixed parts: observations, cached references, the training rule.</summary>
public sealed class AccuracyBenchmarkTests
{
    [Fact]
    public void Observations_AreFixed_AndIndependentOfTheTrainingSeed()
    {
        var task = new TwoMoons();
        var a = AccuracyBenchmark.Observations(task, 4);
        var b = AccuracyBenchmark.Observations(task, 4);
        Assert.Equal(a.Get("x"), b.Get("x"));
        // Not the rows a training run with seed 0 simulates first.
        Assert.NotEqual(a.Get("x"), task.Sample(4, 0).Get("x"));
        Assert.NotEqual(a.Get("x"), AccuracyBenchmark.Observations(task, 4, seed: 1).Get("x"));
    }

    [Fact]
    public void References_AreCached_AndReadBackUnchanged()
    {
        string cache = Path.Combine(Path.GetTempPath(), "amortized-accuracy-tests", Guid.NewGuid().ToString("N"));
        var options = new AccuracyBenchmarkOptions { Observations = 2, PosteriorDraws = 500, ReferenceCache = cache };
        var task = new Slcp();
        var computed = AccuracyBenchmark.References(task, options);
        string file = Assert.Single(Directory.GetFiles(cache));
        Assert.Contains("slcp", Path.GetFileName(file));
        var read = AccuracyBenchmark.References(task, options);
        Assert.Equal(computed.Observations.Get("x"), read.Observations.Get("x"));
        for (int o = 0; o < 2; o++) Assert.Equal(computed.Draws[o], read.Draws[o]);
        Assert.Equal(computed.MaxRHat, read.MaxRHat, (x, y) => Math.Abs(x - y) < 1e-6);
        Assert.All(read.MaxRHat, r => Assert.True(r < 1.01));
        Directory.Delete(cache, true);
    }

    [Theory]
    [InlineData(900, 500)]      // 15 steps per epoch: capped at 500 epochs (7,500 steps)
    [InlineData(9_000, 142)]    // 141 steps per epoch: about 20,000 steps
    [InlineData(90_000, 20)]    // 1,407 steps per epoch: at least 20 epochs
    public void OfflineEpochs_AimAtTheTargetSteps_WithinTheBounds(int rows, int epochs) =>
        Assert.Equal(epochs, TrainingDefaults.OfflineEpochs(rows));

    [Fact]
    public void Split_HoldsOutATenth_Deterministically()
    {
        var all = new GaussianLinear().Sample(1000, 3);
        var (train, validation) = TrainingDefaults.Split(all, 7);
        Assert.Equal(900, train.BatchSize);
        Assert.Equal(100, validation.BatchSize);
        Assert.Equal(validation.Get("x"), TrainingDefaults.Split(all, 7).Validation.Get("x"));
        Assert.NotEqual(validation.Get("x"), TrainingDefaults.Split(all, 8).Validation.Get("x"));
    }

    [Fact]
    public void SbiFigures_CoverTheEightTasksAtThreeBudgets()
    {
        Assert.Equal(8, AccuracyBenchmark.SbiNpe.Count);
        Assert.Equal(0.606, AccuracyBenchmark.SbiNpeFor("two_moons", 10_000));
        Assert.Null(AccuracyBenchmark.SbiNpeFor("two_moons", 5_000));
        Assert.Null(AccuracyBenchmark.SbiNpeFor("inverse_kinematics", 1_000));
        foreach (string name in AccuracyBenchmark.SbiNpe.Keys)
        {
            var task = BenchmarkTasks.Create(name);
            Assert.True(task.HasExactPosterior || task.HasLogLikelihood, name);
        }
    }
}
