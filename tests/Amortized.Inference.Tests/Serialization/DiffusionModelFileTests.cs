using System.Text.Json.Nodes;
using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;
using Amortized.Networks.Flows;
using Xunit;
using static Amortized.Inference.Tests.Serialization.HostileModelFiles;

namespace Amortized.Inference.Tests.Serialization;

/// <summary>Diffusion-model options in model files: saved and loaded bitwise, and edited files out of bounds.</summary>
public sealed class DiffusionModelFileTests : IDisposable
{
    private static readonly DiffusionModelOptions s_options = new()
    {
        Widths = [8, 8], Steps = 4, Schedule = NoiseScheduleKind.Cosine, Variance = DiffusionVariance.Exploding,
        Prediction = DiffusionPrediction.Velocity, Loss = DiffusionLoss.F, Sampler = DiffusionSampler.Heun,
        MinLogSnr = -9, MaxLogSnr = 12, Shift = 0.5,
    };

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("amortized-dm-file-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static ContinuousApproximator Build(DiffusionModelOptions options) =>
        TwoMoonsModelFiles.Build(new ApproximatorSpec { Inference = InferenceNetworkKind.DiffusionModel, DiffusionModel = options });

    private string Save(ContinuousApproximator approximator, string name = "dm.amz") =>
        TwoMoonsModelFiles.Save(_dir, approximator, name);

    [Theory]
    [InlineData(DiffusionSampler.Heun)]
    [InlineData(DiffusionSampler.Sde)]
    [InlineData(DiffusionSampler.Ode)]
    public void SaveLoad_KeepsEveryOption_AndDrawsBitwiseTheSame(DiffusionSampler sampler)
    {
        var original = Build(s_options with { Sampler = sampler });
        var loaded = ApproximatorFile.Load(Save(original));
        Assert.IsType<DiffusionModel>(loaded.InferenceNetwork);
        Assert.Equal(s_options with { Sampler = sampler, Widths = loaded.Spec!.DiffusionModel!.Widths },
            loaded.Spec.DiffusionModel);
        Assert.Equal([8, 8], loaded.Spec.DiffusionModel.Widths);
        Assert.Equal(original.Store.Values.ToArray(), loaded.Store.Values.ToArray());
        var data = TwoMoonsModelFiles.Observations();
        Assert.Equal(original.Sample(data, 20, seed: 7).Get("theta"), loaded.Sample(data, 20, seed: 7).Get("theta"));
    }

    [Fact]
    public void Load_WithoutTheScheduleTunings_ReadsTheScheduleDefaults()
    {
        var original = Build(new DiffusionModelOptions { Widths = [8], Steps = 4 });
        byte[] bytes = File.ReadAllBytes(Save(original));
        string path = Path.Combine(_dir.FullName, "plain.amz");
        File.WriteAllBytes(path, ResealSpec(bytes, spec =>
        {
            var dm = (JsonObject)spec["diffusion_model"]!;
            // Null tunings are not written: the file holds only what was set.
            foreach (string key in new[] { "sigma_data", "sigma_min", "sigma_max", "rho", "shift" })
                Assert.False(dm.ContainsKey(key), $"the file has '{key}'");
        }));
        var loaded = ApproximatorFile.Load(path);
        var network = (DiffusionModel)loaded.InferenceNetwork;
        Assert.Equal(-2 * Math.Log(80), network.Schedule.LogSnrMin, 12);
        Assert.Equal(-2 * Math.Log(1e-4), network.Schedule.LogSnrMax, 12);
        var data = TwoMoonsModelFiles.Observations();
        Assert.Equal(original.Sample(data, 20, seed: 7).Get("theta"), loaded.Sample(data, 20, seed: 7).Get("theta"));
    }

    public static TheoryData<string, JsonNode, string, string> OutOfBounds => new()
    {
        { "widths", new JsonArray(8, 0), "0", "1 to 4096 (ModelFileLimits.MaxWidth)" },
        { "dropout", 1.5, "1.5", "0 to 1 (exclusive)" },
        { "schedule", 9, "9", "one of Edm, Cosine" },
        { "variance", 9, "9", "one of Preserving, Exploding" },
        { "prediction", 9, "9", "one of F, Noise, Velocity, X" },
        { "loss", 9, "9", "one of Noise, Velocity, F" },
        { "sampler", 9, "9", "one of Ode, Sde, Heun" },
        { "method", 9, "9", "one of Euler, RungeKutta4, DormandPrince" },
        { "steps", 0, "0", "1 to 100000 (ModelFileLimits.MaxOdeSteps)" },
        { "relative_tolerance", -1e-3, "-0.001", "a finite number above 0" },
        { "absolute_tolerance", 0.0, "0", "a finite number above 0" },
        { "shift", 1000.0, "1000", "-20 to 20 (DiffusionModelOptions.MaxAbsLogSnr / 2)" },
        { "min_log_snr", 1e300, "1E+300", "-40 to 40 (DiffusionModelOptions.MaxAbsLogSnr)" },
    };

    [Theory]
    [MemberData(nameof(OutOfBounds))]
    public void Load_OptionOutOfBounds_RefusedNamingTheField(string key, JsonNode value, string declared,
        string allowed)
    {
        byte[] bytes = File.ReadAllBytes(Save(Build(s_options)));
        string path = Path.Combine(_dir.FullName, "edited.amz");
        File.WriteAllBytes(path, ResealSpec(bytes, spec => spec["diffusion_model"]![key] = value.DeepClone()));
        var e = Assert.Throws<InvalidDataException>(() => ApproximatorFile.Load(path));
        string field = key == "widths" ? "widths[1]" : key;
        Assert.Equal($"Model file '{path}': spec field 'spec.diffusion_model.{field}' is {declared}; allowed: {allowed}.",
            e.Message);
    }

    [Theory]
    [InlineData("sigma_min", 0.5, "DiffusionModelOptions.SigmaMin")]   // an EDM option on the cosine schedule
    [InlineData("max_log_snr", -10.0, "DiffusionModelOptions.MaxLogSnr")]   // below min_log_snr (-9)
    public void Load_InconsistentOptions_RefusedNamingTheOption(string key, double value, string option)
    {
        byte[] bytes = File.ReadAllBytes(Save(Build(s_options)));
        string path = Path.Combine(_dir.FullName, "edited.amz");
        File.WriteAllBytes(path, ResealSpec(bytes, spec => spec["diffusion_model"]![key] = value));
        var e = Assert.Throws<InvalidDataException>(() => ApproximatorFile.Load(path));
        Assert.Contains("spec field 'spec.diffusion_model'", e.Message);
        Assert.Contains(option, e.Message);
    }
}
