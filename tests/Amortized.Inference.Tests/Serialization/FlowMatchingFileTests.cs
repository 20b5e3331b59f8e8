using System.Text.Json.Nodes;
using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;
using Amortized.Networks.Flows;
using Xunit;
using static Amortized.Inference.Tests.Serialization.HostileModelFiles;

namespace Amortized.Inference.Tests.Serialization;

/// <summary>
/// Flow-matching options (optimal transport, Fourier time embedding, training-time distribution) in model files:
/// saved and loaded, files from before the options existed, and edited files out of bounds.
/// </summary>
public sealed class FlowMatchingFileTests : IDisposable
{
    private static readonly FlowMatchingOptions s_options = new()
    {
        Widths = [8, 8], Steps = 4, OptimalTransport = true, OptimalTransportConditionWeight = 25,
        TimeEmbeddingFrequencies = 3, TimeDistribution = FlowMatchingTimeDistribution.LogitNormal,
        LogitNormalMean = -0.5, LogitNormalStd = 1.5, TimePowerLawAlpha = 0.75, SinkhornRegularization = 0.2,
    };

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("amortized-fm-file-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static ContinuousApproximator Build(FlowMatchingOptions options) =>
        TwoMoonsModelFiles.Build(new ApproximatorSpec { Inference = InferenceNetworkKind.FlowMatching, FlowMatching = options });

    private string Save(ContinuousApproximator approximator, string name = "fm.amz") =>
        TwoMoonsModelFiles.Save(_dir, approximator, name);

    [Fact]
    public void SaveLoad_KeepsEveryOption_AndDrawsBitwiseTheSame()
    {
        var original = Build(s_options);
        var loaded = ApproximatorFile.Load(Save(original));
        var options = loaded.Spec!.FlowMatching!;
        Assert.True(options.OptimalTransport);
        Assert.Equal(25, options.OptimalTransportConditionWeight);
        Assert.Equal(3, options.TimeEmbeddingFrequencies);
        Assert.Equal(FlowMatchingTimeDistribution.LogitNormal, options.TimeDistribution);
        Assert.Equal(-0.5, options.LogitNormalMean);
        Assert.Equal(1.5, options.LogitNormalStd);
        Assert.Equal(0.75, options.TimePowerLawAlpha);
        Assert.Equal(0.2, options.SinkhornRegularization);
        var data = TwoMoonsModelFiles.Observations();
        Assert.Equal(original.Sample(data, 20, seed: 7).Get("theta"), loaded.Sample(data, 20, seed: 7).Get("theta"));
        // The embedding widens the field's first layer: 2 (x) + 1 + 2 x 3 (time) + 2 (conditions) inputs.
        Assert.Equal(original.Store.Values.ToArray(), loaded.Store.Values.ToArray());
    }

    [Fact]
    public void Load_FileFromBeforeTheOptions_LoadsWithTheEarlierBehaviour()
    {
        var original = Build(new FlowMatchingOptions { Widths = [8], Steps = 4 });
        byte[] bytes = File.ReadAllBytes(Save(original));
        // The nullable options (condition weight, logit-normal scale, Sinkhorn) are not written at their defaults.
        string[] added = ["optimal_transport", "time_embedding_frequencies", "time_distribution",
            "time_power_law_alpha", "logit_normal_mean"];
        string path = Path.Combine(_dir.FullName, "old.amz");
        File.WriteAllBytes(path, ResealSpec(bytes, spec =>
        {
            var fm = (JsonObject)spec["flow_matching"]!;
            foreach (string key in added) Assert.True(fm.Remove(key), $"the file has no '{key}'");
        }));
        var loaded = ApproximatorFile.Load(path);
        var options = loaded.Spec!.FlowMatching!;
        var defaults = new FlowMatchingOptions();
        Assert.Equal((defaults.OptimalTransport, defaults.OptimalTransportConditionWeight,
                defaults.TimeEmbeddingFrequencies, defaults.TimeDistribution, defaults.TimePowerLawAlpha,
                defaults.LogitNormalMean, defaults.LogitNormalStd),
            (options.OptimalTransport, options.OptimalTransportConditionWeight, options.TimeEmbeddingFrequencies,
                options.TimeDistribution, options.TimePowerLawAlpha, options.LogitNormalMean, options.LogitNormalStd));
        Assert.Null(options.LogitNormalStd);   // read as the default, 1
        Assert.Equal([8], options.Widths);
        var data = TwoMoonsModelFiles.Observations();
        Assert.Equal(original.Sample(data, 20, seed: 7).Get("theta"), loaded.Sample(data, 20, seed: 7).Get("theta"));
    }

    public static TheoryData<string, JsonNode, string, string> OutOfBounds => new()
    {
        { "time_embedding_frequencies", 1000, "1000", "0 to 16 (FlowMatchingOptions.MaxTimeEmbeddingFrequencies)" },
        { "time_embedding_frequencies", -1, "-1", "0 to 16 (FlowMatchingOptions.MaxTimeEmbeddingFrequencies)" },
        { "time_distribution", 9, "9", "one of Uniform, PowerLaw, LogitNormal" },
        { "time_power_law_alpha", -1.0, "-1", "a finite number above -1" },
        { "logit_normal_std", 0.0, "0", "a finite number above 0" },
        { "optimal_transport_condition_weight", -2.5, "-2.5", "a finite number of at least 0" },
        { "relative_tolerance", -1e-3, "-0.001", "a finite number above 0" },
        { "sinkhorn_regularization", 0.0, "0", "a finite number above 0" },
    };

    [Theory]
    [MemberData(nameof(OutOfBounds))]
    public void Load_OptionOutOfBounds_RefusedNamingTheField(string key, JsonNode value, string declared,
        string allowed)
    {
        byte[] bytes = File.ReadAllBytes(Save(Build(s_options)));
        string path = Path.Combine(_dir.FullName, "edited.amz");
        File.WriteAllBytes(path, ResealSpec(bytes, spec => spec["flow_matching"]![key] = value.DeepClone()));
        var e = Assert.Throws<InvalidDataException>(() => ApproximatorFile.Load(path));
        Assert.Equal($"Model file '{path}': spec field 'spec.flow_matching.{key}' is {declared}; allowed: {allowed}.",
            e.Message);
    }
}
