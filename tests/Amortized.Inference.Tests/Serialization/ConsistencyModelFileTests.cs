using System.Text.Json.Nodes;
using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;
using Amortized.Inference.Tasks;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Xunit;
using static Amortized.Inference.Tests.Serialization.HostileModelFiles;

namespace Amortized.Inference.Tests.Serialization;

/// <summary>
/// The consistency model through the approximator and the trainer (curriculum driven by the planned steps) and in
/// model files: saved and loaded bitwise, and edited files out of bounds refused naming the field.
/// </summary>
public sealed class ConsistencyModelFileTests : IDisposable
{
    private static readonly ConsistencyModelOptions s_options = new()
    {
        Widths = [8, 8], Dropout = 0.1f, MaxTime = 80, Sigma2 = 0.5, Eps = 0.002, S0 = 5, S1 = 20, SamplingSteps = 3,
    };

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("amortized-cm-file-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static ContinuousApproximator Build(ConsistencyModelOptions options) =>
        TwoMoonsModelFiles.Build(new ApproximatorSpec { Inference = InferenceNetworkKind.ConsistencyModel, ConsistencyModel = options });

    private static readonly TrainingOptions s_training = new()
        { Epochs = 2, BatchesPerEpoch = 5, BatchSize = 32, ValidationSimulations = 32, Seed = 4 };

    private static ContinuousApproximator Trained()
    {
        var approximator = Build(s_options);
        new Trainer(approximator, s_training).FitOnline(new TwoMoons());
        return approximator;
    }

    private sealed class Inline(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    [Fact]
    public void Resume_InsideAnEpoch_EndsBitwiseAsTheUninterruptedRun()
    {
        // The curriculum is a function of (step, planned total), both of which the resumed trainer restores.
        string checkpoint = Path.Combine(_dir.FullName, "checkpoint.amzc");
        using (var cancel = new CancellationTokenSource())
        {
            var stopped = new Trainer(Build(s_options), s_training with
            {
                CheckpointPath = checkpoint,
                Cancellation = cancel.Token,
                Progress = new Inline(p => { if (p.Epoch == 1 && p.Batch == 2) cancel.Cancel(); }),
            }).FitOnline(new TwoMoons());
            Assert.Equal("cancelled", stopped.StopReason);
        }
        var resumed = Build(s_options);
        var trainer = new Trainer(resumed, s_training);
        trainer.Resume(checkpoint);
        trainer.FitOnline(new TwoMoons());
        Assert.Equal(9, ((ConsistencyModel)resumed.InferenceNetwork).TrainingStep);
        Assert.Equal(Trained().Store.Values.ToArray(), resumed.Store.Values.ToArray());
    }

    private string Save(ContinuousApproximator approximator, string name = "cm.amz") =>
        TwoMoonsModelFiles.Save(_dir, approximator, name);

    [Fact]
    public void Trainer_PlansTheCurriculum_AndValidationDoesNotMoveIt()
    {
        var approximator = Trained();
        var cm = Assert.IsType<ConsistencyModel>(approximator.InferenceNetwork);
        // TotalSteps left out: the trainer's plan, 2 epochs x 5 batches.
        Assert.Null(cm.Options.TotalSteps);
        Assert.Equal(10, cm.TotalSteps);
        // The last training step; the validation pass after it (evaluation mode, row offset 0) left it alone.
        Assert.Equal(9, cm.TrainingStep);
    }

    [Fact]
    public void Training_IsDeterministicUnderASeed()
    {
        var a = Trained();
        var b = Trained();
        Assert.Equal(a.Store.Values.ToArray(), b.Store.Values.ToArray());
        var data = TwoMoonsModelFiles.Observations();
        Assert.Equal(a.Sample(data, 20, seed: 7).Get("theta"), b.Sample(data, 20, seed: 7).Get("theta"));
    }

    [Fact]
    public void SaveLoad_KeepsEveryOption_AndDrawsBitwiseTheSame()
    {
        var original = Trained();
        var loaded = ApproximatorFile.Load(Save(original));
        Assert.Equal(InferenceNetworkKind.ConsistencyModel, loaded.Spec!.Inference);
        var options = loaded.Spec.ConsistencyModel!;
        Assert.Equal(s_options with { Widths = options.Widths }, options);
        Assert.Equal([8, 8], options.Widths);
        Assert.Equal(original.Store.Values.ToArray(), loaded.Store.Values.ToArray());
        var data = TwoMoonsModelFiles.Observations();
        var draws = original.Sample(data, 20, seed: 7).Get("theta");
        Assert.Equal(draws, loaded.Sample(data, 20, seed: 7).Get("theta"));
        // Trained weights, not the identity-like fresh model: the draws depend on the conditions.
        Assert.NotEqual(draws, Build(s_options).Sample(data, 20, seed: 7).Get("theta"));
    }

    [Fact]
    public void LogProb_SaysThereIsNoDensity()
    {
        var approximator = Build(s_options);
        var data = new TwoMoons().Sample(3, seed: 5);
        var error = Assert.Throws<NotSupportedException>(() => approximator.LogProb(data));
        Assert.Contains("no density", error.Message);
    }

    public static TheoryData<string, JsonNode, string, string> OutOfBounds => new()
    {
        { "widths", new JsonArray(), "0", "at least one hidden layer" },
        { "activation", 42, "42", $"one of {string.Join(", ", Enum.GetNames<Amortized.Kernels.Cpu.Activation>())}" },
        { "dropout", 1.0, "1", "0 to 1 (exclusive)" },
        { "total_steps", 0, "0", "at least 1 (or left out for the trainer's planned steps)" },
        { "eps", 0.0, "0", "a finite number above 0" },
        { "max_time", 0.001, "0.001", "a finite number above 0.002" },
        { "sigma2", -1.0, "-1", "a finite number above 0" },
        { "s0", 0, "0", "1 to 100000 (ConsistencyModelOptions.MaxIntervals)" },
        { "s1", 4, "4", "5 to 100000 (s0 to ConsistencyModelOptions.MaxIntervals)" },
        { "sampling_steps", 0, "0", "1 to 1000 (ConsistencyModelOptions.MaxSamplingSteps)" },
        { "sampling_steps", 5000, "5000", "1 to 1000 (ConsistencyModelOptions.MaxSamplingSteps)" },
    };

    [Theory]
    [MemberData(nameof(OutOfBounds))]
    public void Load_OptionOutOfBounds_RefusedNamingTheField(string key, JsonNode value, string declared,
        string allowed)
    {
        byte[] bytes = File.ReadAllBytes(Save(Build(s_options)));
        string path = Path.Combine(_dir.FullName, "edited.amz");
        File.WriteAllBytes(path, ResealSpec(bytes, spec => spec["consistency_model"]![key] = value.DeepClone()));
        var e = Assert.Throws<InvalidDataException>(() => ApproximatorFile.Load(path));
        string field = key == "widths" ? "widths (its length)" : key;
        Assert.Equal($"Model file '{path}': spec field 'spec.consistency_model.{field}' is {declared}; " +
            $"allowed: {allowed}.", e.Message);
    }
}
